public import Foundation

/// A standard five-field cron expression with cronie's semantics.
///
/// Fields: minute, hour, day of month, month, day of week; names (`MON`, `JAN`), lists, ranges,
/// steps (`*/15`, `1-30/5`, and `5/10` for `5-max/10`), 0 and 7 both Sunday, and the macros
/// `@hourly @daily @midnight @weekly @monthly @yearly @annually`.
///
/// The day rule is Vixie's: when both day fields are restricted (neither starts with `*`), a day
/// matches if either matches; otherwise both must.
///
/// The DST rule is cronie's (SPEC §3): a *wildcard* expression — minute or hour field starting
/// with `*` — fires at every real instant whose local time matches (twice in a repeated hour,
/// never in a skipped one). A *fixed-time* expression fires at the first occurrence of a
/// repeated local time only, and its matches inside a spring-forward gap fire once, at the first
/// instant after the gap.
public struct CronExpression: Hashable, Sendable, CustomStringConvertible {
    /// The text as written.
    public let source: String
    let minutes: UInt64  // bits 0…59
    let hours: UInt32  // bits 0…23
    let daysOfMonth: UInt32  // bits 1…31
    let months: UInt16  // bits 1…12
    let daysOfWeek: UInt8  // bits 0…6
    let domStar: Bool
    let dowStar: Bool
    /// Minute or hour field starts with `*`: the DST rule for wildcard expressions applies.
    public let isWildcardTime: Bool

    public var description: String { source }

    static let macros: [String: String] = [
        "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
        "@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
    ]
    static let monthNames = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
    static let dayNames = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]
    static let fieldNames = ["minute", "hour", "day of month", "month", "day of week"]
    static let bounds: [ClosedRange<Int>] = [0...59, 0...23, 1...31, 1...12, 0...7]

    public init(parsing text: String) throws(CronError) {
        source = text
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        var body = trimmed
        var baseOffset = text.distance(from: text.startIndex, to: text.firstIndex(where: { !$0.isWhitespace }) ?? text.startIndex)
        if trimmed.hasPrefix("@") {
            guard let expanded = CronExpression.macros[trimmed.lowercased()] else {
                throw CronError(
                    code: .unknownMacro,
                    message: "unknown cron macro \"\(trimmed)\" (use @hourly, @daily, @midnight, @weekly, @monthly, @yearly or @annually)",
                    offset: baseOffset, field: nil)
            }
            body = expanded
            baseOffset = -1
        }
        // Split on blanks, remembering where each field starts.
        var fields: [(text: Substring, offset: Int)] = []
        var i = body.startIndex
        while i < body.endIndex {
            if body[i].isWhitespace { i = body.index(after: i); continue }
            let start = i
            while i < body.endIndex && !body[i].isWhitespace { i = body.index(after: i) }
            // Offsets point into the text as written; a macro's fields all point at the macro.
            let off = baseOffset < 0 ? 0 : baseOffset + body.distance(from: body.startIndex, to: start)
            fields.append((body[start..<i], off))
        }
        guard fields.count == 5 else {
            throw CronError(
                code: .fieldCount,
                message: "a cron expression has 5 fields (minute hour day-of-month month day-of-week), \"\(text)\" has \(fields.count)",
                offset: max(baseOffset, 0), field: nil)
        }
        var masks: [UInt64] = []
        for (index, field) in fields.enumerated() {
            masks.append(try CronExpression.parseField(field.text, index: index, offset: field.offset))
        }
        minutes = masks[0]
        hours = UInt32(masks[1])
        daysOfMonth = UInt32(masks[2])
        months = UInt16(masks[3])
        // Day of week 7 is Sunday too.
        var dow = masks[4]
        if dow & (1 << 7) != 0 { dow = (dow | 1) & 0x7F }
        daysOfWeek = UInt8(dow)
        domStar = fields[2].text.hasPrefix("*")
        dowStar = fields[4].text.hasPrefix("*")
        isWildcardTime = fields[0].text.hasPrefix("*") || fields[1].text.hasPrefix("*")

        // An expression no date can satisfy would make every search endless: refuse it here.
        // Only the day of month can be impossible (every date falls on every weekday in time),
        // and only when it is required, i.e. not OR-ed with a restricted day of week.
        if dowStar || domStar {
            let possible = (1...12).contains { m in
                months & (1 << m) != 0 && (daysOfMonth & CronExpression.daysUpTo(m == 2 ? 29 : LocalDate.daysIn(month: m, year: 2001))) != 0
            }
            if !possible {
                throw CronError(
                    code: .impossible,
                    message: "\"\(text)\" can never fire: no selected month has the selected day of month",
                    offset: fields[2].offset, field: 2)
            }
        }
    }

    /// Bits 1…n set.
    static func daysUpTo(_ n: Int) -> UInt32 { UInt32((UInt64(1) << (n + 1)) - 2) }

    static func parseField(_ text: Substring, index: Int, offset: Int) throws(CronError) -> UInt64 {
        let bounds = CronExpression.bounds[index]
        let name = CronExpression.fieldNames[index]
        var mask: UInt64 = 0
        var elementOffset = offset
        for element in text.split(separator: ",", omittingEmptySubsequences: false) {
            defer { elementOffset += element.count + 1 }
            func fail(_ code: CronError.Code, _ why: String) -> CronError {
                CronError(code: code, message: "\(name) field \"\(text)\": \(why)", offset: elementOffset, field: index)
            }
            guard !element.isEmpty else { throw fail(.badField, "empty list element") }
            let parts = element.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count <= 2 else { throw fail(.badStep, "more than one \"/\" in \"\(element)\"") }
            var step = 1
            if parts.count == 2 {
                guard let s = Int(parts[1]), s > 0 else {
                    throw fail(.badStep, "step \"\(parts[1])\" must be a whole number above 0")
                }
                guard s <= bounds.upperBound else {
                    throw fail(.badStep, "step \(s) is larger than the field's range \(bounds.lowerBound)-\(bounds.upperBound)")
                }
                step = s
            }
            let range = parts[0]
            var low: Int
            var high: Int
            if range == "*" {
                low = bounds.lowerBound
                high = index == 4 ? 6 : bounds.upperBound
            } else if let dash = range.firstIndex(of: "-") {
                let a = range[range.startIndex..<dash]
                let b = range[range.index(after: dash)...]
                guard let lo = value(a, index: index), let hi = value(b, index: index) else {
                    throw fail(.badField, "\"\(range)\" is not a number, name or range")
                }
                guard bounds.contains(lo), bounds.contains(hi) else {
                    throw fail(.outOfRange, "\(bounds.contains(lo) ? hi : lo) is out of range \(bounds.lowerBound)-\(bounds.upperBound)")
                }
                guard lo <= hi else { throw fail(.badRange, "range \"\(range)\" runs backwards") }
                low = lo
                high = hi
            } else {
                guard let v = value(range, index: index) else {
                    throw fail(.badField, "\"\(range)\" is not a number or name")
                }
                guard bounds.contains(v) else {
                    throw fail(.outOfRange, "\(v) is out of range \(bounds.lowerBound)-\(bounds.upperBound)")
                }
                low = v
                // `5/10` means 5 through the end of the range, every 10.
                high = parts.count == 2 ? (index == 4 ? 6 : bounds.upperBound) : v
            }
            var v = low
            while v <= high {
                mask |= 1 << UInt64(v)
                v += step
            }
        }
        return mask
    }

    static func value(_ text: Substring, index: Int) -> Int? {
        if let n = Int(text), text.allSatisfy({ $0.isASCII && $0.isNumber }) { return n }
        let upper = text.uppercased()
        if index == 3, let i = monthNames.firstIndex(of: upper) { return i + 1 }
        if index == 4, let i = dayNames.firstIndex(of: upper) { return i }
        return nil
    }

    // MARK: - Matching

    @inline(__always)
    func dayMatches(month: Int, day: Int, weekday: Int) -> Bool {
        guard months & (1 << UInt16(month)) != 0 else { return false }
        let dom = daysOfMonth & (1 << UInt32(day)) != 0
        let dow = daysOfWeek & (1 << UInt8(weekday)) != 0
        return (domStar || dowStar) ? (dom && dow) : (dom || dow)
    }

    /// True when a local wall time (seconds since the local epoch) matches every field.
    public func matches(local wall: Int64) -> Bool {
        let days = floorDiv(wall, 86_400)
        let sod = wall - days * 86_400
        let date = LocalDate(daysSinceEpoch: Int(days))
        return sod % 60 == 0
            && dayMatches(month: date.month, day: date.day, weekday: LocalDate.weekday(daysSinceEpoch: Int(days)))
            && hours & (1 << UInt32(sod / 3600)) != 0
            && minutes & (1 << UInt64((sod % 3600) / 60)) != 0
    }

    /// The first minute-aligned local wall time at or after `from` and before `end` that
    /// matches, or nil.
    func nextMatch(fromLocal from: Int64, before end: Int64) -> Int64? {
        var wall = floorDiv(from + 59, 60) * 60
        // Bound the search: a possible expression matches within 28 years (every date falls on
        // every weekday, and Feb 29 recurs), so 400 years only guards against a bug.
        let limit = min(end, wall + 400 * 366 * 86_400)
        while wall < limit {
            let days = floorDiv(wall, 86_400)
            let sod = wall - days * 86_400
            let date = LocalDate(daysSinceEpoch: Int(days))
            if months & (1 << UInt16(date.month)) == 0 {
                // Jump to the first day of the next selected month.
                var y = date.year
                var m = date.month
                repeat {
                    m += 1
                    if m > 12 { m = 1; y += 1 }
                } while months & (1 << UInt16(m)) == 0
                wall = Int64(LocalDate.daysFromCivil(year: y, month: m, day: 1)) * 86_400
                continue
            }
            if !dayMatches(month: date.month, day: date.day, weekday: LocalDate.weekday(daysSinceEpoch: Int(days))) {
                wall = (days + 1) * 86_400
                continue
            }
            let hour = Int(sod / 3600)
            let hourBits = hours & ~((UInt32(1) << UInt32(hour)) - 1)
            guard hourBits != 0 else {
                wall = (days + 1) * 86_400
                continue
            }
            let h = hourBits.trailingZeroBitCount
            let minuteFrom = h == hour ? Int((sod % 3600) / 60) : 0
            let minuteBits = minutes & ~((UInt64(1) << UInt64(minuteFrom)) - 1)
            guard minuteBits != 0 else {
                wall = days * 86_400 + Int64(h + 1) * 3600
                continue
            }
            let found = days * 86_400 + Int64(h) * 3600 + Int64(minuteBits.trailingZeroBitCount) * 60
            return found < end ? found : nil
        }
        return nil
    }

    // MARK: - Next fire

    /// The first fire strictly after `t` (epoch seconds), by the DST rule of the type's
    /// documentation. Nil only if no fire exists within 400 years.
    public func nextFire(after t: Int64, in zone: ZoneRules) -> Int64? {
        let candidate = floorDiv(t, 60) * 60 + 60
        var i = zone.segment(containing: candidate)
        let count = zone.starts.count
        while i < count {
            let start = zone.starts[i]
            let offset = zone.offsets[i]
            let end = i + 1 < count ? zone.starts[i + 1] : Int64.max
            let localEnd = end == Int64.max ? Int64.max : end + offset
            if isWildcardTime {
                if let m = nextMatch(fromLocal: max(candidate, start) + offset, before: localEnd) {
                    return m - offset
                }
            } else {
                let previous = i > 0 ? zone.offsets[i - 1] : offset
                // Matches inside a spring-forward gap fire once, at the transition instant.
                if i > 0, offset > previous, start > t,
                    nextMatch(fromLocal: start + previous, before: start + offset) != nil
                {
                    return start
                }
                // After a fall-back, the repeated local times already fired in the previous segment.
                let firstLocal = i > 0 ? start + max(offset, previous) : Int64.min / 2
                if let m = nextMatch(fromLocal: max(candidate + offset, firstLocal), before: localEnd) {
                    return m - offset
                }
            }
            i += 1
        }
        return nil
    }

    /// The first fire strictly after a date, in a time zone.
    public func nextFire(after date: Date, in timeZone: TimeZone) -> Date? {
        let t = Int64(date.timeIntervalSince1970.rounded(.down))
        return nextFire(after: t, in: ZoneRules.of(timeZone)).map { Date(timeIntervalSince1970: Double($0)) }
    }

    /// Every fire in `[from, to)` (epoch seconds).
    public func fires(from: Int64, to: Int64, in zone: ZoneRules) -> [Int64] {
        var result: [Int64] = []
        var t = from - 1
        while let next = nextFire(after: t, in: zone), next < to {
            result.append(next)
            t = next
        }
        return result
    }
}
