/// ISO-8601 text for instants and its parsing, with no Foundation formatter (they are slow and
/// locale-sensitive): UTC with `Z` for JSON, local with its offset for people.
public enum TimeFormat {
    /// `2026-11-25T14:30:00Z`.
    public static func utc(_ t: Int64) -> String {
        wall(t) + "Z"
    }

    /// `2026-11-25T09:30:00-05:00`, the local time in the zone with its offset.
    public static func local(_ t: Int64, in zone: ZoneRules) -> String {
        let offset = zone.offset(at: t)
        return wall(t + offset) + offsetText(offset)
    }

    /// `09:30` local.
    public static func clock(_ t: Int64, in zone: ZoneRules) -> String {
        String(clockWithSeconds(t, in: zone).prefix(5))
    }

    /// `09:30:15` local.
    public static func clockWithSeconds(_ t: Int64, in zone: ZoneRules) -> String {
        String(wall(zone.local(t)).suffix(8))
    }

    /// `-05:00`, `+00:00`, `+05:30`.
    public static func offsetText(_ seconds: Int64) -> String {
        let sign = seconds < 0 ? "-" : "+"
        let m = abs(seconds) / 60
        return sign + LocalDate.two(Int(m / 60)) + ":" + LocalDate.two(Int(m % 60))
    }

    /// `2026-11-25T09:30:00` for local wall-clock seconds.
    static func wall(_ w: Int64) -> String {
        let days = floorDiv(w, 86_400)
        let sod = w - days * 86_400
        return LocalDate(daysSinceEpoch: Int(days)).description + "T" + LocalDate.two(Int(sod / 3600)) + ":"
            + LocalDate.two(Int(sod % 3600 / 60)) + ":" + LocalDate.two(Int(sod % 60))
    }

    /// Parses an instant: `2026-11-25T14:30:00Z`, `2026-11-25T09:30:00-05:00`, with or without
    /// seconds and fractional seconds; a time without zone or offset is read in `zone` (by the
    /// fixed-time rule). Nil for anything else.
    public static func parseInstant(_ text: String, zone: ZoneRules) -> Int64? {
        let chars = Array(text)
        guard chars.count >= 16, chars[10] == "T" || chars[10] == " ",
            let date = LocalDate(parsing: String(chars[0..<10]))
        else { return nil }
        var i = 11
        func number(_ n: Int) -> Int? {
            guard i + n <= chars.count, chars[i..<(i + n)].allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
            defer { i += n }
            return Int(String(chars[i..<(i + n)]))
        }
        guard let h = number(2), i < chars.count, chars[i] == ":" else { return nil }
        i += 1
        guard let m = number(2) else { return nil }
        var s = 0
        if i < chars.count, chars[i] == ":" {
            i += 1
            guard let sec = number(2) else { return nil }
            s = sec
            if i < chars.count, chars[i] == "." {
                i += 1
                while i < chars.count, chars[i].isASCII, chars[i].isNumber { i += 1 }
            }
        }
        guard let time = TimeOfDay(hour: h, minute: m, second: s) else { return nil }
        let wall = Int64(date.daysSinceEpoch) * 86_400 + time.secondsOfDay
        if i == chars.count { return zone.resolve(local: wall) }
        if chars[i] == "Z" || chars[i] == "z" { return i + 1 == chars.count ? wall : nil }
        guard chars[i] == "+" || chars[i] == "-" else { return nil }
        let sign: Int64 = chars[i] == "-" ? -1 : 1
        i += 1
        guard let oh = number(2) else { return nil }
        if i < chars.count, chars[i] == ":" { i += 1 }
        guard let om = number(2), i == chars.count, oh <= 23, om <= 59 else { return nil }
        return wall - sign * Int64(oh * 3600 + om * 60)
    }

    /// A duration as people read it: `0.4s`, `3m07s`, `2h05m`; `-` when there is none.
    public static func duration(_ seconds: Double?) -> String {
        guard let seconds else { return "-" }
        if seconds < 59.95 {
            let tenths = Int((max(seconds, 0) * 10).rounded())
            return "\(tenths / 10).\(tenths % 10)s"
        }
        let whole = Int(seconds)
        if whole < 3600 { return "\(whole / 60)m" + LocalDate.two(whole % 60) + "s" }
        return "\(whole / 3600)h" + LocalDate.two(whole % 3600 / 60) + "m"
    }
}
