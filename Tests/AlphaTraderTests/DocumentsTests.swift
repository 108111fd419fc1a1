import AlphaTrader
import Foundation
import Testing

/// Each Redis value has one definition: what the writer's `json` says, every reader's `read`
/// gets back — field by field, with SPEC §7's snake_case names — and a damaged value is nil,
/// never half read.
@Suite("Typed Redis documents")
struct DocumentsTests {
    func roundTrips<D: RedisDocument & Equatable>(_ document: D) -> Bool { D.read(document.json) == document }

    @Test("what a writer writes, a reader reads back, for every document")
    func everyDocumentRoundTrips() {
        #expect(
            roundTrips(
                TickerDocument(
                    symbol: "SPY", bid: 600.01, ask: 600.03, bidSize: 300, askSize: 500, last: 600.02, open: 598.5, high: 601.25, low: 597.8,
                    volume: 1_234_567, vwap: 599.8765, trades: 4_321, timestamp: 1_796_653_865_123)))
        #expect(roundTrips(LastTradeDocument(price: 600.02, size: 100, exchange: "ARCA", timestamp: 1_796_653_865_123)))
        #expect(roundTrips(TradeSizesDocument(counts: [100: 5_210, 200: 1_984, 1_000: 12])))
        #expect(
            roundTrips(
                MakerActivityDocument(makers: [
                    .init(exchange: "ARCA", maker: "CDRG \"Citadel\"", updates: 900, topUpdates: 120, sizeSum: 88_000),
                    .init(exchange: "ISLAND", maker: "VIRT", updates: 10, topUpdates: 0, sizeSum: 300),
                ])))
        #expect(
            roundTrips(
                ExposureDocument(
                    spot: 600.5, total: -1.2e9, flip: 603.25, unit: ExposureDocument.gammaUnit, byStrike: [[595, -2e8], [600, 4e8]], timestamp: 1_796_630_000)))
        #expect(roundTrips(ExposureDocument(spot: 600.5, total: 3e9, flip: nil, unit: ExposureDocument.deltaUnit, byStrike: [], timestamp: 1_796_630_000)))
        var params = DiscoveredParametersDocument(trades: 56_000, bars: 4_680, timestamp: 1_796_653_865_000)
        params.vpinBucket = 25_000
        params.tradeSizeClusters = [.init(center: 100, share: 0.61), .init(center: 500, share: 0.2)]
        params.lookbackBars = 12; params.lookbackSeconds = 60; params.significantLags = [1, 3]
        params.volatility = .init(current: 0.0012, low: 0.0008, high: 0.0019, regime: "normal")
        #expect(roundTrips(params))
        #expect(roundTrips(DiscoveredParametersDocument(trades: 12, bars: 3, timestamp: nil)), "a thin day: the optional fields absent")
        #expect(roundTrips(DayPnLDocument(session: "2026-11-25", realized: 120.5, unrealized: -30.25, commissions: 4.3, highWaterMark: 200, timestamp: 1)))
        #expect(roundTrips(RiskStateDocument(state: .halted, since: "2026-12-07T15:02:11Z", reason: "emergency: operator")))
        var breakers = BreakerState(since: 1_796_650_000)
        breakers.state = .reducing; breakers.consecutiveLosses = ["0dte": 2]; breakers.pausedUntil = ["moc": 1_796_660_000]; breakers.sizeFactor = 0.5
        #expect(roundTrips(VPINDocument(value: 0.62, buckets: 50, bucketVolume: 25_000, window: 50, trades: 9_000, timestamp: 1)))
        #expect(roundTrips(VPINDocument(value: nil, buckets: 3, bucketVolume: 25_000, window: 50, trades: 40, timestamp: 1)))
        #expect(roundTrips(SweepsDocument(count: 3, last: .init(side: "sell", levels: 4, exchanges: 3, size: 12_000, timestamp: 9), timestamp: 10)))
        #expect(roundTrips(SweepsDocument(count: 0, last: nil, timestamp: 10)))
        #expect(roundTrips(ImbalanceDocument(value: -0.25, bid: 300, ask: 500, timestamp: 1)))
        #expect(
            roundTrips(
                OptionsFlowDocument(putCallVolume: nil, putCallOpenInterest: 1.2, callVolume: 1, putVolume: 2, callPremium: 3, putPremium: 4, timestamp: 1)))
        #expect(
            roundTrips(
                UnusualActivityDocument(
                    contracts: [
                        .init(
                            contract: "SPY261218C00610000", type: "call", strike: 610, expiration: "2026-12-18", volume: 5_000, openInterest: 900, ratio: 5.56,
                            premium: 410_000)
                    ],
                    rule: "volume >= 2 x open interest", timestamp: 1)))
        #expect(roundTrips(SentimentDocument(ticker: "NVDA", score: -0.21, label: "Somewhat-Bearish", articles: 9, bullish: 1, bearish: 5, timestamp: 1)))
        #expect(
            OptionsFlowDocument(putCallVolume: nil, putCallOpenInterest: nil, callVolume: 0, putVolume: 0, callPremium: 0, putPremium: 0, timestamp: 1).tilt
                == nil)
        #expect(roundTrips(RiskDailyDocument(session: "2026-12-07", breakers: breakers, limits: RiskLimits(), timestamp: 1)))
    }

    @Test("the JSON carries SPEC §7's names, and a delta document has no flip field")
    func names() {
        let ticker = TickerDocument(
            symbol: "QQQ", bid: 1, ask: 2, bidSize: 3, askSize: 4, last: 1.5, open: 1, high: 2, low: 1, volume: 10, vwap: 1.5, trades: 2, timestamp: 5)
        #expect(ticker.json.contains("\"bid_size\":3") && ticker.json.contains("\"ask_size\":4") && ticker.json.contains("\"timestamp\":5"))
        let delta = ExposureDocument(spot: 1, total: 2, flip: nil, unit: ExposureDocument.deltaUnit, byStrike: [[1, 2]], timestamp: 3)
        #expect(!delta.json.contains("flip") && delta.json.contains("\"by_strike\":[[1,2]]"))
        let gamma = ExposureDocument(spot: 1, total: 2, flip: nil, unit: ExposureDocument.gammaUnit, byStrike: [], timestamp: 3)
        #expect(gamma.json.contains("\"flip\":null"))
        var params = DiscoveredParametersDocument(trades: 1, bars: 2, timestamp: 3)
        params.vpinBucket = 5_000
        #expect(params.json.contains("\"vpin_bucket\":5000") && !params.json.contains("lookback"))
        let pnl = DayPnLDocument(session: "2026-11-25", realized: 10, unrealized: -25, commissions: 1, highWaterMark: 40, timestamp: 1)
        #expect(pnl.total == -15 && pnl.highWaterMark == 40 && pnl.drawdown == 55)
        #expect(DayPnLDocument(session: "2026-11-25", realized: 50, unrealized: 0, commissions: 0, highWaterMark: 40, timestamp: 1).highWaterMark == 50)
    }

    @Test(
        "a damaged value is nil, not half read",
        arguments: [
            "", "not json", "{\"price\":\"600\",\"size\":1,\"exchange\":\"ARCA\",\"timestamp\":1}", "{\"price\":600,\"size\":1,\"exchange\":\"ARCA\"}",
            "[1,2]", "{\"price\":600,\"size\":1.5,\"exchange\":\"ARCA\",\"timestamp\":1}",
        ])
    func damaged(text: String) {
        #expect(LastTradeDocument.read(text) == nil)
    }

    @Test("sizes that are not sizes, makers without their counts and unknown risk states are refused")
    func refusals() {
        #expect(TradeSizesDocument.read("{\"abc\":3}") == nil)
        #expect(TradeSizesDocument.read("{\"-5\":3}") == nil)
        #expect(MakerActivityDocument.read("[{\"exchange\":\"ARCA\",\"maker\":\"X\",\"updates\":1}]") == nil)
        #expect(RiskStateDocument.read("{\"state\":\"PAUSED\",\"since\":\"x\",\"reason\":\"y\"}") == nil)
        #expect(TradeSizesDocument.read(nil) == nil)
    }
}
