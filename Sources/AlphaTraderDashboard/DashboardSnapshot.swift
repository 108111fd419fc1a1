public import AlphaTrader
import Foundation
public import OrchestratorCore

/// What the trading dashboard shows at one instant, read from Redis in one MGET (SPEC §7's and
/// §10's keys, never written): the day's P&L, the risk state and its limits, positions marked,
/// open orders, each strategy's latest signal, and how fresh each source's data is. A value
/// that is not what its key should hold is named in `problems`, never guessed around.
public struct DashboardSnapshot: Sendable {
    public struct Position: Sendable, Equatable {
        public var id: String
        public var quantity: Int
        public var averageCost: Double
        public var mark: Double?
        public var marketValue: Double?
        public var unrealized: Double?
        public var realized: Double
    }

    public struct Order: Sendable, Equatable {
        public var id: String
        public var instrument: String
        public var action: String
        public var quantity: Int
        public var type: String
        public var limit: Double?
        public var status: String
        public var filled: Int
        public var strategy: String?
    }

    /// A source's last write and how old it is on the market clock.
    public struct Freshness: Sendable, Equatable {
        public var source: String
        public var key: String
        public var age: Double?
        /// Older than this is stale.
        public var staleAfter: Double
        public var isStale: Bool { age.map { $0 > staleAfter } ?? true }
    }

    /// How close a risk measure is to the limit that stops trading.
    public struct Proximity: Sendable, Equatable {
        public var name: String
        public var value: Double
        public var limit: Double
        public var unit: String
        public var fraction: Double { limit > 0 ? value / limit : 0 }
    }

    public var now: Double
    public var pnl: DayPnLDocument?
    public var risk: RiskStateDocument?
    public var daily: RiskDailyDocument?
    public var positions: [Position] = []
    public var orders: [Order] = []
    public var signals: [(strategy: String, signal: Signal?)] = []
    public var freshness: [Freshness] = []
    /// The day's P&L total through the session, sampled (market time, total).
    public var curve: [(t: Double, total: Double)] = []
    /// Keys whose values are not what they should be, and Redis itself when it does not answer.
    public var problems: [String] = []

    /// The strategies whose latest signals are shown.
    public static let strategies = ["0dte", "1dte", "14dte", "moc"]

    /// The sources whose freshness is shown: (name, key, stale after seconds). Alpha Vantage's is
    /// the first symbol's gamma exposure, written by the premarket job.
    public static func sources(firstSymbol: String) -> [(String, String, Double)] {
        [
            ("ingestion", "module:heartbeat:ibkr_ingestion", 30), ("analytics", "module:heartbeat:analytics", 30),
            ("execution", "module:heartbeat:execution", 30), ("discovery", "discovery:updated", 20 * 60),
            ("Alpha Vantage", "options:\(firstSymbol):gex", 86_400),
        ]
    }

    /// Every key one snapshot reads, in the order `init(values:)` expects them.
    public static func keys(firstSymbol: String) -> [String] {
        [DayPnLDocument.key, RiskStateDocument.key, RiskDailyDocument.key, "positions:open", "orders:open"]
            + strategies.map(Signal.latestKey) + sources(firstSymbol: firstSymbol).map(\.1)
    }

    /// From the values of `keys(firstSymbol:)` (nil: the key is absent).
    public init(values: [String?], now: Double, firstSymbol: String, curve: [(t: Double, total: Double)]) {
        self.now = now
        self.curve = curve
        var v = values + Array(repeating: nil, count: max(0, Self.keys(firstSymbol: firstSymbol).count - values.count))
        func document<D: RedisDocument>(_ index: Int, _ type: D.Type, _ key: String, _ what: String) -> D? {
            guard let text = v[index] else { return nil }
            guard let d = D.read(text) else {
                problems.append("\(key): not \(what) (\(Self.excerpt(text)))")
                return nil
            }
            return d
        }
        pnl = document(0, DayPnLDocument.self, DayPnLDocument.key, "a P&L document")
        risk = document(1, RiskStateDocument.self, RiskStateDocument.key, "a risk state")
        daily = document(2, RiskDailyDocument.self, RiskDailyDocument.key, "the day's breakers and limits")
        positions = Self.objects(v[3], key: "positions:open", problems: &problems).compactMap(Self.position).sorted { $0.id < $1.id }
        orders = Self.objects(v[4], key: "orders:open", problems: &problems).compactMap(Self.order).sorted { $0.id < $1.id }
        for (i, strategy) in Self.strategies.enumerated() {
            signals.append((strategy, document(5 + i, Signal.self, Signal.latestKey(strategy), "a signal")))
        }
        let base = 5 + Self.strategies.count
        for (i, (source, key, limit)) in Self.sources(firstSymbol: firstSymbol).enumerated() {
            var age: Double?
            if let text = v[base + i] {
                if let t = Self.timestamp(text) { age = max(0, now - t) } else { problems.append("\(key): no timestamp in \(Self.excerpt(text))") }
            }
            freshness.append(Freshness(source: source, key: key, age: age, staleAfter: limit))
        }
        v.removeAll()
    }

    /// A snapshot that could not be read at all.
    public init(unreachable reason: String, now: Double, curve: [(t: Double, total: Double)]) {
        self.now = now
        self.curve = curve
        problems = [reason]
    }

    static func excerpt(_ text: String) -> String {
        text.count > 60 ? String(text.prefix(60)) + "…" : text
    }

    /// The object values of a JSON object (`positions:open`, `orders:open` map ids to objects).
    static func objects(_ text: String?, key: String, problems: inout [String]) -> [[String: Any]] {
        guard let text else { return [] }
        guard let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] else {
            problems.append("\(key): not a JSON object (\(excerpt(text)))")
            return []
        }
        return object.values.compactMap { $0 as? [String: Any] }
    }

    static func number(_ any: Any?) -> Double? { (any as? NSNumber)?.doubleValue }

    static func position(_ o: [String: Any]) -> Position? {
        guard let id = o["id"] as? String, let quantity = number(o["quantity"]) else { return nil }
        return Position(
            id: id, quantity: Int(quantity), averageCost: number(o["average_cost"]) ?? 0, mark: number(o["mark"]),
            marketValue: number(o["market_value"]), unrealized: number(o["unrealized_pnl"]), realized: number(o["realized_pnl"]) ?? 0)
    }

    static func order(_ o: [String: Any]) -> Order? {
        guard let id = o["id"] as? String, let quantity = number(o["quantity"]) else { return nil }
        var instrument = "?"
        if let i = o["instrument"] as? [String: Any] {
            // As positions are named: `SPY 20261207 600 C`, `QQQ`.
            let strike = number(i["strike"]).map { $0 == $0.rounded() ? String(Int($0)) : String($0) }
            let right = (i["right"] as? String).map { $0.hasPrefix("c") ? "C" : "P" }
            instrument = [i["symbol"] as? String, i["expiry"] as? String, strike, right].compactMap { $0 }.joined(separator: " ")
        }
        return Order(
            id: id, instrument: instrument, action: o["action"] as? String ?? "?", quantity: Int(quantity), type: o["type"] as? String ?? "?",
            limit: number(o["limit"]), status: o["status"] as? String ?? "?", filled: Int(number(o["filled"]) ?? 0), strategy: o["strategy"] as? String)
    }

    /// Epoch seconds from a document's `ts` or `timestamp` (milliseconds when it is that large).
    static func timestamp(_ text: String) -> Double? {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any],
            let t = number(object["ts"]) ?? number(object["timestamp"])
        else { return nil }
        return t > 100_000_000_000 ? t / 1000 : t
    }

    /// How close each measure is to its limit; empty without `risk:daily` (the limits in force
    /// are the execution service's, not guessed here).
    public var proximity: [Proximity] {
        guard let limits = daily?.limits else { return [] }
        var rows: [Proximity] = []
        if let pnl {
            rows.append(Proximity(name: "day's loss", value: max(0, -pnl.total), limit: limits.dailyLossLimit, unit: "$"))
            rows.append(Proximity(name: "drawdown from the day's high", value: pnl.drawdown, limit: limits.maxDrawdown, unit: "$"))
        }
        rows.append(Proximity(name: "open positions", value: Double(positions.count), limit: Double(limits.maxOpenPositions), unit: ""))
        let worst = daily?.breakers.consecutiveLosses.values.max() ?? 0
        rows.append(Proximity(name: "losses in a row (worst strategy)", value: Double(worst), limit: Double(limits.maxConsecutiveLosses), unit: ""))
        return rows
    }

    public var json: JSONValue {
        func optionalNumber(_ x: Double?) -> JSONValue { x.map(JSONValue.number) ?? .null }
        return .object([
            ("now", .string(TimeFormat.utc(Int64(now)))),
            (
                "pnl",
                pnl.map { p in
                    .object([
                        ("session", .string(p.session)), ("realized", .number(p.realized)), ("unrealized", .number(p.unrealized)),
                        ("commissions", .number(p.commissions)), ("total", .number(p.total)), ("drawdown", .number(p.drawdown)),
                    ])
                } ?? .null
            ),
            ("risk", risk.map { .object([("state", .string($0.state.rawValue)), ("since", .string($0.since)), ("reason", .string($0.reason))]) } ?? .null),
            (
                "limits",
                .array(
                    proximity.map {
                        .object([("name", .string($0.name)), ("value", .number($0.value)), ("limit", .number($0.limit)), ("fraction", .number($0.fraction))])
                    })
            ),
            (
                "positions",
                .array(
                    positions.map { p in
                        .object([
                            ("id", .string(p.id)), ("quantity", .int(Int64(p.quantity))), ("average_cost", .number(p.averageCost)),
                            ("mark", optionalNumber(p.mark)),
                            ("unrealized_pnl", optionalNumber(p.unrealized)), ("realized_pnl", .number(p.realized)),
                        ])
                    })
            ),
            (
                "orders",
                .array(
                    orders.map { o in
                        .object([
                            ("id", .string(o.id)), ("instrument", .string(o.instrument)), ("action", .string(o.action)), ("quantity", .int(Int64(o.quantity))),
                            ("type", .string(o.type)), ("limit", optionalNumber(o.limit)), ("status", .string(o.status)), ("filled", .int(Int64(o.filled))),
                        ])
                    })
            ),
            (
                "signals",
                .object(
                    signals.map { s in
                        (
                            s.strategy,
                            s.signal.map { g in
                                .object([
                                    ("id", .string(g.id)), ("time", .string(TimeFormat.utc(Int64(g.time)))), ("symbol", .string(g.symbol)),
                                    ("direction", .string(g.direction.rawValue)), ("entry", .number(g.entry)), ("confidence", .number(g.confidence)),
                                ])
                            } ?? .null
                        )
                    })
            ),
            (
                "freshness",
                .array(
                    freshness.map { f in
                        .object([("source", .string(f.source)), ("key", .string(f.key)), ("age", optionalNumber(f.age)), ("stale", .bool(f.isStale))])
                    })
            ),
            ("problems", .array(problems.map { .string($0) })),
        ])
    }
}
