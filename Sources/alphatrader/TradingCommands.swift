import AlphaTrader
import ArgumentParser
import Foundation
import OrchestratorCore
import Redis

/// What the operator's trading commands share: the journal, the broker connection (the
/// configured IB Gateway / tws-sim at `endpoints.ibkr`, under a client id of its own) and the
/// Redis mirror.
struct TradingOptions: ParsableArguments {
    @OptionGroup var common: CommonOptions
    @Option(help: "The trade journal (SQLite).") var journal = "var/trading.sqlite"
    @Option(help: "The TWS client id (default: endpoints.ibkr.client_id + 10; + 1 for execute, + 20 for market-open — apart from the feed's and each other's).")
    var clientId: Int?
    @Option(help: "Seconds to wait for the broker.") var timeout: Double = 5
    @Flag(help: "Print one JSON document.") var json = false
}

/// A broker session for one command: context, journal, connection, and the mirror written at the end.
struct TradingSession {
    let context: AlphaContext
    let journal: Journal
    let broker: BrokerConnection

    /// Opens the journal and connects (which reconciles it with the broker).
    /// The client id is `--client-id`, else endpoints.ibkr.client_id + `clientOffset` (the
    /// operator's commands 10, the execution service 1, market-open 20).
    static func open(_ o: TradingOptions, module: String, connect: Bool = true, clientOffset: Int = 10) throws -> TradingSession {
        try open(o, context: loadContext(o.common, module: module), connect: connect, clientOffset: clientOffset)
    }

    /// With the context loaded already: bad options exit 2, a journal or broker that fails exits 1
    /// naming it.
    static func open(_ o: TradingOptions, context: AlphaContext, connect: Bool = true, clientOffset: Int = 10) throws -> TradingSession {
        try validate(o, context)
        do { return try connected(o, context: context, connect: connect, clientOffset: clientOffset) } catch { throw failure(error.description) }
    }

    static func validate(_ o: TradingOptions, _ context: AlphaContext) throws {
        guard o.timeout > 0 && o.timeout <= 600 else { throw invalidInput("--timeout \(o.timeout): expected 0…600 seconds") }
        try TradingSession.refuseLiveUnlessAsked(context)
    }

    /// What can fail in opening a session, in words.
    enum Failure: Error, CustomStringConvertible {
        case journal(Journal.Failure)
        case broker(host: String, port: Int, any Error)

        var description: String {
            switch self {
            case .journal(let f): return f.description
            case .broker(let host, let port, let error):
                return "the broker at \(host):\(port): \(error) (start it: alphatrader tws-sim, or IB Gateway's paper port)"
            }
        }
    }

    /// The journal and the connection (options already validated); their failures as `Failure`.
    static func connected(_ o: TradingOptions, context: AlphaContext, connect: Bool = true, clientOffset: Int = 10) throws(Failure) -> TradingSession {
        let journal: Journal
        do { journal = try Journal(path: o.journal) } catch { throw .journal(error) }
        let endpoints = context.config.endpoints
        let broker = BrokerConnection(
            options: .init(
                host: endpoints.ibkrHost, port: endpoints.ibkrPort, clientId: o.clientId ?? endpoints.ibkrClientID + clientOffset,
                timeout: o.timeout), journal: journal, log: context.log, clock: context.clock)
        if connect {
            do { try broker.connect() } catch { throw .broker(host: endpoints.ibkrHost, port: endpoints.ibkrPort, error) }
        }
        return TradingSession(context: context, journal: journal, broker: broker)
    }

    /// Paper is the default (SPEC §10): IB Gateway's live ports (4001, 7496) need
    /// ALPHATRADER_LIVE=1 in the environment.
    static func refuseLiveUnlessAsked(_ context: AlphaContext) throws {
        let port = context.config.endpoints.ibkrPort
        if [4001, 7496].contains(port) && context.environment["ALPHATRADER_LIVE"] != "1" {
            throw invalidInput("endpoints.ibkr port \(port) is a live trading port; paper is the default — set ALPHATRADER_LIVE=1 to trade live")
        }
    }

    /// Marks for the positions (the broker's mid, or last), and the mirror in Redis; a Redis
    /// that cannot be reached is a warning — the journal is the record.
    func publish(marks: [Instrument: Double]) {
        do {
            let redis = try RedisClient(url: context.redisURL, timeout: 2)
            try TradingMirror.publish(journal, marks: marks, redis: redis, now: context.clock.now(), zone: ZoneRules.of(context.config.calendar.timeZone))
        } catch {
            context.log("warning: the Redis mirror (orders:*, positions:*, pnl:day) was not updated", ["reason": "\(error)"])
        }
    }

    func marks(_ positions: [Journal.PositionRow]) -> [Instrument: Double] {
        var marks: [Instrument: Double] = [:]
        for p in positions where p.holding.quantity != 0 {
            if let q = try? broker.quote(p.instrument, timeout: 1) { marks[p.instrument] = q.bid > 0 && q.ask > 0 ? (q.bid + q.ask) / 2 : q.last }
        }
        return marks
    }
}

/// Parses an instrument from the command line.
func parseInstrument(symbol: String, expiry: String?, strike: Double?, right: String?) throws -> Instrument {
    let symbol = symbol.uppercased()
    guard !symbol.isEmpty, symbol.allSatisfy({ $0.isLetter || $0 == "." }) else { throw invalidInput("symbol \"\(symbol)\": expected letters, such as SPY") }
    if expiry == nil && strike == nil && right == nil { return .stock(symbol: symbol) }
    guard let expiry, let strike, let right else { throw invalidInput("an option needs --expiry, --strike and --right together") }
    do {
        return try TWSOrderMessages.instrument(
            symbol: symbol, secType: "OPT", expiry: expiry.replacingOccurrences(of: "-", with: ""),
            strike: String(strike), right: right)
    } catch {
        throw invalidInput(error.description)
    }
}

func orderLine(_ o: Journal.Order) -> [String] {
    let price = [o.request.kind.limitPrice.map { "lmt \(TickSize.text($0))" }, o.request.kind.stopPrice.map { "stp \(TickSize.text($0))" }]
        .compactMap { $0 }.joined(separator: " ")
    return [
        o.ref, o.request.action.rawValue, String(o.request.quantity), o.request.instrument.description, o.request.kind.code, price, o.status,
        "\(o.filled)/\(o.request.quantity)", o.filled > 0 ? String(format: "%.4f", o.averagePrice) : "-", String(format: "%.2f", o.commission),
        o.reason ?? "",
    ]
}

func table(_ rows: [[String]]) -> String { TextTable.render(rows) }

struct PlaceOrder: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "order",
        abstract: "Places an order (stock or option) through the broker, journaled first.",
        discussion: """
            MKT without a price; LMT with --limit; STP with --stop; STP LMT with both. --take-profit
            and --stop-loss together make it a bracket: the entry, a limit to take profit and a stop
            to cut the loss, the two exits one-cancels-other, working once the entry fills. Waits
            --wait seconds for the outcome and prints it; exit 0 when the broker took the order, 1
            when it refused it (with TWS's code and reason), 2 for invalid input.

            Examples:
              alphatrader order buy 100 SPY                          # market
              alphatrader order sell 50 QQQ --limit 521.35 --tif ioc
              alphatrader order buy 2 SPY --expiry 20261207 --strike 600 --right C --limit 2.45 \\
                  --take-profit 3.20 --stop-loss 1.90
              alphatrader order buy 100 AAPL --what-if               # commission and margin only
            """
    )

    @OptionGroup var trading: TradingOptions
    @Argument(help: "buy or sell.") var action: String
    @Argument(help: "How many shares or contracts.") var quantity: Int
    @Argument(help: "The underlying symbol.") var symbol: String
    @Option(help: "Option expiry (YYYYMMDD).") var expiry: String?
    @Option(help: "Option strike.") var strike: Double?
    @Option(help: "Option right: C or P.") var right: String?
    @Option(help: "Limit price.") var limit: Double?
    @Option(help: "Stop (trigger) price.") var stop: Double?
    @Option(help: "Time in force: day, ioc or gtc (a bracket's exits are always gtc).") var tif = "day"
    @Option(help: "Bracket: the exit's limit price.") var takeProfit: Double?
    @Option(help: "Bracket: the exit's stop price.") var stopLoss: Double?
    @Option(help: "Strategy the order is for (recorded in the journal).") var strategy: String?
    @Flag(help: "Ask for commission and margin only; nothing is placed.") var whatIf = false
    @Option(help: "Seconds to wait for the outcome.") var wait: Double = 5

    func validate() throws {
        guard ["buy", "sell"].contains(action.lowercased()) else { throw ValidationError("action \"\(action)\": expected buy or sell") }
        guard quantity > 0 && quantity <= 1_000_000 else { throw ValidationError("quantity \(quantity): expected 1…1,000,000") }
        for (name, value) in [("--limit", limit), ("--stop", stop), ("--take-profit", takeProfit), ("--stop-loss", stopLoss)] {
            if let value, !(value > 0 && value.isFinite) { throw ValidationError("\(name) \(value): expected a positive price") }
        }
        guard (takeProfit == nil) == (stopLoss == nil) else { throw ValidationError("a bracket needs --take-profit and --stop-loss together") }
        guard OrderRequest.TimeInForce(rawValue: tif.uppercased()) != nil else { throw ValidationError("--tif \(tif): expected day, ioc or gtc") }
        guard wait >= 0 && wait <= 600 else { throw ValidationError("--wait \(wait): expected 0…600 seconds") }
    }

    func run() throws {
        let instrument = try parseInstrument(symbol: symbol, expiry: expiry, strike: strike, right: right)
        let kind: OrderRequest.Kind =
            switch (limit, stop) {
            case (nil, nil): .market
            case (let l?, nil): .limit(l)
            case (nil, let s?): .stop(trigger: s)
            case (let l?, let s?): .stopLimit(trigger: s, limit: l)
            }
        let side: OrderRequest.Action = action.lowercased() == "buy" ? .buy : .sell
        if let takeProfit, let stopLoss {
            let (low, high) = side == .buy ? (stopLoss, takeProfit) : (takeProfit, stopLoss)
            if let entry = limit, !(low < entry && entry < high) {
                throw invalidInput("a \(action) bracket needs the stop-loss and take-profit on either side of the entry \(entry)")
            }
            guard low < high else { throw invalidInput("a \(action) bracket needs --stop-loss \(side == .buy ? "below" : "above") --take-profit") }
        }
        let session = try TradingSession.open(trading, module: "order")
        let spec = BrokerConnection.OrderSpec(
            instrument: instrument, action: side, quantity: quantity, kind: kind,
            timeInForce: OrderRequest.TimeInForce(rawValue: tif.uppercased()) ?? .day, strategy: strategy)
        let refs: [String]
        do {
            refs = try session.broker.place(spec, bracket: takeProfit.map { (stop: stopLoss!, target: $0) }, whatIf: whatIf)
        } catch {
            throw failure("sending the order: \(error)")
        }
        if whatIf {
            try? session.broker.wait(wait, "the what-if answer") { session.broker.whatIfAnswers[refs[0]] != nil || session.broker.refusals[refs[0]] != nil }
            if let refusal = session.broker.refusals[refs[0]] { throw failure("refused (\(refusal.code)): \(refusal.message)") }
            guard let answer = session.broker.whatIfAnswers[refs[0]] else { throw failure("no what-if answer in \(wait) s") }
            if trading.json {
                print(JSONValue.object([("commission", .number(answer.commission)), ("initial_margin", .number(answer.initialMargin))]).serialized())
            } else {
                print(
                    "what-if \(action) \(quantity) \(instrument) \(kind.code): commission \(String(format: "%.2f", answer.commission)), initial margin \(String(format: "%.2f", answer.initialMargin)); nothing placed"
                )
            }
            return
        }
        // Until the entry is filled or refused (or, resting, acknowledged), within --wait;
        // --wait 0 reads nothing back (the next command's reconciliation will).
        if wait > 0 {
            try? session.broker.wait(wait, "the outcome") {
                guard let o = try session.journal.order(ref: refs[0]) else { return false }
                let commissioned = try session.journal.fills(ref: refs[0]).allSatisfy { $0.commission != nil }
                guard commissioned else { return false }
                return !o.isOpen || (o.status != "Submitting" && (o.request.kind != .market || o.filled == o.request.quantity))
            }
        }
        let orders = try refs.compactMap { try session.journal.order(ref: $0) }
        session.publish(marks: [:])
        if trading.json {
            print(JSONValue.array(orders.map(TradingMirror.orderJSON)).serialized())
        } else {
            print(table([["ORDER", "SIDE", "QTY", "INSTRUMENT", "TYPE", "PRICE", "STATUS", "FILLED", "AVG", "COMM", "REASON"]] + orders.map(orderLine)))
        }
        if orders.first?.status == "Rejected" { throw ExitCode(1) }
    }
}

struct ListOrders: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "orders",
        abstract: "The journal's orders, newest first, reconciled with the broker first.",
        discussion: """
            Connects to the broker to bring the journal up to date (fills and states it missed), then
            lists; with --offline, or when the broker cannot be reached (said on stderr), the journal
            as it is.

            Examples:
              alphatrader orders --open
              alphatrader orders --json | jq '.[] | select(.status == "Filled")'
            """
    )
    @OptionGroup var trading: TradingOptions
    @Flag(help: "Only the orders still working.") var open = false
    @Flag(help: "Do not contact the broker.") var offline = false
    @Option(help: "At most this many.") var limit = 100

    func run() throws {
        let session = try TradingSession.open(trading, module: "orders", connect: false)
        if !offline {
            do { try session.broker.connect() } catch {
                session.context.log("warning: the broker cannot be reached; listing the journal as it is", ["reason": "\(error)"])
            }
        }
        let orders = try session.journal.orders(open: open, limit: max(1, limit))
        if trading.json {
            print(JSONValue.array(orders.map(TradingMirror.orderJSON)).serialized(pretty: true))
        } else if orders.isEmpty {
            print(open ? "no open orders" : "no orders")
        } else {
            print(table([["ORDER", "SIDE", "QTY", "INSTRUMENT", "TYPE", "PRICE", "STATUS", "FILLED", "AVG", "COMM", "REASON"]] + orders.map(orderLine)))
        }
    }
}

struct ListPositions: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "positions",
        abstract: "Positions from the journal, marked to the broker's quotes: realized and unrealized P&L.",
        discussion: """
            Reconciles with the broker, checks that the journal's positions are the broker's (a
            difference is printed as a warning and exits 1), marks each open position at the
            quote's mid and updates positions:* and pnl:day in Redis.

            With --watch SECONDS it stays connected and marks to market continuously: every
            SECONDS it takes in the fills that arrived, re-marks the open positions from standing
            quote subscriptions, updates positions:* and pnl:day, and prints a line (a JSON object
            per line with --json), until interrupted.

            Examples:
              alphatrader positions
              alphatrader positions --json
              alphatrader positions --watch 5
            """
    )
    @OptionGroup var trading: TradingOptions
    @Option(help: "Mark to market every this many seconds until interrupted.") var watch: Double?

    func validate() throws {
        if let watch, !(watch >= 0.2 && watch <= 3600) { throw ValidationError("--watch \(watch): expected 0.2…3600 seconds") }
    }

    func run() throws {
        if let watch { return try watchPositions(every: watch) }
        let session = try TradingSession.open(trading, module: "positions")
        let positions = try session.journal.positions()
        let broker = try session.broker.positions()
        let journaled = Dictionary(positions.filter { $0.holding.quantity != 0 }.map { ($0.instrument, $0.holding.quantity) }, uniquingKeysWith: +)
        let differences = Set(broker.keys).union(journaled.keys).filter { broker[$0, default: 0] != journaled[$0, default: 0] }
        let marks = session.marks(positions)
        session.publish(marks: marks)
        let (realized, unrealized) = TradingMirror.pnl(positions, marks: marks)
        if trading.json {
            print(
                JSONValue.object([
                    ("positions", .array(positions.map { TradingMirror.positionJSON($0, mark: marks[$0.instrument]) })),
                    ("realized_pnl", .number(realized)), ("unrealized_pnl", .number(unrealized)),
                    (
                        "differences",
                        .array(
                            differences.sorted { $0.description < $1.description }.map { i in
                                .object([
                                    ("instrument", .string(i.description)), ("broker", .int(Int64(broker[i, default: 0]))),
                                    ("journal", .int(Int64(journaled[i, default: 0]))),
                                ])
                            })
                    ),
                ]).serialized(pretty: true))
        } else {
            var rows = [["INSTRUMENT", "QTY", "AVG COST", "MARK", "UNREALIZED", "REALIZED"]]
            for p in positions {
                let mark = marks[p.instrument]
                rows.append([
                    p.instrument.description, String(p.holding.quantity), String(format: "%.4f", p.holding.averageCost),
                    mark.map { String(format: "%.2f", $0) } ?? "-",
                    mark.map { String(format: "%.2f", ($0 * p.instrument.multiplier - p.holding.averageCost) * Double(p.holding.quantity)) } ?? "-",
                    String(format: "%.2f", p.holding.realizedPnL),
                ])
            }
            print(positions.isEmpty ? "no positions" : table(rows))
            print(String(format: "realized %.2f, unrealized %.2f", realized, unrealized))
        }
        for i in differences.sorted(by: { $0.description < $1.description }) {
            session.context.log("warning: the broker holds \(broker[i, default: 0]) \(i), the journal \(journaled[i, default: 0])")
        }
        if !differences.isEmpty { throw ExitCode(1) }
    }
}

struct CancelOrders: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel",
        abstract: "Cancels an order by its id (a bracket's parent takes its exits), or every open order with --all.",
        discussion: """
            Examples:
              alphatrader cancel at-11-42-1796650000
              alphatrader cancel --all
            """
    )
    @OptionGroup var trading: TradingOptions
    @Argument(help: "The order's id (ORDER in alphatrader orders).") var id: String?
    @Flag(help: "Every open order of the account (reqGlobalCancel).") var all = false

    func validate() throws {
        guard (id == nil) != !all else { throw ValidationError("give an order id or --all, not both") }
    }

    func run() throws {
        let session = try TradingSession.open(trading, module: "cancel")
        if all {
            try session.broker.cancelAll()
            try? session.broker.wait(trading.timeout, "the cancellations") { try session.journal.orders(open: true).allSatisfy { $0.status == "Cancelled" } }
        } else if let id {
            guard let order = try session.journal.order(ref: id) else { throw invalidInput("no order \(id) in \(trading.journal)") }
            guard order.isOpen else { throw failure("order \(id) is \(order.status); nothing to cancel") }
            try session.broker.cancel(ref: id)
            try? session.broker.wait(trading.timeout, "the cancellation") {
                try session.journal.order(ref: id)?.isOpen == false || session.broker.refusals[id] != nil
            }
            if let refusal = session.broker.refusals[id] { throw failure("refused (\(refusal.code)): \(refusal.message)") }
        }
        session.publish(marks: [:])
        let open = try session.journal.orders(open: true)
        if trading.json {
            print(JSONValue.object([("open_orders", .array(open.map(TradingMirror.orderJSON)))]).serialized())
        } else {
            print(open.isEmpty ? "no open orders left" : "still open:\n" + table(open.map(orderLine)))
        }
        if !open.isEmpty && all { throw ExitCode(1) }
    }
}

extension ListPositions {
    /// Continuous mark-to-market: fills taken in, marks from standing subscriptions, the mirror
    /// updated, one line a round.
    func watchPositions(every interval: Double) throws {
        StopSignal.install()
        let session = try TradingSession.open(trading, module: "positions")
        while !StopSignal.requested {
            try session.broker.poll(min(interval, 0.5))
            let positions = try session.journal.positions()
            var marks: [Instrument: Double] = [:]
            for p in positions where p.holding.quantity != 0 {
                try session.broker.watch(p.instrument)
                if let mark = session.broker.mark(p.instrument) { marks[p.instrument] = mark }
            }
            session.publish(marks: marks)
            let (realized, unrealized) = TradingMirror.pnl(positions, marks: marks)
            let open = positions.filter { $0.holding.quantity != 0 }
            let time = TimeFormat.utc(Int64(session.context.clock.now()))
            let line =
                trading.json
                ? JSONValue.object([
                    ("time", .string(time)), ("open", .int(Int64(open.count))), ("marked", .int(Int64(marks.count))),
                    ("realized_pnl", .number(realized)), ("unrealized_pnl", .number(unrealized)),
                ]).serialized()
                : "\(time)  \(open.count) open (\(marks.count) marked)  realized \(String(format: "%.2f", realized))  unrealized \(String(format: "%.2f", unrealized))"
            // Written at once (not print's buffer): a pipe reader sees each round as it happens.
            FileHandle.standardOutput.write(Data((line + "\n").utf8))
            let until = Date().addingTimeInterval(interval)
            while !StopSignal.requested && Date() < until { try session.broker.poll(min(0.2, max(0, until.timeIntervalSinceNow))) }
        }
    }
}
