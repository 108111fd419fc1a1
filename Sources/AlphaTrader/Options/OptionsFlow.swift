/// Unusual activity and flow of a chain.
public struct OptionsFlow: Sendable {
    public var putCallVolume: Double?
    public var putCallOpenInterest: Double?
    public var callPremium: Double
    public var putPremium: Double
    public var callVolume: Double
    public var putVolume: Double
    /// Contracts trading far above their open interest (volume / OI ≥ 2 and volume ≥ 100),
    /// highest ratio first, at most 25.
    public var unusual: [(contract: OptionContract, ratio: Double)]

    public static func compute(_ contracts: [OptionContract]) -> OptionsFlow {
        var cv = 0.0, pv = 0.0, coi = 0.0, poi = 0.0, cp = 0.0, pp = 0.0
        var unusual: [(OptionContract, Double)] = []
        for c in contracts {
            let price = c.mark > 0 ? c.mark : c.last
            if c.kind == .call {
                cv += c.volume; coi += c.openInterest; cp += c.volume * price * 100
            } else {
                pv += c.volume; poi += c.openInterest; pp += c.volume * price * 100
            }
            if c.volume >= 100 {
                let ratio = c.openInterest > 0 ? c.volume / c.openInterest : c.volume
                if ratio >= 2 { unusual.append((c, ratio)) }
            }
        }
        unusual.sort { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0.contractID < $1.0.contractID }
        return OptionsFlow(
            putCallVolume: cv > 0 ? pv / cv : nil, putCallOpenInterest: coi > 0 ? poi / coi : nil,
            callPremium: cp, putPremium: pp, callVolume: cv, putVolume: pv,
            unusual: Array(unusual.prefix(25)).map { (contract: $0.0, ratio: $0.1) })
    }
}
