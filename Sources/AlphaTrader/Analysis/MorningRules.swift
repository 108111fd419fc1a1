import Foundation

/// The morning analysis written by rules from the picture ("generated without AI"): what runs
/// when there is no model to ask, or the model fails. Every figure it states is the picture's;
/// every judgement is one of the rules below, so a reader can check it.
///
/// - A symbol's lean, −1…+1: the weighted mean of the overnight move (±0.6 % is full weight 1),
///   the news sentiment (±0.3, weight 1; ETFs have none), the unusual options premium's side
///   ((calls − puts) / (calls + puts), weight 0.8), the put/call volume ratio (below 0.7 +1,
///   above 1.2 −1, weight 0.5), the MACD histogram's sign (weight 0.5) and RSI at an extreme
///   (above 70 −1, below 30 +1: stretched, weight 0.5). Above +0.2 bullish, below −0.2 bearish.
/// - The day's bias: SPY's lean and QQQ's (0.6 / 0.4), by the same thresholds.
/// - The gamma regime: above the flip with dealers long gamma, moves are damped (they sell rises
///   and buy dips) — a range between the floor pivots S1 and R1, the strongest long-gamma strike
///   a pin; below the flip or with dealers short gamma, moves extend.
/// - Scenarios for SPY: the range between the nearest levels (pivots, prior high, low and close)
///   below and above the premarket price, the break lower (through the flip when it lies
///   between), the break higher — with
///   weights 0.5 / 0.25 / 0.25 for long gamma (0.3 / 0.35 / 0.35 short), moved 0.1 toward the
///   bias's side: weights of the rules, not forecasts.
public enum MorningRules {
    static let indexWeights: [(String, Double)] = [("SPY", 0.6), ("QQQ", 0.4)]

    public static func analyze(_ p: MorningPicture) -> MorningAnalysis {
        let leans = Dictionary(uniqueKeysWithValues: p.symbols.map { ($0.symbol, lean($0)) })
        let weighted = indexWeights.compactMap { name, w in leans[name].map { ($0, w) } }
        let dayLean = weighted.isEmpty ? 0 : weighted.map { $0.0 * $0.1 }.reduce(0, +) / weighted.map(\.1).reduce(0, +)
        let bias = MorningRules.bias(dayLean)
        let spy = p.symbols.first { $0.symbol == "SPY" } ?? p.symbols.first
        var levels: [MorningAnalysis.Level] = []
        for x in p.symbols { levels += MorningRules.levels(x, index: OptionExpiries.daily.contains(x.symbol)) }
        return MorningAnalysis(
            bias: bias, summary: summary(p, bias: bias, lean: dayLean, spy: spy), levels: levels, scenarios: spy.map { scenarios($0, bias: bias) } ?? [],
            risks: risks(p),
            symbols: p.symbols.map { MorningAnalysis.SymbolNote(symbol: $0.symbol, bias: MorningRules.bias(leans[$0.symbol] ?? 0), note: note($0)) })
    }

    static func bias(_ lean: Double) -> MorningAnalysis.Bias { lean > 0.2 ? .bullish : lean < -0.2 ? .bearish : .neutral }

    static func clamp(_ x: Double) -> Double { max(-1, min(1, x)) }

    /// A symbol's lean (see the type's notes); 0 with nothing to go on.
    public static func lean(_ x: MorningPicture.Symbol) -> Double {
        var parts: [(Double, Double)] = []
        if let o = x.overnightPct { parts.append((clamp(o / 0.6), 1)) }
        if let s = x.sentiment, (x.articles ?? 0) > 0 { parts.append((clamp(s / 0.3), 1)) }
        if let c = x.unusualCallPremium, let u = x.unusualPutPremium, c + u > 0 { parts.append(((c - u) / (c + u), 0.8)) }
        if let pc = x.putCallVolume { parts.append((pc < 0.7 ? 1 : pc > 1.2 ? -1 : 0, 0.5)) }
        if let h = x.macdHistogram, h != 0 { parts.append((h > 0 ? 1 : -1, 0.5)) }
        if let r = x.rsi, r > 70 || r < 30 { parts.append((r > 70 ? -1 : 1, 0.5)) }
        let weight = parts.map(\.1).reduce(0, +)
        return weight > 0 ? parts.map { $0.0 * $0.1 }.reduce(0, +) / weight : 0
    }

    /// Dealers long gamma at the premarket price (above the flip, positive exposure): damped.
    static func longGamma(_ x: MorningPicture.Symbol) -> Bool? {
        guard let gex = x.gex else { return nil }
        if let flip = x.flip, let spot = x.spot { return gex > 0 && spot > flip }
        return gex > 0
    }

    static func levels(_ x: MorningPicture.Symbol, index: Bool) -> [MorningAnalysis.Level] {
        typealias L = MorningAnalysis.Level
        var out: [L] = []
        let s = x.symbol
        if let pv = x.pivots {
            out.append(L(symbol: s, price: round2(pv.pivot), kind: .pivot, note: "floor pivot (H + L + C) / 3 of \(x.priorDate ?? "the prior session")"))
            out.append(L(symbol: s, price: round2(pv.r1), kind: .resistance, note: "R1"))
            out.append(L(symbol: s, price: round2(pv.s1), kind: .support, note: "S1"))
            if index {
                out.append(L(symbol: s, price: round2(pv.r2), kind: .resistance, note: "R2"))
                out.append(L(symbol: s, price: round2(pv.s2), kind: .support, note: "S2"))
            }
        }
        if index {
            if let h = x.priorHigh { out.append(L(symbol: s, price: round2(h), kind: .resistance, note: "prior high")) }
            if let l = x.priorLow { out.append(L(symbol: s, price: round2(l), kind: .support, note: "prior low")) }
            if let c = x.priorClose { out.append(L(symbol: s, price: round2(c), kind: .pivot, note: "prior close")) }
            if let v = x.vwap {
                out.append(L(symbol: s, price: round2(v), kind: .vwap, note: "prior session's VWAP"))
                if let sd = x.vwapSD, sd > 0 {
                    for k in [1.0, 2.0] {
                        out.append(L(symbol: s, price: round2(v + k * sd), kind: .vwap, note: "VWAP +\(Int(k))σ"))
                        out.append(L(symbol: s, price: round2(v - k * sd), kind: .vwap, note: "VWAP −\(Int(k))σ"))
                    }
                }
            }
        }
        if let f = x.flip { out.append(L(symbol: s, price: round2(f), kind: .flip, note: "zero-gamma flip: dealers short gamma below it")) }
        for g in x.gammaStrikes.prefix(index ? 3 : 1) {
            out.append(
                L(
                    symbol: s, price: g.strike, kind: .gamma,
                    note: String(format: "%.0f %% of the gamma, dealers %@", g.share * 100, g.long ? "long: a pin" : "short: moves accelerate through it")))
        }
        return out.sorted { $0.price < $1.price }
    }

    static func scenarios(_ x: MorningPicture.Symbol, bias: MorningAnalysis.Bias) -> [MorningAnalysis.Scenario] {
        let long = longGamma(x) ?? true
        var range = long ? 0.5 : 0.3, down = long ? 0.25 : 0.35, up = long ? 0.25 : 0.35
        switch bias {
        case .bullish: up += 0.1; down -= 0.1
        case .bearish: down += 0.1; up -= 0.1
        case .neutral: break
        }
        let s = x.symbol
        // The range: the nearest level below the premarket price and the nearest above it.
        let levels = [x.pivots?.s2, x.pivots?.s1, x.pivots?.pivot, x.pivots?.r1, x.pivots?.r2, x.priorLow, x.priorHigh, x.priorClose].compactMap { $0 }
        let spot = x.spot ?? x.priorClose ?? 0
        let low = levels.filter { $0 < spot }.max().map(round2), high = levels.filter { $0 > spot }.min().map(round2)
        // Below the flip moves extend: the flip is the trigger when it lies between the range's floor and the price.
        let floor = x.flip.flatMap { f in f < spot && f > (low ?? 0) ? round2(f) : nil } ?? low
        let pin = x.gammaStrikes.first(where: \.long)?.strike
        func price(_ v: Double?) -> String { v.map { String(format: "%.2f", $0) } ?? "the next level" }
        return [
            .init(
                name: "range", probability: range,
                trigger: "\(s) holds between \(price(low)) and \(price(high))\(long ? " with dealers long gamma" : "")",
                plan: "fade the edges of the range" + (pin.map { "; mean reversion toward the \(String(format: "%.0f", $0)) pin into the afternoon" } ?? "")),
            .init(
                name: "break lower", probability: down, trigger: "\(s) trades below \(price(floor))",
                plan: (long ? "a break of the range; below the flip dealers turn short gamma and moves extend" : "dealers short gamma: moves extend")
                    + " — momentum toward \(price(levels.filter { $0 < (floor ?? spot) }.max()))"),
            .init(
                name: "break higher", probability: up, trigger: "\(s) trades above \(price(high))",
                plan: "follow through toward \(price(levels.filter { $0 > (high ?? spot) }.min()))"),
        ]
    }

    static func risks(_ p: MorningPicture) -> [String] {
        var out: [String] = []
        for e in p.events {
            out.append("\(e.title) at \(e.time) ET: spreads widen and prices gap around the release")
        }
        if !p.unknownSchedules.isEmpty {
            out.append("release schedule not yet published for this day: \(p.unknownSchedules.joined(separator: ", ")) — check before trading")
        }
        for x in p.symbols where OptionExpiries.daily.contains(x.symbol) {
            if longGamma(x) == false { out.append("\(x.symbol): dealers short gamma at the premarket price — moves extend instead of reverting") }
            if let o = x.overnightPct, abs(o) >= 1 { out.append(String(format: "%@: a %+.1f %% overnight gap", x.symbol, o)) }
        }
        for x in p.symbols {
            if let r = x.rsi, r > 75 || r < 25 { out.append(String(format: "%@: RSI %.0f, stretched", x.symbol, r)) }
            if let pc = x.putCallVolume, pc > 1.5 { out.append(String(format: "%@: put/call volume %.2f — heavy hedging", x.symbol, pc)) }
        }
        for h in p.held { out.append("held overnight: \(h.instrument) (\(h.strategy), \(h.side == "BUY" ? "long" : "short"))") }
        if !p.missing.isEmpty { out.append("not known this morning: " + p.missing.joined(separator: "; ")) }
        return out
    }

    static func summary(_ p: MorningPicture, bias: MorningAnalysis.Bias, lean: Double, spy: MorningPicture.Symbol?) -> String {
        var sentences: [String] = []
        sentences.append(String(format: "The index bias is %@ (lean %+.2f of SPY and QQQ).", bias.rawValue, lean))
        if let x = spy, x.spot != nil || x.gex != nil {
            var s = "\(x.symbol)"
            if let spot = x.spot { s += String(format: " is at %.2f before the open", spot) }
            if let o = x.overnightPct { s += String(format: " (%+.2f %% from the prior close)", o) }
            if let long = longGamma(x) {
                s += long ? ", above the flip with dealers long gamma: expect moves to be damped" : ", with dealers short gamma: expect moves to extend"
            }
            sentences.append(s + ".")
            if let pin = x.gammaStrikes.first(where: \.long) {
                sentences.append(String(format: "The strongest pin is the %.0f strike (%.0f %% of the gamma).", pin.strike, pin.share * 100))
            }
        }
        if p.events.isEmpty {
            sentences.append(p.unknownSchedules.isEmpty ? "No major US release is scheduled today." : "The release schedule for today is not fully published.")
        } else {
            sentences.append("Today: " + p.events.map { "\($0.title) at \($0.time)" }.joined(separator: ", ") + ".")
        }
        if !p.held.isEmpty { sentences.append("\(p.held.count) position\(p.held.count == 1 ? "" : "s") held overnight.") }
        return sentences.joined(separator: " ")
    }

    static func note(_ x: MorningPicture.Symbol) -> String {
        var parts: [String] = []
        if let spot = x.spot { parts.append(String(format: "%.2f", spot) + (x.overnightPct.map { String(format: " (%+.2f %%)", $0) } ?? "")) }
        if let long = longGamma(x), let gex = x.gex {
            parts.append((long ? "dealers long gamma" : "dealers short gamma") + String(format: " (%@ per 1 %%)", money(gex)))
        }
        if let f = x.flip { parts.append(String(format: "flip %.2f", f)) }
        if let r = x.rsi { parts.append(String(format: "RSI %.0f", r)) }
        if let pc = x.putCallVolume { parts.append(String(format: "put/call %.2f", pc)) }
        if let s = x.sentiment, (x.articles ?? 0) > 0 { parts.append(String(format: "sentiment %+.2f over %d articles", s, x.articles ?? 0)) }
        if let c = x.unusualCallPremium, let u = x.unusualPutPremium, c + u > 0 {
            parts.append("unusual options: \(money(c)) calls, \(money(u)) puts")
        }
        return parts.isEmpty ? "nothing known before the open" : parts.joined(separator: "; ")
    }

    static func round2(_ x: Double) -> Double { (x * 100).rounded() / 100 }

    static func money(_ x: Double) -> String {
        let a = abs(x), sign = x < 0 ? "−" : ""
        if a >= 1e9 { return sign + String(format: "$%.1fbn", a / 1e9) }
        if a >= 1e6 { return sign + String(format: "$%.1fm", a / 1e6) }
        if a >= 1e3 { return sign + String(format: "$%.0fk", a / 1e3) }
        return sign + String(format: "$%.0f", a)
    }
}
