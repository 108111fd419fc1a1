import Foundation
public import OrchestratorCore
public import Redis

/// The journal mirrored into Redis for live readers (SPEC §10): `orders:open` and `orders:{id}`,
/// `positions:open` and `positions:{id}` (marked to the market when marks are given), `pnl:day`,
/// and the kill switch's `risk:state` and `alerts:stream`. The journal is the record; these are
/// rewritten from it whole, in one MULTI/EXEC, so a reader never sees half an update.
public enum TradingMirror {
    /// An instrument as the documents write it.
    public static func instrumentJSON(_ i: Instrument) -> JSONValue {
        switch i {
        case .stock(let s): return .object([("type", "stock"), ("symbol", .string(s)), ("expiry", .null), ("strike", .null), ("right", .null)])
        case .option(let s, let e, let k, let r):
            return .object([
                ("type", "option"), ("symbol", .string(s)), ("expiry", .string(e)), ("strike", .number(k)),
                ("right", .string(r == .call ? "call" : "put")),
            ])
        }
    }

    public static func orderJSON(_ o: Journal.Order) -> JSONValue {
        .object([
            ("id", .string(o.ref)), ("broker_id", .int(Int64(o.request.id))), ("perm_id", o.permId.map { .int(Int64($0)) } ?? .null),
            ("client_id", .int(Int64(o.clientId))), ("instrument", instrumentJSON(o.request.instrument)), ("action", .string(o.request.action.rawValue)),
            ("quantity", .int(Int64(o.request.quantity))), ("type", .string(o.request.kind.code)),
            ("limit", o.request.kind.limitPrice.map(JSONValue.number) ?? .null), ("stop", o.request.kind.stopPrice.map(JSONValue.number) ?? .null),
            ("tif", .string(o.request.timeInForce.rawValue)), ("status", .string(o.status)), ("filled", .int(Int64(o.filled))),
            ("average_price", .number(o.averagePrice)), ("commission", .number(o.commission)), ("strategy", .optional(o.strategy)),
            ("parent", .optional(o.parentRef)), ("reason", .optional(o.reason)),
            ("created_at", .string(TimeFormat.utc(Int64(o.createdAt)))), ("updated_at", .string(TimeFormat.utc(Int64(o.updatedAt)))),
        ])
    }

    /// A position marked at `mark` (per unit of the underlying quote; nil: not marked).
    public static func positionJSON(_ p: Journal.PositionRow, mark: Double?) -> JSONValue {
        let m = p.instrument.multiplier
        let unrealized = mark.map { ($0 * m - p.holding.averageCost) * Double(p.holding.quantity) }
        return .object([
            ("id", .string(p.instrument.description)), ("instrument", instrumentJSON(p.instrument)), ("quantity", .int(Int64(p.holding.quantity))),
            ("average_cost", .number(p.holding.averageCost)), ("mark", mark.map(JSONValue.number) ?? .null),
            ("market_value", mark.map { .number($0 * m * Double(p.holding.quantity)) } ?? .null),
            ("unrealized_pnl", unrealized.map(JSONValue.number) ?? .null), ("realized_pnl", .number(p.holding.realizedPnL)),
            ("updated_at", .string(TimeFormat.utc(Int64(p.updatedAt)))),
        ])
    }

    /// The book's P&L: realized to date over the positions, and unrealized at the marks.
    public static func pnl(_ positions: [Journal.PositionRow], marks: [Instrument: Double]) -> (realized: Double, unrealized: Double) {
        var realized = 0.0, unrealized = 0.0
        for p in positions {
            realized += p.holding.realizedPnL
            if p.holding.quantity != 0, let mark = marks[p.instrument] {
                unrealized += (mark * p.instrument.multiplier - p.holding.averageCost) * Double(p.holding.quantity)
            }
        }
        return (realized, unrealized)
    }

    /// Rewrites the order, position and P&L keys from the journal. `pnl:day` is the session's
    /// (in `zone`): what the day's fills realized and cost in commissions, what is held at the
    /// marks, and the session's high-water mark (a new session starts its own).
    public static func publish(_ journal: Journal, marks: [Instrument: Double], redis: RedisClient, now: Double, zone: ZoneRules) throws {
        let orders = try journal.orders(limit: 10_000)
        let positions = try journal.positions()
        let open = orders.filter(\.isOpen)
        var batch = RedisBatch()
        batch.append("MULTI")
        batch.append("SET", "orders:open", .text(JSONValue.object(open.map { ($0.ref, orderJSON($0)) }).serialized()))
        for o in orders where o.isOpen || now - o.updatedAt < 86_400 {
            batch.append("SET", .text("orders:\(o.ref)"), .text(orderJSON(o).serialized()), "EX", "86400")
        }
        let held = positions.filter { $0.holding.quantity != 0 }
        batch.append(
            "SET", "positions:open",
            .text(JSONValue.object(held.map { ($0.instrument.description, positionJSON($0, mark: marks[$0.instrument])) }).serialized()))
        for p in positions {
            batch.append("SET", .text("positions:\(p.instrument.description)"), .text(positionJSON(p, mark: marks[p.instrument]).serialized()), "EX", "86400")
        }
        let session = zone.localDate(of: Int64(now))
        let fills = try journal.fills(since: Double(zone.instant(of: session, secondsOfDay: 0)))
        let realized = fills.reduce(0) { $0 + ($1.realizedPnL ?? 0) }
        let commissions = fills.reduce(0) { $0 + ($1.commission ?? 0) }
        let unrealized = pnl(positions, marks: marks).unrealized
        let previous = DayPnLDocument.read((try? redis.command(["GET", DayPnLDocument.key]).text) ?? nil)
        let day = DayPnLDocument(
            session: session.description, realized: realized, unrealized: unrealized, commissions: commissions,
            highWaterMark: previous?.session == session.description ? max(0, previous?.highWaterMark ?? 0) : 0, timestamp: Int64(now * 1000))
        batch.append("SET", .text(DayPnLDocument.key), .text(day.json), "EX", "86400")
        batch.append("EXEC")
        _ = try redis.send(batch)
    }

    /// `risk:state`: ACTIVE, REDUCING or HALTED, since when and why.
    public static func setRiskState(_ state: RiskStateDocument.State, reason: String, redis: RedisClient, now: Double) throws {
        _ = try redis.command(["SET", RiskStateDocument.key, RiskStateDocument(state: state, since: TimeFormat.utc(Int64(now)), reason: reason).json])
    }

    /// An entry on `risk:decisions`: the order, the check that decided, allowed or not, why.
    public static func decision(_ order: ProposedOrder, _ decision: RiskDecision, redis: RedisClient, now: Double) throws {
        _ = try redis.command([
            "XADD", "risk:decisions", "MAXLEN", "~", "10000", "*", "time", TimeFormat.utc(Int64(now)),
            "order", "\(order.action.rawValue) \(order.quantity) \(order.instrument)\(order.limitPrice.map { " LMT \(TWSWire.number($0))" } ?? " MKT")",
            "strategy", order.strategy ?? "", "check", decision.check?.rawValue ?? "all", "allowed", decision.allowed ? "true" : "false",
            "reason", decision.reason,
        ])
    }

    /// A signal on `signals:stream` and as its strategy's latest (`signals:{strategy}:latest`,
    /// a day), in one round trip.
    public static func publish(_ signal: Signal, redis: RedisClient) throws {
        let replies = try redis.pipeline([
            ["XADD", Signal.stream, "MAXLEN", "~", "10000", "*", "signal", signal.json],
            ["SET", Signal.latestKey(signal.strategy), signal.json, "EX", "86400"],
        ])
        for case .error(let message) in replies { throw RedisClient.Failure(code: .server, description: "publishing signal \(signal.id): \(message)") }
    }

    /// An entry on `alerts:stream`.
    public static func alert(severity: String, source: String, text: String, redis: RedisClient, now: Double) throws {
        _ = try redis.command([
            "XADD", "alerts:stream", "MAXLEN", "~", "10000", "*", "time", TimeFormat.utc(Int64(now)), "severity", severity,
            "source", source, "text", text,
        ])
    }
}
