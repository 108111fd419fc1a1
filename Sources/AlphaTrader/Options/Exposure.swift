import Foundation

/// Dealer gamma and delta exposure of an options chain.
///
/// **Sign convention** (the common dealer-positioning assumption): customers are net sellers of
/// calls and net buyers of puts, so dealers are long calls and short puts. Per contract, with
/// open interest OI, 100 shares a contract and spot S:
///
///     GEX = ±Γ · OI · 100 · S² · 0.01     (+ calls, − puts): dollars of delta the dealers must
///                                          trade for a 1 % move of the underlying
///     DEX = ±Δ · OI · 100 · S             (+ calls, − puts, put Δ being negative): the dealers'
///                                          dollar delta
///
/// Positive total GEX: dealers sell rallies and buy dips (dampening); negative: they chase
/// (amplifying). The **zero-gamma flip** is where the cumulative GEX, summed over strikes from
/// the lowest up, changes sign — linearly interpolated between the two strikes around it; of
/// several such crossings (far strikes add noise around zero), the one nearest the spot; nil
/// when it never changes sign.
public struct Exposure: Sendable, Equatable {
    public var spot: Double
    public var totalGEX: Double
    public var totalDEX: Double
    /// By strike, ascending: (strike, GEX, DEX).
    public var byStrike: [(strike: Double, gex: Double, dex: Double)]
    public var flip: Double?

    public static func == (a: Exposure, b: Exposure) -> Bool {
        a.spot == b.spot && a.totalGEX == b.totalGEX && a.totalDEX == b.totalDEX && a.flip == b.flip
            && a.byStrike.count == b.byStrike.count
            && zip(a.byStrike, b.byStrike).allSatisfy { $0.strike == $1.strike && $0.gex == $1.gex && $0.dex == $1.dex }
    }

    public static func compute(_ contracts: [OptionContract], spot: Double) -> Exposure {
        var strikes: [Double: (Double, Double)] = [:]
        strikes.reserveCapacity(512)
        let gammaScale = 100 * spot * spot * 0.01, deltaScale = 100 * spot
        var totalG = 0.0, totalD = 0.0
        for c in contracts {
            let sign = c.kind == .call ? 1.0 : -1.0
            let g = sign * c.gamma * c.openInterest * gammaScale
            let d = sign * c.delta * c.openInterest * deltaScale
            totalG += g; totalD += d
            let e = strikes[c.strike] ?? (0, 0)
            strikes[c.strike] = (e.0 + g, e.1 + d)
        }
        let sorted = strikes.sorted { $0.key < $1.key }.map { (strike: $0.key, gex: $0.value.0, dex: $0.value.1) }
        var flip: Double?
        var cumulative = 0.0
        for (i, level) in sorted.enumerated() {
            let before = cumulative
            cumulative += level.gex
            if i > 0, before != 0, (before < 0) != (cumulative < 0) {
                let previous = sorted[i - 1].strike
                let crossing = previous + (level.strike - previous) * (0 - before) / (cumulative - before)
                if flip == nil || abs(crossing - spot) < abs(flip! - spot) { flip = crossing }
            }
        }
        return Exposure(spot: spot, totalGEX: totalG, totalDEX: totalD, byStrike: sorted, flip: flip)
    }

    /// The underlying's price implied by the chain (put–call parity at the nearest expiry:
    /// S ≈ K + C − P at the strike where call and put marks are closest), for a chain read before
    /// the market opens, when no trade gives the spot.
    public static func impliedSpot(_ contracts: [OptionContract]) -> Double? {
        guard let nearest = contracts.map(\.expiration).min() else { return nil }
        var calls: [Double: Double] = [:], puts: [Double: Double] = [:]
        for c in contracts where c.expiration == nearest {
            let price = c.mark > 0 ? c.mark : (c.bid + c.ask) / 2
            guard price > 0 else { continue }
            if c.kind == .call { calls[c.strike] = price } else { puts[c.strike] = price }
        }
        var best: (Double, Double)?
        for (k, call) in calls {
            guard let put = puts[k] else { continue }
            let gap = abs(call - put)
            if best == nil || gap < best!.1 { best = (k + call - put, gap) }
        }
        return best.map(\.0)
    }
}
