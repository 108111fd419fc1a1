/// Text for the project's HTML pages (the reports, `serve`'s pages).
public enum HTMLText {
    /// `s` safe inside an element or a quoted attribute.
    public static func escape(_ s: String) -> String {
        // Most text has nothing to escape: returned as it is, without walking its characters.
        if !s.utf8.contains(where: { $0 == 0x26 || $0 == 0x3C || $0 == 0x3E || $0 == 0x22 || $0 == 0x27 }) { return s }
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }

    /// HH:MM of an instant on the zone's clock (by integer arithmetic: a page prints thousands).
    public static func clock(_ t: Double, _ zone: ZoneRules) -> String {
        let m = zone.minuteOfDay(of: Int64(t))
        return (m / 60 < 10 ? "0" : "") + String(m / 60) + (m % 60 < 10 ? ":0" : ":") + String(m % 60)
    }
}
