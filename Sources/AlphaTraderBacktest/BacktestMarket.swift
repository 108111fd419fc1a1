public import AlphaTrader
import Foundation
public import OrchestratorCore

/// What the live day keeps in Redis for the execution service, kept in process for a backtest:
/// ingestion's market state fed the tape's events, the analytics fed its stream entries, the
/// premarket job's options documents, discovery's parameters and correlations, the strategies
/// `market-open` enabled and the `moc` job's request — each written by the same code as live
/// (`MarketState`, `SymbolAnalytics`, `PremarketJob.optionsValues`, `DiscoveryJob.compute` and
/// `render`), and read by the service through `SnapshotReader` as live.
///
/// The hot documents (ticker, VPIN, imbalance, sweeps) are handed over as the typed values
/// their JSON is written from — a JSON round trip of them is exact (numbers are written in
/// their shortest round-trip form) and would cost more than the rest of a step; the others are
/// written as JSON and read back, as live.
public final class BacktestMarket: ExecutionFeed {
    public let symbols: [String]
    private var state: MarketState
    private var analytics: [SymbolAnalytics]
    private var documents: [SnapshotReader.Documents]
    /// When each symbol's live gamma document lapses (it lives 5 market minutes past its writing).
    private var liveGEXUntil: [Double]
    private var gammaModels: [GammaModel?]
    /// Each symbol's `market:{sym}:history` rows, as ingestion writes them (discovery reads them).
    private var history: [[String]]
    private var discovery: DiscoveryState
    private var discoveredYAML: String?
    private let calendar: any ExchangeCalendar
    private var index: [String: Int] = [:]
    /// `risk:state` as an operator would have set it (nothing in a backtest), `strategies:enabled`,
    /// `discovery:correlation`.
    private var enabled: String?
    private var correlations: String?
    private var requests: [String] = []
    /// The answers to the jobs' requests, in order.
    public private(set) var replies: [(request: ExecutionRequest, json: String)] = []
    public private(set) var events = 0

    public init(header: TapeHeader, calendar: any ExchangeCalendar, session: String) {
        symbols = header.symbols
        state = MarketState(header: header)
        analytics = header.symbols.map { SymbolAnalytics(symbol: $0, bucketVolume: AnalyticsService.defaultBucket) }
        documents = Array(repeating: SnapshotReader.Documents(), count: header.symbols.count)
        liveGEXUntil = Array(repeating: -.infinity, count: header.symbols.count)
        gammaModels = Array(repeating: nil, count: header.symbols.count)
        history = Array(repeating: [], count: header.symbols.count)
        discovery = DiscoveryState(session: session, symbols: header.symbols)
        self.calendar = calendar
        for (i, s) in header.symbols.enumerated() { index[s] = i }
    }

    // MARK: Ingestion and analytics

    /// One tape event, as ingestion applies it.
    public func apply(_ event: MarketEvent) {
        events += 1
        state.apply(event)
    }

    /// What ingestion would have published since the last call, read by the analytics as they
    /// read the stream, and the documents the strategies read brought up to date.
    public func publish() {
        var touched = Array(repeating: false, count: symbols.count)
        state.drain { s, item in
            switch item {
            case .trade(let t, let quote):
                analytics[s].entry(t, quote: quote)
                touched[s] = true
            case .bar(let b):
                history[s].append(MarketState.historyRow(b))
            case .ticker(let ticker):
                documents[s].ticker = ticker
            }
        }
        for s in symbols.indices where touched[s] {
            documents[s].vpin = analytics[s].vpinDocument
            documents[s].imbalance = analytics[s].imbalanceDocument
            documents[s].sweeps = analytics[s].sweepsDocument
        }
    }

    /// The analytics service's once-a-market-minute work: the VPIN bucket discovery found, and
    /// the dealers' gamma re-priced at each symbol's last trade (`analytics:{sym}:gex`).
    public func everyMinute(now: Double) {
        for s in symbols.indices {
            if let bucket = documents[s].discovered?.vpinBucket.map(Double.init), bucket > 0, bucket != analytics[s].vpin.bucketVolume {
                analytics[s].vpin.resize(bucket)
            }
            guard let model = gammaModels[s], analytics[s].lastPrice > 0 else { continue }
            let e = model.exposure(spot: analytics[s].lastPrice, at: Int64(now))
            // The document as written (its JSON's numbers are shortest round-trip: reading it back is exact).
            documents[s].liveGEX = ExposureDocument(e, gamma: true, timestamp: Int64(now * 1000))
            liveGEXUntil[s] = now + 300
        }
    }

    // MARK: Jobs

    /// The premarket job's options and sentiment documents from Alpha Vantage replies (the
    /// stand-in's model for the day, as `run-day` without a key), at `now`.
    public func premarket(_ payloads: AlphaVantagePayloads, now: Double, zone: ZoneRules) throws {
        let ms = Int(now * 1000)
        let today = zone.localDate(of: Int64(now))
        for (s, symbol) in symbols.enumerated() {
            let chain = try OptionsChainParser.parse(payloads.chain(symbol), symbol: symbol)
            guard !chain.contracts.isEmpty else { continue }
            let spot = Exposure.impliedSpot(chain.contracts) ?? 0
            let values = PremarketJob.optionsValues(chain, symbol: symbol, spot: spot, today: today, now: ms).values
            func text(_ key: String) -> String? { values.first { $0.key == key }?.json }
            documents[s].gex = ExposureDocument.read(text(ExposureDocument.gexKey(symbol)))
            documents[s].flow = OptionsFlowDocument.read(text(OptionsFlowDocument.key(symbol)))
            documents[s].unusual = UnusualActivityDocument.read(text(UnusualActivityDocument.key(symbol)))
            gammaModels[s] = GammaModelDocument.read(text(GammaModelDocument.key(symbol))).flatMap { GammaModel($0, calendar: calendar) }
            guard !PremarketJob.etfs.contains(symbol) else { continue }
            let news = try Sentiment.parse(payloads.news([symbol]), ticker: symbol)
            documents[s].sentiment = SentimentDocument.read(news.scoreJSON(now: ms))
        }
    }

    /// `market-open`: the day's strategies enabled.
    public func enable(_ strategies: [String], session: String, now: Double) {
        enabled = EnabledStrategiesDocument(session: session, strategies: strategies, timestamp: Int64(now * 1000)).json
    }

    /// A run of `parameter-discovery` at `now` over the day so far: the quarter hour's new bars
    /// folded into the running state, every symbol's parameters and the correlations written.
    @discardableResult
    public func discover(now: Double) -> DiscoveryJob.Result {
        publish()
        let data = symbols.indices.map { s -> DiscoveryJob.SymbolData in
            let known = discovery.perSymbol[s].rows
            let rows = Array(history[s][min(known, history[s].count)...])
            let (sizes, makers) = state.aggregates(s)
            return DiscoveryJob.SymbolData(
                sizeCounts: sizes, bars: rows.compactMap(DiscoveryJob.historyRow), rows: rows.count, lastRow: rows.last,
                makers: DiscoveryJob.makers(makers))
        }
        let result = DiscoveryJob.compute(data: data, state: &discovery)
        let previous = discoveredYAML.flatMap(DiscoveryJob.read)?.symbols ?? [:]
        let rendered = DiscoveryJob.render(result, session: discovery.session, previous: previous, now: Int64(now))
        discoveredYAML = rendered.yaml
        for (key, json) in rendered.values {
            if key == CorrelationDocument.key {
                correlations = json
            } else if key.hasPrefix("discovery:"), key.hasSuffix(":params") {
                let symbol = String(key.dropFirst("discovery:".count).dropLast(":params".count))
                if let s = index[symbol] { documents[s].discovered = DiscoveredParametersDocument.read(json) }
            }
        }
        return result
    }

    /// The `moc` job's request, read by the service with its next step.
    public func request(_ request: ExecutionRequest) { requests.append(request.json) }

    // MARK: ExecutionFeed

    public func read(symbols wanted: [String], now: Double) throws -> ExecutionFeedRead {
        var snapshots: [String: SymbolSnapshot] = [:]
        for symbol in wanted {
            guard let s = index[symbol] else { continue }
            if documents[s].liveGEX != nil && now > liveGEXUntil[s] { documents[s].liveGEX = nil }
            if let x = SnapshotReader.symbol(symbol, documents: documents[s]) { snapshots[symbol] = x }
        }
        let request = requests.isEmpty ? nil : requests.removeFirst()
        return ExecutionFeedRead(snapshots: snapshots, riskState: nil, enabled: enabled, correlations: correlations, request: request)
    }

    public func reply(to request: ExecutionRequest, _ json: String) { replies.append((request, json)) }

    /// The last trade of each symbol the analytics saw (the day's closing prints).
    public var lastPrices: [String: Double] {
        Dictionary(uniqueKeysWithValues: symbols.indices.compactMap { s in analytics[s].lastPrice > 0 ? (symbols[s], analytics[s].lastPrice) : nil })
    }
}
