import Foundation
public import Redis

/// Builds the strategies' snapshot of a symbol from the documents the other services write:
/// the ticker (ingestion), VPIN, the book's imbalance and the dealers' gamma at the live price
/// (analytics; the premarket job's gamma until analytics has one), the options flow, the unusual
/// activity and the sentiment (the premarket job). One pipeline of
/// GETs for all the symbols; a missing or damaged document leaves its fields nil, and the
/// strategy that needs them says so.
public enum SnapshotReader {
    /// The keys read per symbol, in this order.
    public static func keys(_ symbol: String) -> [String] {
        [
            TickerDocument.key(symbol), VPINDocument.key(symbol), ImbalanceDocument.key(symbol), ExposureDocument.gexKey(symbol),
            OptionsFlowDocument.key(symbol), UnusualActivityDocument.key(symbol), SentimentDocument.key(symbol), SweepsDocument.key(symbol),
            DiscoveredParametersDocument.key(symbol), ExposureDocument.liveGEXKey(symbol),
        ]
    }

    static let perSymbol = 10

    /// The documents a symbol's snapshot is made of, read (nil: absent or damaged).
    public struct Documents: Sendable {
        public var ticker: TickerDocument?
        public var vpin: VPINDocument?
        public var imbalance: ImbalanceDocument?
        /// The premarket job's dealer gamma, and the analytics' at the live price (preferred).
        public var gex: ExposureDocument? { didSet { rankStrikes() } }
        public var liveGEX: ExposureDocument? { didSet { rankStrikes() } }
        /// `gammaStrikes` of the preferred gamma document, ranked when it is set (not each read).
        public private(set) var gammaStrikes: [SymbolSnapshot.GammaStrike] = []
        public var flow: OptionsFlowDocument?
        public var unusual: UnusualActivityDocument?
        public var sentiment: SentimentDocument?
        public var sweeps: SweepsDocument?
        public var discovered: DiscoveredParametersDocument?
        public init() {}

        /// The documents' texts in `keys` order.
        public init(texts: [String?]) {
            ticker = TickerDocument.read(texts[0])
            vpin = VPINDocument.read(texts[1])
            imbalance = ImbalanceDocument.read(texts[2])
            gex = ExposureDocument.read(texts[3])
            flow = OptionsFlowDocument.read(texts[4])
            unusual = UnusualActivityDocument.read(texts[5])
            sentiment = SentimentDocument.read(texts[6])
            sweeps = SweepsDocument.read(texts[7])
            discovered = DiscoveredParametersDocument.read(texts[8])
            liveGEX = ExposureDocument.read(texts[9])
            rankStrikes()
        }

        private mutating func rankStrikes() {
            gammaStrikes = (liveGEX ?? gex).map { SnapshotReader.gammaStrikes($0.byStrike) } ?? []
        }
    }

    /// The snapshot from the documents' texts (in `keys` order); nil without a ticker to price it.
    public static func symbol(_ symbol: String, texts: [String?]) -> SymbolSnapshot? {
        guard texts.count == perSymbol, texts[0] != nil else { return nil }
        return self.symbol(symbol, documents: Documents(texts: texts))
    }

    /// The snapshot from the documents; nil without a ticker to price it.
    public static func symbol(_ symbol: String, documents d: Documents) -> SymbolSnapshot? {
        guard let ticker = d.ticker else { return nil }
        let price = ticker.bid > 0 && ticker.ask > 0 ? (ticker.bid + ticker.ask) / 2 : ticker.last
        guard price > 0 else { return nil }
        var x = SymbolSnapshot(symbol: symbol, price: price, open: ticker.open, vwap: ticker.vwap)
        x.updated = Double(ticker.timestamp) / 1000
        x.vpin = d.vpin?.value
        x.imbalance = d.imbalance?.value
        if let gex = d.liveGEX ?? d.gex {
            x.gex = gex.total
            x.flip = gex.flip
            x.gammaStrikes = d.gammaStrikes
        }
        x.flow = d.flow?.tilt
        if let unusual = d.unusual, !unusual.contracts.isEmpty {
            let calls = unusual.contracts.filter { $0.type == "call" }.reduce(0) { $0 + $1.premium }
            let puts = unusual.contracts.filter { $0.type == "put" }.reduce(0) { $0 + $1.premium }
            x.unusual = .init(
                volumeToOpenInterest: unusual.contracts.map(\.ratio).max() ?? 0, premium: calls + puts,
                side: calls > puts ? 1 : puts > calls ? -1 : 0, sweeps: d.sweeps?.count ?? 0)
        }
        x.sentiment = d.sentiment?.score
        if let volatility = d.discovered?.volatility {
            // Discovery's realized volatility is annualized over 252 sessions: a day's is √252 smaller.
            x.volatility = volatility.current / 252.0.squareRoot()
            x.regime = volatility.regime
        }
        return x
    }

    /// The five strikes holding most of the gamma, with their shares of it (|gamma| over all)
    /// and its sign.
    public static func gammaStrikes(_ byStrike: [[Double]]) -> [SymbolSnapshot.GammaStrike] {
        let rows = byStrike.compactMap { $0.count == 2 ? ($0[0], $0[1]) : nil }
        let total = rows.reduce(0) { $0 + abs($1.1) }
        guard total > 0 else { return [] }
        return rows.sorted { abs($0.1) > abs($1.1) }.prefix(5).map { .init(strike: $0.0, share: abs($0.1) / total, long: $0.1 > 0) }
    }

    /// Every symbol's snapshot, in one round trip.
    public static func read(_ redis: RedisClient, symbols: [String]) throws(RedisClient.Failure) -> [String: SymbolSnapshot] {
        try read(redis, symbols: symbols, with: []).snapshots
    }

    /// Every symbol's snapshot and the replies to `extra` commands, sent after the GETs in the
    /// same round trip (a service's other reads and its heartbeat).
    public static func read(
        _ redis: RedisClient, symbols: [String], with extra: [[String]]
    ) throws(RedisClient.Failure) -> (snapshots: [String: SymbolSnapshot], extra: [RedisReply]) {
        let replies = try redis.pipeline(symbols.flatMap { keys($0).map { ["GET", $0] } } + extra)
        var result: [String: SymbolSnapshot] = [:]
        for (i, s) in symbols.enumerated() {
            let texts = replies[(i * perSymbol)..<(i * perSymbol + perSymbol)].map(\.text)
            if let x = symbol(s, texts: Array(texts)) { result[s] = x }
        }
        return (result, Array(replies[(symbols.count * perSymbol)...]))
    }
}
