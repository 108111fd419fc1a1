import Foundation
public import OrchestratorCore

extension AlphaVantagePayloads {
    /// The stand-in's replies for a replayed `date` (`premarket --replay-if-no-key`): chains
    /// quoted around the prices the day's tape (`replay-gen`'s default seed) opens at.
    public static func standIn(date: String, level2: [String], standard: [String]) -> AlphaVantagePayloads {
        let spots = TapeGenerator.openingPrices(seed: TapeGenerator.defaultSeed, level2: level2, standard: standard)
        return AlphaVantagePayloads(seed: 1, date: date, spots: spots)
    }

    /// The late-day pins of a replayed day whose options are these replies: from `from` on, an
    /// index ETF whose dealers are long gamma (by the live gamma model of the same open interest
    /// the premarket job records) is drawn to the strike holding most of their long gamma,
    /// when that strike is within `reach` (a fraction) of the price. The same strike the `moc`
    /// strategy reads as the pin; names with no same-day expiry are not pinned.
    public func pinning(from: Int64, calendar: any ExchangeCalendar, reach: Double = 0.01) -> TapeGenerator.Pinning {
        let payloads = self
        return TapeGenerator.Pinning(from: from) { symbol, price in
            guard OptionExpiries.daily.contains(symbol), let day = LocalDate(parsing: payloads.date),
                // The expiries within the model's horizon lead the chain (0, 1, 3, 5, 7 days out).
                let chain = try? OptionsChainParser.parse(payloads.chain(symbol, expirations: 5), symbol: symbol),
                let model = GammaModel(
                    GammaModel.document(chain.contracts, spot: payloads.spot(symbol), today: day, timestamp: from), calendar: calendar)
            else { return nil }
            let exposure = model.exposure(spot: price, at: from)
            guard exposure.totalGEX > 0,
                let pin = SnapshotReader.gammaStrikes(exposure.byStrike.map { [$0.strike, $0.gex] }).first(where: \.long),
                abs(pin.strike / price - 1) <= reach
            else { return nil }
            return pin.strike
        }
    }
}
