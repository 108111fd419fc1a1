public import Foundation
import Synchronization

/// A time zone's UTC offsets as a table of transitions, read once from Foundation's `TimeZone`.
///
/// Foundation answers `secondsFromGMT(for:)` in microseconds and serialises callers; the cron
/// evaluator and the calendar need offsets millions of times, so they binary-search this table
/// instead. The table covers 1900–2200; outside it the nearest offset is kept.
public final class ZoneRules: Sendable {
    public let identifier: String
    /// Segment `i` starts at `starts[i]` (epoch seconds; the first is `Int64.min`) and keeps
    /// `offsets[i]` seconds east of UTC until the next start.
    let starts: [Int64]
    let offsets: [Int64]

    /// Epoch seconds of 1900-01-01 and 2500-01-01 UTC: the range transitions are read for.
    static let tableStart: Int64 = -2_208_988_800
    static let tableEnd: Int64 = 16_725_225_600

    init(timeZone: TimeZone) {
        identifier = timeZone.identifier
        var starts: [Int64] = [Int64.min]
        var offsets: [Int64] = [Int64(timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(ZoneRules.tableStart))))]
        var cursor = Date(timeIntervalSince1970: Double(ZoneRules.tableStart))
        while let next = timeZone.nextDaylightSavingTimeTransition(after: cursor),
            next.timeIntervalSince1970 < Double(ZoneRules.tableEnd), next > cursor
        {
            let instant = Int64(next.timeIntervalSince1970.rounded())
            let offset = Int64(timeZone.secondsFromGMT(for: next))
            if offset != offsets[offsets.count - 1] {
                starts.append(instant)
                offsets.append(offset)
            }
            cursor = next
        }
        self.starts = starts
        self.offsets = offsets
    }

    private static let cache = Mutex<[String: ZoneRules]>([:])

    /// The rules of a zone, built once per process and shared.
    public static func of(_ timeZone: TimeZone) -> ZoneRules {
        if let hit = cache.withLock({ $0[timeZone.identifier] }) { return hit }
        let built = ZoneRules(timeZone: timeZone)
        return cache.withLock { table in
            if let raced = table[timeZone.identifier] { return raced }
            table[timeZone.identifier] = built
            return built
        }
    }

    /// The rules of an IANA zone name, or nil if Foundation does not know it.
    public static func named(_ identifier: String) -> ZoneRules? {
        guard let tz = TimeZone(identifier: identifier) else { return nil }
        return of(tz)
    }

    /// Index of the segment that holds the instant.
    @inline(__always)
    func segment(containing t: Int64) -> Int {
        var lo = 0
        var hi = starts.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) >> 1
            if starts[mid] <= t { lo = mid } else { hi = mid - 1 }
        }
        return lo
    }

    /// Seconds east of UTC at the instant.
    @inline(__always)
    public func offset(at t: Int64) -> Int64 {
        offsets[segment(containing: t)]
    }

    /// Local wall-clock seconds (seconds since 1970-01-01 00:00 local) of an instant.
    @inline(__always)
    public func local(_ t: Int64) -> Int64 {
        t + offset(at: t)
    }

    /// Every instant whose local time is `wall`: none inside a spring-forward gap, two inside a
    /// repeated fall-back hour, otherwise one. Ascending.
    public func instants(ofLocal wall: Int64) -> [Int64] {
        var result: [Int64] = []
        forEachInstant(ofLocal: wall) { result.append($0) }
        return result
    }

    /// Calls `body` with each instant whose local time is `wall`, ascending, without allocating.
    @inline(__always)
    func forEachInstant(ofLocal wall: Int64, _ body: (Int64) -> Void) {
        // Only the segments whose local range can hold `wall`: those around `wall - offset`.
        let guess = segment(containing: wall - offsets[segment(containing: wall)])
        for i in max(0, guess - 1)...min(starts.count - 1, guess + 1) {
            let t = wall - offsets[i]
            let end = i + 1 < starts.count ? starts[i + 1] : Int64.max
            if t >= starts[i] && t < end { body(t) }
        }
    }

    /// The instant a fixed local time means: its first occurrence when the hour repeats, and the
    /// first instant after the gap when the time does not exist (02:30 on the spring-forward day
    /// gives the instant at 03:00 local). The same rule the cron evaluator applies to fixed times.
    public func resolve(local wall: Int64) -> Int64 {
        var first: Int64?
        forEachInstant(ofLocal: wall) { t in if first == nil || t < first! { first = t } }
        if let first { return first }
        // In a gap: the transition whose gap covers `wall`.
        let i = segment(containing: wall - offsets[segment(containing: wall)])
        for j in max(1, i)...min(starts.count - 1, i + 2) where wall >= starts[j] + offsets[j - 1] && wall < starts[j] + offsets[j] {
            return starts[j]
        }
        return wall - offsets[i]
    }

    /// The instant of a local date and time of day (seconds after local midnight), by `resolve`.
    public func instant(of date: LocalDate, secondsOfDay: Int64) -> Int64 {
        resolve(local: Int64(date.daysSinceEpoch) * 86_400 + secondsOfDay)
    }

    /// The local calendar date of an instant.
    public func localDate(of t: Int64) -> LocalDate {
        LocalDate(daysSinceEpoch: Int(floorDiv(local(t), 86_400)))
    }

    /// The local minute of the day of an instant, 0…1439 (09:45 is 585).
    public func minuteOfDay(of t: Int64) -> Int {
        let local = local(t)
        return Int((local - floorDiv(local, 86_400) * 86_400) / 60)
    }
}

@inline(__always)
func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
    let q = a / b
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
}
