import OrchestratorCore
import Redis

/// JSON written straight into bytes, for the few documents the feed rewrites thousands of times
/// a second at replay speed (the order books): no intermediate Strings, names quoted once.
/// Numbers read exactly as `JSONText.number` writes them.
struct JSONBytes {
    var bytes: [UInt8] = []

    init(capacity: Int) { bytes.reserveCapacity(capacity) }

    @inline(__always) mutating func raw(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    @inline(__always) mutating func byte(_ b: UInt8) { bytes.append(b) }

    /// Already-encoded JSON (a quoted name).
    @inline(__always) mutating func encoded(_ json: [UInt8]) { bytes.append(contentsOf: json) }

    mutating func int(_ n: Int) {
        RedisBatch.withDigits(n) { bytes.append(contentsOf: $0) }
    }

    mutating func number(_ value: Double) {
        guard value.isFinite else { raw("null"); return }
        if let whole = JSONText.integral(value) { int(Int(whole)); return }
        // A price: at most four decimals, exactly the double nearest to them. Then those digits
        // are its shortest round-trip form (what String(value) writes), with no float printing.
        let scaled = (value * 10_000).rounded()
        if abs(value) < 1e9 && scaled / 10_000 == value {
            let units = Int(scaled.magnitude)
            if value < 0 { byte(UInt8(ascii: "-")) }
            int(units / 10_000)
            var fraction = units % 10_000, width = 4
            while fraction != 0 && fraction % 10 == 0 { fraction /= 10; width -= 1 }
            byte(UInt8(ascii: "."))
            var divisor = 1
            for _ in 1..<width { divisor *= 10 }
            while divisor > 0 { byte(UInt8(48 + fraction / divisor % 10)); divisor /= 10 }
            return
        }
        var text = String(value)
        text.withUTF8 { bytes.append(contentsOf: $0) }
    }

    /// A string as a quoted JSON value, for caching.
    static func quoted(_ value: String) -> [UInt8] { Array(JSONText.string(value).utf8) }
}
