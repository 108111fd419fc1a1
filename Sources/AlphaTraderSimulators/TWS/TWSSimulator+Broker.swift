import AlphaTrader
import Foundation
import OrchestratorCore
import Synchronization

/// tws-sim as a paper broker: the order messages, the account's answers, option contracts and
/// quotes, over the `PaperDesk`. Layouts: `TWSOrderMessages` (server version 176).
extension TWSSimulator {
    /// What the simulator sends (the client's incoming messages) and what it is asked.
    typealias Out = TWSMessage.Incoming
    typealias Req = TWSMessage.Outgoing

    /// Handles the messages the paper broker answers; false for the others (market data, …).
    func handleBroker(_ id: Int, _ f: [String], _ s: Session, _ out: inout [UInt8], client: Int) throws(TWSError) -> Bool {
        guard let desk, let message = TWSMessage.Outgoing(rawValue: id) else { return false }
        func field(_ i: Int) -> String { i < f.count ? f[i] : "" }
        switch message {
        case .startApi:
            s.clientId = Int(field(2)) ?? 0
            s.nextOrderID = desk.nextOrderId(atLeast: s.nextOrderID)
            return false
        case .reqIds:
            s.nextOrderID = desk.nextOrderId(atLeast: s.nextOrderID + 1)
            out += TWSWire.frame([Out.nextValidId.code, "1", String(s.nextOrderID)])
        case .placeOrder:
            placeOrder(f, s, &out, client: client)
        case .cancelOrder:
            guard let orderId = Int(field(2)) else { throw TWSError(.protocolError, "cancelOrder without an order id") }
            deliver(desk.cancel(orderId, client: s.clientId), to: s, &out)
        case .reqGlobalCancel:
            deliver(desk.cancelAll(), to: s, &out)
        case .reqPositions:
            s.positions = true
            let rows = desk.read { broker, _ in broker.positions.sorted { $0.key.description < $1.key.description } }
            for (instrument, p) in rows where p.quantity != 0 { out += positionFrame(instrument, p) }
            out += TWSWire.frame([Out.positionEnd.code, "1"])
        case .cancelPositions:
            s.positions = false
        case .reqOpenOrders, .reqAllOpenOrders, .reqAutoOpenOrders:
            if message == .reqAutoOpenOrders { return true }
            let open = desk.read { broker, _ in broker.openOrders }
            for o in open where message == .reqAllOpenOrders || desk.owner(of: o.id) == s.clientId || desk.owner(of: o.id) == nil {
                let view = orderView(o, client: desk.owner(of: o.id))
                out += TWSWire.frame(TWSOrderMessages.openOrder(view)) + TWSWire.frame(TWSOrderMessages.orderStatus(view))
            }
            out += TWSWire.frame([Out.openOrderEnd.code, "1"])
        case .reqCompletedOrders:
            // [99, apiOnly]: the account's finished orders, each with when it finished (its last
            // fill; for a cancellation, the market's time now).
            let finished = desk.read { broker, _ -> [(BrokerOrder, Double?)] in
                broker.orders.values.filter(\.status.isFinished).sorted { $0.id < $1.id }.map { o in
                    (o, broker.executions.last { $0.orderId == o.id }.map { Double($0.time) / 1_000_000 })
                }
            }
            let now = desk.marketTime
            for (o, time) in finished {
                out += TWSWire.frame(TWSOrderMessages.completedOrder(orderView(o, client: desk.owner(of: o.id)), time: time ?? now))
            }
            out += TWSWire.frame([Out.completedOrdersEnd.code])
        case .reqExecutions:
            // [7, 3, reqId, clientId, acctCode, time, symbol, secType, exchange, side]
            let req = Int(field(2)) ?? -1, wantedClient = Int(field(3)) ?? 0
            let executions = desk.read { broker, _ in broker.executions }
            for e in executions {
                let owner = desk.owner(of: e.orderId) ?? 0
                guard wantedClient == 0 || wantedClient == owner, field(6).isEmpty || field(6) == e.instrument.symbol,
                    field(7).isEmpty || field(7) == e.instrument.securityType,
                    field(9).isEmpty || field(9) == e.action.rawValue
                else { continue }
                out += TWSWire.frame(TWSOrderMessages.execDetails(fill(e, clientId: owner), requestId: req))
                out += TWSWire.frame(TWSOrderMessages.commissionReport(execId: e.id, commission: e.commission, realizedPnL: e.realizedPnL))
            }
            out += TWSWire.frame([Out.executionDataEnd.code, "1", String(req)])
        case .reqAccountUpdates:
            let name = field(3).isEmpty ? account : field(3)
            s.accountUpdates = field(2) == "1"
            if s.accountUpdates { out += accountFrames(name) }
            out += TWSWire.frame([Out.accountDownloadEnd.code, "1", name])
        case .reqContractDetails where field(5) == "OPT":
            guard let req = Int(field(2)) else { return true }
            guard let instrument = try? TWSOrderMessages.instrument(symbol: field(4), secType: "OPT", expiry: field(6), strike: field(7), right: field(8)),
                let conId = desk.conId(instrument)
            else {
                out += error(Int(field(2)) ?? -1, 200, "No security definition has been found for the request")
                return true
            }
            out += optionContractData(req, instrument, conId: conId)
            out += TWSWire.frame([Out.contractDataEnd.code, "1", String(req)])
        case .reqSecDefOptParams:
            // [78, reqId, underlyingSymbol, futFopExchange, underlyingSecType, underlyingConId]
            guard let req = Int(field(1)) else { return true }
            let symbol = field(2)
            let expirations = desk.listing.expirations(of: symbol), strikes = desk.listing.strikes(of: symbol)
            if let index = desk.symbols.firstIndex(of: symbol), !expirations.isEmpty {
                out += TWSWire.frame(
                    [
                        Out.securityDefinitionOptionParameter.code, String(req), "SMART",
                        String(OptionListing.conId(.stock(symbol: symbol), symbolIndex: index)),
                        symbol, "100", String(expirations.count),
                    ] + expirations + [String(strikes.count)] + strikes.map(TWSWire.number))
            }
            out += TWSWire.frame([Out.securityDefinitionOptionParameterEnd.code, String(req)])
        case .reqMktData where field(5) == "OPT":
            guard let req = Int(field(2)) else { return true }
            guard let instrument = try? TWSOrderMessages.instrument(symbol: field(4), secType: "OPT", expiry: field(6), strike: field(7), right: field(8)),
                desk.conId(instrument) != nil
            else {
                out += error(req, 200, "No security definition has been found for the request")
                return true
            }
            s.optionTickers[req] = instrument
            out += TWSWire.frame([Out.marketDataType.code, "1", String(req), "1"])
            s.lastOptionTicks = -.infinity
        case .reqMktData where field(5) == "STK":
            // As TWS does, the quote in force at once (the tape's next quote may be a while).
            if let req = Int(field(2)), let q = desk.read({ _, market in market(.stock(symbol: field(4))) }), q.bid > 0, q.ask > 0 {
                out += TWSWire.frame([Out.tickPrice.code, "6", String(req), "1", TWSWire.number(q.bid), String(q.bidSize), "0"])
                out += TWSWire.frame([Out.tickPrice.code, "6", String(req), "2", TWSWire.number(q.ask), String(q.askSize), "0"])
                if let last = q.last { out += TWSWire.frame([Out.tickPrice.code, "6", String(req), "4", TWSWire.number(last), "0", "0"]) }
            }
            return false
        case .cancelMktData:
            if let req = Int(field(2)), s.optionTickers.removeValue(forKey: req) != nil { return true }
            return false
        default:
            return false
        }
        return true
    }

    private func placeOrder(_ f: [String], _ s: Session, _ out: inout [UInt8], client: Int) {
        guard let desk else { return }
        let id = f.count > 1 ? Int(f[1]) ?? -1 : -1
        do {
            let (request, _, _) = try TWSOrderMessages.parsePlaceOrder(f)
            deliver(desk.place(request, client: s.clientId), to: s, &out)
            s.nextOrderID = max(s.nextOrderID, request.id + 1)
        } catch {
            // 387: an order type TWS does not take here; 321: a request it cannot read.
            let code = error.code == .unsupportedOrderType ? 387 : 321
            out += self.error(
                id, code,
                code == 387
                    ? "Unsupported order type for this exchange and security type. \(error.description)"
                    : "Error validating request.-'\(error.description)'")
        }
    }

    /// SCHED_IDLE for the calling thread alone (Linux schedules policies per thread): it runs
    /// only on a core nothing else wants, and any other thread that wakes takes the core at
    /// once — where nice 10 still made a waking connection wait out the running save.
    static func lowerThisThreadsPriority() {
        var parameters = sched_param()
        _ = sched_setscheduler(0, 5, &parameters)  // 5: SCHED_IDLE (not imported into Swift)
    }

    /// The desk's market thread: every millisecond, the working orders meet the market.
    func startMarketThread() {
        let t = Thread { [self] in
            while !stopped.load(ordering: .relaxed) {
                stepMarket()
                usleep(1_000)
            }
            desk?.flush()
        }
        t.name = "tws-sim-market"
        t.start()
        // The account file, at a lower priority than the connections and the market: encoding
        // a busy day's account takes milliseconds of a core, and on a small machine that core
        // is the one an order's reply is waiting for (it was in the order round trip's p99).
        let saver = Thread { [self] in
            TWSSimulator.lowerThisThreadsPriority()
            while !stopped.load(ordering: .relaxed) {
                desk?.saveIfDue()
                usleep(100_000)
            }
        }
        saver.name = "tws-sim-account"
        saver.start()
    }

    /// The working orders meet the market at the clock; what that does goes to the connections
    /// it is for (the market thread's work, every millisecond; a backtest's, every step).
    public func stepMarket() {
        guard let desk else { return }
        let routed = desk.step()
        if !routed.isEmpty { broadcast(routed) }
    }

    /// Events for the connection serving a request: those for its client go straight into
    /// `out`, those for other clients (or everyone) into their connections' outboxes.
    private func deliver(_ routed: [PaperDesk.Routed], to s: Session, _ out: inout [UInt8]) {
        var others: [PaperDesk.Routed] = []
        for r in routed {
            if r.client == s.clientId || r.client == nil { out += frames(r.event, for: s) }
            if r.client != s.clientId { others.append(r) }
        }
        if !others.isEmpty { broadcast(others, except: s) }
    }

    /// Events into the outboxes of the connections they are for (a client id's, or all).
    private func broadcast(_ routed: [PaperDesk.Routed], except served: Session? = nil) {
        let all = sessions.withLock { $0 }
        for (_, session) in all where session !== served {
            let mine = routed.filter { $0.client == session.clientId || $0.client == nil }
            if !mine.isEmpty { session.outbox.withLock { $0 += mine } }
        }
    }

    /// The connection's thread turns what others left in its outbox into messages.
    func drainOutbox(_ s: Session, _ out: inout [UInt8]) {
        let events = s.outbox.withLock { o in
            defer { o.removeAll(keepingCapacity: true) }; return o
        }
        for r in events { out += frames(r.event, for: s) }
    }

    /// One event as the TWS messages a connection receives, in TWS's order (openOrder →
    /// orderStatus Submitted → execDetails → orderStatus Filled → commissionReport).
    private func frames(_ event: BrokerEvent, for s: Session) -> [UInt8] {
        guard let desk else { return [] }
        switch event {
        case .opened(let o):
            let view = orderView(o, client: desk.owner(of: o.id))
            return TWSWire.frame(TWSOrderMessages.openOrder(view)) + TWSWire.frame(TWSOrderMessages.orderStatus(view))
        case .status(let o):
            var bytes = TWSWire.frame(TWSOrderMessages.orderStatus(orderView(o, client: desk.owner(of: o.id))))
            if let commission = s.pendingCommissions.removeValue(forKey: o.id) { bytes += commission }
            return bytes
        case .execution(let e):
            let owner = desk.owner(of: e.orderId) ?? 0
            s.pendingCommissions[e.orderId, default: []] += TWSWire.frame(
                TWSOrderMessages.commissionReport(execId: e.id, commission: e.commission, realizedPnL: e.realizedPnL))
            return TWSWire.frame(TWSOrderMessages.execDetails(fill(e, clientId: owner)))
        case .error(let id, let code, let message):
            return TWSWire.frame(TWSOrderMessages.error(id: id, code: code, message: message))
        case .position(let instrument, let p):
            var bytes: [UInt8] = []
            if s.positions { bytes += positionFrame(instrument, p) }
            if s.accountUpdates { bytes += portfolioFrame(instrument, p) + accountFrames(account, portfolio: false) }
            return bytes
        case .whatIf(let id, let commission, let margin, let equity):
            let pending = desk.pendingWhatIf(id)
            guard let request = pending else { return [] }
            let view = TWSOrderMessages.OrderView(
                request: request, conId: desk.conId(request.instrument) ?? 0, permId: 0, clientId: s.clientId,
                status: "PreSubmitted", account: account)
            return TWSWire.frame(TWSOrderMessages.openOrder(view, whatIf: (commission, margin, equity)))
        }
    }

    private func orderView(_ o: BrokerOrder, client: Int?) -> TWSOrderMessages.OrderView {
        TWSOrderMessages.OrderView(
            request: o.request, conId: desk?.conId(o.request.instrument) ?? 0, permId: o.permId,
            clientId: client ?? 0, status: o.status == .held ? "PreSubmitted" : o.status.rawValue,
            filled: o.filled, averagePrice: o.averagePrice,
            lastFillPrice: desk?.read { broker, _ in broker.executions.last { $0.orderId == o.id }?.price } ?? 0, account: account)
    }

    private func fill(_ e: Execution, clientId: Int) -> TWSOrderMessages.Fill {
        TWSOrderMessages.Fill(
            execId: e.id, orderId: e.orderId, permId: e.permId, clientId: clientId, orderRef: e.orderRef, instrument: e.instrument,
            conId: desk?.conId(e.instrument) ?? 0, action: e.action, quantity: e.quantity, price: e.price,
            time: Double(e.time) / 1_000_000, cumulativeQuantity: e.cumulativeQuantity, averagePrice: e.averagePrice,
            account: account, exchange: e.instrument.isOption ? "CBOE" : "ISLAND")
    }

    private func positionFrame(_ instrument: Instrument, _ p: BrokerPosition) -> [UInt8] {
        TWSWire.frame(
            TWSOrderMessages.position(
                account: account, instrument: instrument, conId: desk?.conId(instrument) ?? 0,
                quantity: p.quantity, averageCost: p.averageCost))
    }

    private func portfolioFrame(_ instrument: Instrument, _ p: BrokerPosition) -> [UInt8] {
        guard let desk else { return [] }
        let mark =
            desk.read { _, market in market(instrument).map { $0.bid > 0 && $0.ask > 0 ? $0.mid : $0.last ?? 0 } } ?? p.averageCost / instrument.multiplier
        let unrealized = (mark * instrument.multiplier - p.averageCost) * Double(p.quantity)
        return TWSWire.frame(
            TWSOrderMessages.portfolio(
                account: account, instrument: instrument, conId: desk.conId(instrument) ?? 0,
                quantity: p.quantity, marketPrice: mark, averageCost: p.averageCost,
                unrealizedPnL: unrealized, realizedPnL: p.realizedPnL))
    }

    /// The account's values (and, with `portfolio`, a portfolio line per position), then the time.
    private func accountFrames(_ name: String, portfolio: Bool = true) -> [UInt8] {
        guard let desk else { return [] }
        let (a, positions) = desk.read { broker, market in (broker.account(market: market), broker.positions) }
        var bytes: [UInt8] = []
        let values: [(String, Double)] = [
            ("NetLiquidation", a.netLiquidation), ("TotalCashValue", a.cash), ("BuyingPower", a.buyingPower), ("AvailableFunds", a.availableFunds),
            ("ExcessLiquidity", a.availableFunds), ("GrossPositionValue", a.grossPositionValue), ("InitMarginReq", a.initialMargin),
            ("EquityWithLoanValue", a.netLiquidation), ("RealizedPnL", a.realizedPnL), ("UnrealizedPnL", a.unrealizedPnL),
        ]
        for (key, value) in values { bytes += TWSWire.frame([Out.accountValue.code, "2", key, String(format: "%.2f", value), "USD", name]) }
        bytes += TWSWire.frame([Out.accountValue.code, "2", "AccountType", "INDIVIDUAL", "", name])
        if portfolio {
            for (instrument, p) in positions.sorted(by: { $0.key.description < $1.key.description }) where p.quantity != 0 {
                bytes += portfolioFrame(instrument, p)
            }
        }
        bytes += TWSWire.frame([Out.accountUpdateTime.code, "1", TWSSimulator.accountTime()])
        return bytes
    }

    /// contractData for a listed option (40 fields at 176).
    private func optionContractData(_ req: Int, _ instrument: Instrument, conId: Int) -> [UInt8] {
        guard case .option(let symbol, let expiry, let strike, let right) = instrument, let desk else { return [] }
        let underlying = desk.symbols.firstIndex(of: symbol).map { OptionListing.conId(.stock(symbol: symbol), symbolIndex: $0) } ?? 0
        let tick = TickSize.pennyPilot.contains(symbol) ? "0.01" : "0.05"
        return TWSWire.frame([
            Out.contractData.code, String(req), symbol, "OPT", expiry, TWSWire.number(strike), right.rawValue, "SMART", "USD",
            TWSOrderMessages.localSymbol(instrument), symbol, symbol, String(conId), tick, "100", "LMT,MKT,STP,STP LMT", "SMART,CBOE,ISE,AMEX",
            "1", String(underlying), symbol, "", String(expiry.prefix(6)), "", "", "", "US/Eastern", "", "", "", "", "0", "1", symbol, "STK",
            "26,26", expiry, "", "1", "1", "1",
        ])
    }

    /// Option quotes for the connection's option subscriptions: bid/ask and the model's
    /// greeks (tick 13), four times a second.
    func optionTicks(_ s: Session, _ out: inout [UInt8]) {
        guard let desk, !s.optionTickers.isEmpty, timer.now() - s.lastOptionTicks >= 0.25 else { return }
        s.lastOptionTicks = timer.now()
        for (req, instrument) in s.optionTickers.sorted(by: { $0.key < $1.key }) {
            guard let (quote, greeks, underlying) = desk.optionModel(instrument) else { continue }
            out += TWSWire.frame([Out.tickPrice.code, "6", String(req), "1", TWSWire.number(quote.bid), String(quote.bidSize), "0"])
            out += TWSWire.frame([Out.tickPrice.code, "6", String(req), "2", TWSWire.number(quote.ask), String(quote.askSize), "0"])
            out += TWSWire.frame([
                Out.tickOptionComputation.code, String(req), "13", "1", TWSWire.number(greeks.volatility), TWSWire.number(greeks.delta),
                TWSWire.number(greeks.price), "0", TWSWire.number(greeks.gamma), TWSWire.number(greeks.vega),
                TWSWire.number(greeks.theta), TWSWire.number(underlying),
            ])
        }
    }
}
