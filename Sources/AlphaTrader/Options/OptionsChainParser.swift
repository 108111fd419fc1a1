public import Foundation

public enum OptionsChainParser {
    /// Parses and validates a chain reply. Structural damage (truncated JSON, a field of the
    /// wrong type) fails the whole reply; a contract whose values are out of range is counted
    /// as invalid and left out.
    public static func parse(_ data: Data, symbol: String) throws(AlphaVantageReply) -> OptionsChain {
        do {
            return try data.withUnsafeBytes { raw in try parse(raw, symbol: symbol) }
        } catch let failure as JSONScanner.Failure {
            throw .malformed(failure.description)
        } catch let reply as AlphaVantageReply {
            throw reply
        } catch {
            throw .malformed("\(error)")
        }
    }

    enum Stop: Error { case reply(AlphaVantageReply) }

    static func parse(_ raw: UnsafeRawBufferPointer, symbol: String) throws -> OptionsChain {
        var s = JSONScanner(raw)
        var chain = OptionsChain(symbol: symbol, contracts: [], invalid: [:])
        var sawData = false
        try s.expect(UInt8(ascii: "{"))
        if try s.peek() == UInt8(ascii: "}") { throw AlphaVantageReply.malformed("an empty object, no \"data\"") }
        repeat {
            let (key, _) = try s.stringRange()
            try s.expect(UInt8(ascii: ":"))
            if s.equals(key, "data") {
                sawData = true
                try s.expect(UInt8(ascii: "["))
                if try s.peek() == UInt8(ascii: "]") {
                    s.position += 1
                } else {
                    chain.contracts.reserveCapacity(raw.count / 450)
                    var row = 0
                    repeat {
                        let c = try contract(&s, row: row)
                        if let why = validate(c) { chain.invalid[why, default: 0] += 1 } else { chain.contracts.append(c) }
                        row += 1
                    } while try s.more(closing: UInt8(ascii: "]"))
                }
            } else if s.equals(key, "Note") || s.equals(key, "Information") {
                throw AlphaVantageReply.rateLimited(try s.string())
            } else if s.equals(key, "Error Message") {
                throw AlphaVantageReply.refused(try s.string())
            } else {
                try s.skipValue()
            }
        } while try s.more(closing: UInt8(ascii: "}"))
        guard sawData else { throw AlphaVantageReply.malformed("no \"data\" array in the reply") }
        return chain
    }

    static func contract(_ s: inout JSONScanner, row: Int) throws -> OptionContract {
        var c = OptionContract()
        var seen = 0
        try s.expect(UInt8(ascii: "{"))
        if try s.peek() == UInt8(ascii: "}") { s.position += 1; throw AlphaVantageReply.malformed("contract #\(row) is an empty object") }
        repeat {
            let (key, _) = try s.stringRange()
            try s.expect(UInt8(ascii: ":"))
            func num(_ bit: Int) throws -> Double {
                do {
                    guard let v = try s.number() else { return .nan }
                    seen |= bit
                    return v
                } catch let f as JSONScanner.Failure {
                    throw AlphaVantageReply.malformed("contract #\(row), field \"\(s.text(key))\": \(f.reason) (\(f.description))")
                }
            }
            switch true {
            case s.equals(key, "contractID"): c.contractID = try s.string(); seen |= 1
            case s.equals(key, "expiration"): c.expiration = try s.string(); seen |= 2
            case s.equals(key, "strike"): c.strike = try num(4)
            case s.equals(key, "type"):
                let t = try s.string()
                guard let k = OptionContract.Kind(rawValue: t) else { c.kind = .call; c.strike = -1; continue }
                c.kind = k; seen |= 8
            case s.equals(key, "last"): c.last = try num(0)
            case s.equals(key, "mark"): c.mark = try num(0)
            case s.equals(key, "bid"): c.bid = try num(16)
            case s.equals(key, "ask"): c.ask = try num(32)
            case s.equals(key, "bid_size"): c.bidSize = try num(0)
            case s.equals(key, "ask_size"): c.askSize = try num(0)
            case s.equals(key, "volume"): c.volume = try num(0)
            case s.equals(key, "open_interest"): c.openInterest = try num(64)
            case s.equals(key, "implied_volatility"): c.iv = try num(128)
            case s.equals(key, "delta"): c.delta = try num(256)
            case s.equals(key, "gamma"): c.gamma = try num(512)
            case s.equals(key, "theta"): c.theta = try num(0)
            case s.equals(key, "vega"): c.vega = try num(0)
            case s.equals(key, "rho"): c.rho = try num(0)
            default: try s.skipValue()
            }
        } while try s.more(closing: UInt8(ascii: "}"))
        if seen & 1023 != 1023 {
            // Missing identity or greeks: an invalid row, flagged by a NaN strike.
            c.strike = .nan
        }
        return c
    }

    /// Why a contract cannot be used, or nil.
    public static func validate(_ c: OptionContract) -> String? {
        if !c.strike.isFinite || c.strike <= 0 { return "missing fields or a non-positive strike" }
        if !(c.iv > 0 && c.iv < 5) { return "implied volatility outside (0, 5)" }
        for p in [c.last, c.mark, c.bid, c.ask] where p.isFinite && p < 0 { return "a negative price" }
        if c.bid.isFinite && c.ask.isFinite && c.ask > 0 && c.bid > c.ask { return "bid above ask" }
        if !c.delta.isFinite || (c.kind == .call ? !(0...1).contains(c.delta) : !(-1...0).contains(c.delta)) {
            return "delta out of range for a \(c.kind.rawValue)"
        }
        if !c.gamma.isFinite || c.gamma < 0 { return "negative gamma" }
        if c.theta.isFinite && c.theta > 0 {
            // Only an in-the-money put may gain value with time (the interest on its strike):
            // at most r·K a day, bounded here with a generous r of 10 %.
            if !(c.kind == .put && c.delta < -0.5 && c.theta <= 0.1 * c.strike / 365) { return "positive theta" }
        }
        if !c.openInterest.isFinite || c.openInterest < 0 || (c.volume.isFinite && c.volume < 0) { return "negative volume or open interest" }
        return nil
    }
}
