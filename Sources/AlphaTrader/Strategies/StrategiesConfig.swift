public import OrchestratorCore

/// One strategy's settings from `config/strategies.yaml`.
public struct StrategyConfig: Sendable, Equatable {
    /// The four strategies of SPEC §10.
    public enum Kind: String, Sendable, CaseIterable {
        case zeroDTE = "0dte", oneDTE = "1dte", fourteenDTE = "14dte", moc

        /// The window, symbols and thresholds a strategy has unless the file says otherwise.
        public var defaults: (window: ClosedRange<Int>, symbols: [String], thresholds: [String: Double]) {
            switch self {
            case .zeroDTE:
                return (
                    9 * 60 + 45...15 * 60, ["SPY", "QQQ", "IWM"],
                    ["vpin_high": 0.55, "imbalance_strong": 0.3, "flip_buffer_pct": 0.1, "delta_target": 0.4]
                )
            case .oneDTE:
                return (15 * 60...15 * 60 + 50, ["SPY", "QQQ", "IWM"], ["trend_min_pct": 0.3, "flow_min": 0.15, "sentiment_min": 0.1, "delta_target": 0.35])
            case .fourteenDTE:
                return (
                    9 * 60 + 45...15 * 60 + 30, ["AAPL", "TSLA", "NVDA", "META", "AMZN", "MSFT", "GOOGL", "AMD"],
                    ["volume_oi_min": 1.5, "premium_min": 250_000, "sentiment_min": 0.1, "delta_target": 0.3]
                )
            case .moc:
                return (15 * 60 + 30...15 * 60 + 50, ["SPY", "QQQ", "IWM"], ["pin_distance_pct": 0.5, "gamma_share_min": 0.12])
            }
        }
    }

    /// How big an entry is: option contracts (or shares for a stock entry), and at most this
    /// many dollars of premium.
    public struct Sizing: Sendable, Equatable {
        public var contracts = 2
        public var shares = 100
        public var maxPremium = 1_500.0
    }

    /// The exits every entry gets (percentages of the entry price: a premium for options).
    public struct Exits: Sendable, Equatable {
        public var stopPercent = 30.0
        /// Scale-out targets: (gain in percent, fraction of the position).
        public var targets: [(percent: Double, fraction: Double)] = [(50, 0.5)]
        public var trailPercent: Double? = 20
        /// Flat by this time of the market's day (minutes), whatever happened.
        public var timeStop: Int? = 15 * 60 + 50

        public init(
            stopPercent: Double = 30, targets: [(percent: Double, fraction: Double)] = [(50, 0.5)], trailPercent: Double? = 20, timeStop: Int? = 15 * 60 + 50
        ) {
            self.stopPercent = stopPercent; self.targets = targets; self.trailPercent = trailPercent; self.timeStop = timeStop
        }

        public static func == (a: Exits, b: Exits) -> Bool {
            a.stopPercent == b.stopPercent && a.trailPercent == b.trailPercent && a.timeStop == b.timeStop
                && a.targets.map(\.percent) == b.targets.map(\.percent) && a.targets.map(\.fraction) == b.targets.map(\.fraction)
        }
    }

    public var kind: Kind
    public var enabled = true
    /// Minutes of the market's day (America/New_York).
    public var window: ClosedRange<Int>
    public var symbols: [String]
    /// A signal below this confidence is not acted on.
    public var minConfidence = 0.6
    public var thresholds: [String: Double]
    public var sizing = Sizing()
    public var exits = Exits()

    public init(kind: Kind) {
        self.kind = kind
        let d = kind.defaults
        window = d.window; symbols = d.symbols; thresholds = d.thresholds
        switch kind {
        case .zeroDTE: break
        case .oneDTE: exits = Exits(stopPercent: 40, targets: [(60, 1)], trailPercent: nil, timeStop: nil)
        case .fourteenDTE: exits = Exits(stopPercent: 35, targets: [(50, 0.5), (100, 0.5)], trailPercent: nil, timeStop: nil)
        // In stock, toward the pin: a tight stop, flat at the close.
        case .moc:
            exits = Exits(stopPercent: 0.5, targets: [(0.5, 1)], trailPercent: nil, timeStop: 15 * 60 + 59)
            // ~$18,000 of SPY: inside the default $25,000 a order.
            sizing.shares = 30
        }
    }
}

/// `config/strategies.yaml`: the risk limits and the strategies, validated with every problem
/// named at its line and column (as the job files are).
public struct StrategiesConfig: Sendable, Equatable {
    public var risk = RiskLimits()
    public var strategies: [StrategyConfig] = []

    public init(risk: RiskLimits = RiskLimits(), strategies: [StrategyConfig] = []) { self.risk = risk; self.strategies = strategies }

    public static let file = "config/strategies.yaml"

    public func strategy(_ kind: StrategyConfig.Kind) -> StrategyConfig? { strategies.first { $0.kind == kind } }

    /// Parses and validates; `symbols` are the configured market's (a strategy may trade only those).
    public static func load(_ text: String, file: String, symbols: [String]) -> Result<StrategiesConfig, Diagnostics> {
        var reader = NodeReader()
        var config = StrategiesConfig()
        var sizes: [StrategyConfig.Kind: (SourceLocation, StrategyConfig)] = [:]
        let root: YAMLValue
        switch YAMLValue.parse(text, file: file) {
        case .success(let v): root = v
        case .failure(let d): return .failure(Diagnostics([d]))
        }
        for (key, _, value) in reader.mapping(root, "the strategies file", allowed: ["risk", "strategies"]) ?? [] {
            switch key {
            case "risk": config.risk = readRisk(value, &reader)
            default:
                for (name, nameAt, body) in reader.mapping(value, "strategies") ?? [] {
                    guard let kind = StrategyConfig.Kind(rawValue: name) else {
                        let known = StrategyConfig.Kind.allCases.map(\.rawValue)
                        reader.error(nameAt, "unknown strategy \"\(name)\" (known: \(known.joined(separator: ", ")))\(Suggestion.hint(for: name, in: known))")
                        continue
                    }
                    let strategy = readStrategy(kind, body, symbols: symbols, &reader)
                    config.strategies.append(strategy)
                    sizes[kind] = (nameAt, strategy)
                }
            }
        }
        // A strategy whose every entry the risk limits would refuse is a mistake in the file.
        for (kind, (at, s)) in sizes.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            let r = config.risk
            if kind == .moc {
                if s.sizing.shares > r.maxSharesPerOrder {
                    reader.error(
                        at, "strategies.\(kind.rawValue).sizing.shares (\(s.sizing.shares)) is above risk.max_shares_per_order (\(r.maxSharesPerOrder))")
                }
            } else {
                if s.sizing.contracts > r.maxContractsPerOrder {
                    reader.error(
                        at,
                        "strategies.\(kind.rawValue).sizing.contracts (\(s.sizing.contracts)) is above risk.max_contracts_per_order (\(r.maxContractsPerOrder))"
                    )
                }
                if s.sizing.maxPremium > r.maxNotionalPerOrder {
                    reader.error(
                        at,
                        "strategies.\(kind.rawValue).sizing.max_premium (\(Int(s.sizing.maxPremium))) is above risk.max_notional_per_order (\(Int(r.maxNotionalPerOrder)))"
                    )
                }
            }
        }
        return reader.diagnostics.isEmpty ? .success(config) : .failure(Diagnostics(reader.diagnostics))
    }

    // Key paths are immutable values; the compiler does not infer their sendability here.
    nonisolated(unsafe) static let riskKeys: [(String, WritableKeyPath<RiskLimits, Double>, ClosedRange<Double>)] = [
        ("max_notional_per_order", \.maxNotionalPerOrder, 1...10_000_000), ("collar_stocks", \.collarStocks, 0...0.5),
        ("collar_options", \.collarOptions, 0...1), ("max_correlation", \.maxCorrelation, 0...1),
        ("max_value_at_risk", \.maxValueAtRisk, 1...100_000_000), ("daily_loss_limit", \.dailyLossLimit, 1...100_000_000),
        ("max_drawdown", \.maxDrawdown, 1...100_000_000), ("extreme_vpin", \.extremeVpin, 0...1), ("extreme_size_factor", \.extremeSizeFactor, 0.01...1),
    ]
    nonisolated(unsafe) static let riskCounts: [(String, WritableKeyPath<RiskLimits, Int>)] = [
        ("max_orders_per_second", \.maxOrdersPerSecond), ("max_orders_per_minute", \.maxOrdersPerMinute),
        ("max_shares_per_order", \.maxSharesPerOrder), ("max_contracts_per_order", \.maxContractsPerOrder),
        ("max_shares_per_position", \.maxSharesPerPosition), ("max_contracts_per_position", \.maxContractsPerPosition),
        ("max_open_positions", \.maxOpenPositions), ("max_open_positions_per_symbol", \.maxOpenPositionsPerSymbol),
        ("max_consecutive_losses", \.maxConsecutiveLosses),
    ]

    static func readRisk(_ node: YAMLValue, _ reader: inout NodeReader) -> RiskLimits {
        var limits = RiskLimits()
        let allowed = riskKeys.map(\.0) + riskCounts.map(\.0) + ["pause_after_losses"]
        for (key, _, value) in reader.mapping(node, "risk", allowed: allowed) ?? [] {
            if let (_, path, range) = riskKeys.first(where: { $0.0 == key }) {
                if let n = reader.number(value, "risk.\(key)", in: range) { limits[keyPath: path] = n }
            } else if let (_, path) = riskCounts.first(where: { $0.0 == key }) {
                if let n = reader.int(value, "risk.\(key)", min: 1) { limits[keyPath: path] = n }
            } else if let d = reader.duration(value, "risk.pause_after_losses") {
                limits.pauseAfterLosses = Double(d.milliseconds) / 1000
            }
        }
        if limits.maxOrdersPerMinute < limits.maxOrdersPerSecond {
            reader.error(
                node.location, "risk.max_orders_per_minute (\(limits.maxOrdersPerMinute)) is below max_orders_per_second (\(limits.maxOrdersPerSecond))")
        }
        return limits
    }

    static func readStrategy(_ kind: StrategyConfig.Kind, _ node: YAMLValue, symbols known: [String], _ reader: inout NodeReader) -> StrategyConfig {
        var s = StrategyConfig(kind: kind)
        let what = "strategies.\(kind.rawValue)"
        let allowed = ["enabled", "window", "symbols", "min_confidence", "thresholds", "sizing", "exits"]
        for (key, _, value) in reader.mapping(node, what, allowed: allowed) ?? [] {
            switch key {
            case "enabled": if let b = reader.bool(value, "\(what).enabled") { s.enabled = b }
            case "window":
                var from = s.window.lowerBound, to = s.window.upperBound
                for (k, _, v) in reader.mapping(value, "\(what).window", allowed: ["from", "to"]) ?? [] {
                    if let t = reader.timeOfDay(v, "\(what).window.\(k)") {
                        if k == "from" { from = t.hour * 60 + t.minute } else { to = t.hour * 60 + t.minute }
                    }
                }
                if from >= to || from < 9 * 60 + 30 || to > 16 * 60 {
                    reader.error(value.location, "\(what).window must run forwards inside the session (09:30–16:00)")
                } else {
                    s.window = from...to
                }
            case "symbols":
                let list = reader.stringList(value, "\(what).symbols") ?? []
                for (symbol, at) in list where !known.contains(symbol) {
                    reader.error(at, "\(what).symbols: \(symbol) is not a configured symbol\(Suggestion.hint(for: symbol, in: known))")
                }
                if !list.isEmpty { s.symbols = list.map(\.0) }
            case "min_confidence": if let n = reader.number(value, "\(what).min_confidence", in: 0...1) { s.minConfidence = n }
            case "thresholds":
                let names = Array(kind.defaults.thresholds.keys).sorted()
                for (k, _, v) in reader.mapping(value, "\(what).thresholds", allowed: names) ?? [] {
                    if let n = reader.number(v, "\(what).thresholds.\(k)", in: 0...1e12) { s.thresholds[k] = n }
                }
            case "sizing":
                for (k, _, v) in reader.mapping(value, "\(what).sizing", allowed: ["contracts", "shares", "max_premium"]) ?? [] {
                    switch k {
                    case "contracts": if let n = reader.int(v, "\(what).sizing.contracts", min: 1) { s.sizing.contracts = n }
                    case "shares": if let n = reader.int(v, "\(what).sizing.shares", min: 1) { s.sizing.shares = n }
                    default: if let n = reader.number(v, "\(what).sizing.max_premium", in: 1...10_000_000) { s.sizing.maxPremium = n }
                    }
                }
            default:
                s.exits = readExits(value, what: "\(what).exits", starting: s.exits, &reader)
            }
        }
        return s
    }

    /// The exits of `node` over the strategy's own (a key left out keeps the strategy's default).
    static func readExits(_ node: YAMLValue, what: String, starting exits: StrategyConfig.Exits, _ reader: inout NodeReader) -> StrategyConfig.Exits {
        var exits = exits
        for (k, _, v) in reader.mapping(node, what, allowed: ["stop_percent", "targets", "trail_percent", "time_stop"]) ?? [] {
            switch k {
            case "stop_percent": if let n = reader.number(v, "\(what).stop_percent", in: 0.01...100) { exits.stopPercent = n }
            case "trail_percent":
                if v.scalar == "none" {
                    exits.trailPercent = nil
                } else if let n = reader.number(v, "\(what).trail_percent", in: 1...99) {
                    exits.trailPercent = n
                }
            case "time_stop":
                if v.scalar == "none" {
                    exits.timeStop = nil
                } else if let t = reader.timeOfDay(v, "\(what).time_stop") {
                    exits.timeStop = t.hour * 60 + t.minute
                }
            default:
                guard case .sequence(let items) = v.kind else {
                    reader.error(v.location, "\(what).targets must be a list of { percent, fraction }")
                    continue
                }
                var targets: [(Double, Double)] = []
                for item in items {
                    var percent: Double?, fraction: Double?
                    for (tk, _, tv) in reader.mapping(item, "a target of \(what)", allowed: ["percent", "fraction"]) ?? [] {
                        if tk == "percent" {
                            percent = reader.number(tv, "\(what).targets[].percent", in: 0.01...10_000)
                        } else {
                            fraction = reader.number(tv, "\(what).targets[].fraction", in: 0.01...1)
                        }
                    }
                    guard let percent, let fraction else {
                        reader.error(item.location, "a target of \(what) needs percent and fraction")
                        continue
                    }
                    targets.append((percent, fraction))
                }
                if targets.reduce(0, { $0 + $1.1 }) > 1 + 1e-9 { reader.error(v.location, "\(what).targets' fractions add up to more than the whole position") }
                if zip(targets, targets.dropFirst()).contains(where: { $0.0 >= $1.0 }) {
                    reader.error(v.location, "\(what).targets must rise: each percent above the one before")
                }
                exits.targets = targets
            }
        }
        return exits
    }
}
