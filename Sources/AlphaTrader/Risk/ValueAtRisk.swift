import Foundation

/// Portfolio value at risk, 95 %, one day, delta–gamma.
///
/// For each position i on underlying s with price S, quantity q, multiplier m, delta δ and gamma
/// γ (a stock: δ = 1, γ = 0), a one-day return r ~ N(0, σ_s²) of the underlying changes the
/// position's value by about D_i·r + ½·G_i·r², with D_i = q·m·δ·S (dollar delta) and
/// G_i = q·m·γ·S² (dollar gamma). Summed per underlying (D_s, G_s), the book's change has
///   standard deviation  σ_P = √(Σ_s Σ_t D_s σ_s ρ_st σ_t D_t)
///   and mean            μ_P = ½ Σ_s G_s σ_s²
/// and VaR = max(0, 1.645·σ_P − μ_P): long gamma makes the loss smaller, short gamma larger.
/// (Gamma's own contribution to the spread, ½·Σ G_s² σ_s⁴, is small next to delta's for a day and
/// left out; the README says so.)
public enum ValueAtRisk {
    public static let z95 = 1.6448536269514722

    public static func deltaGamma(
        _ positions: [Instrument: Int], quotes: [Instrument: RiskQuote], volatility: [String: Double], correlation: (String, String) -> Double
    ) -> Double {
        // Per underlying, in arrays: dollar delta, dollar gamma, volatility.
        var symbols: [String] = [], delta: [Double] = [], gamma: [Double] = [], sigma: [Double] = []
        symbols.reserveCapacity(positions.count)
        // In the instruments' order: the sums are the same to the last bit whatever order the
        // dictionary keeps (a backtest's journal is byte for byte the same run to run).
        for (instrument, quantity) in positions.sorted(by: { $0.key.description < $1.key.description }) where quantity != 0 {
            guard let q = quotes[instrument] else { continue }
            let symbol = instrument.symbol
            let option = instrument.isOption
            let s = option ? q.underlying : q.mid
            let m = instrument.multiplier * Double(quantity)
            let i: Int
            if let found = symbols.firstIndex(of: symbol) {
                i = found
            } else {
                symbols.append(symbol); delta.append(0); gamma.append(0); sigma.append(volatility[symbol] ?? 0)
                i = symbols.count - 1
            }
            delta[i] += m * (option ? q.delta : 1) * s
            gamma[i] += m * (option ? q.gamma : 0) * s * s
        }
        // σ_P² = Σ_s (D_s σ_s)² + 2 Σ_{s<t} D_s σ_s ρ_st σ_t D_t
        var variance = 0.0, mean = 0.0
        for a in symbols.indices {
            let da = delta[a] * sigma[a]
            variance += da * da
            mean += gamma[a] * sigma[a] * sigma[a]
            for b in (a + 1)..<symbols.count where da != 0 {
                variance += 2 * da * correlation(symbols[a], symbols[b]) * sigma[b] * delta[b]
            }
        }
        return max(0, z95 * sqrt(max(0, variance)) - 0.5 * mean)
    }
}
