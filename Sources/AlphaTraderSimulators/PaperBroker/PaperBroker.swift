public import AlphaTrader
import Foundation

/// The paper account behind `tws-sim`: orders, fills against the market at the clock, positions,
/// cash and commissions — a pure value. The socket side turns its events into TWS messages and
/// feeds it the market (`quoteChanged`, `traded`); nothing here reads a clock or a file.
///
/// Fills: a marketable order fills at the touch (the ask for a buy, the bid for a sell) moved by
/// `slippageTicks` against it but never through its limit, up to the size displayed there (what
/// this account already took at the same quote is gone); the rest waits for the next quote. A
/// resting limit fills when the market trades through it (a print strictly beyond its price), at
/// its price, up to the print's size. A stop triggers when the last trade reaches it, then works
/// as a market (STP) or limit (STP LMT) order. IOC cancels what does not fill at once.
///
/// Refusals use TWS's codes: 200 unknown contract, 110 price off its tick, 201 rejected
/// (buying power, a limit more than 10 % (stocks) or 20 % (options) through the NBBO, a short
/// option opened, a bad quantity or price), 103 duplicate order id, 135 / 161 cancel of an
/// unknown or finished order, 202 cancelled.
public struct PaperBroker: Sendable, Codable {
    public struct Configuration: Sendable, Codable, Equatable {
        public var startingCash: Double
        public var slippageTicks: Int
        public init(startingCash: Double = 100_000, slippageTicks: Int = 0) {
            self.startingCash = startingCash; self.slippageTicks = slippageTicks
        }
    }

    /// Initial margin: a share of a long stock position's value, of a short one's.
    public static let longStockMargin = 0.25
    public static let shortStockMargin = 0.5

    public let configuration: Configuration
    public private(set) var orders: [Int: BrokerOrder] = [:]
    public private(set) var positions: [Instrument: BrokerPosition] = [:]
    public private(set) var executions: [Execution] = []
    public private(set) var cash: Double
    public private(set) var realizedPnL = 0.0
    public private(set) var commissions = 0.0
    private var nextPermId = 1_000_001
    /// Displayed size this account has taken at each instrument's current quote.
    private var taken: [Instrument: Taken] = [:]
    /// The orders not filled or cancelled, by id: what every placement and every quote change
    /// looks through (the day's orders are thousands; the working ones a few).
    private var open: Set<Int> = []

    /// The session the account last traded in, and the last whose close it has been through
    /// (YYYYMMDD): a desk that opens on a later day closes a session it missed the close of.
    public private(set) var session: String?
    public private(set) var closedThrough: String?

    /// The orders still working or held, by id.
    public var openOrders: [BrokerOrder] { open.sorted().compactMap { orders[$0] } }

    private enum CodingKeys: String, CodingKey {
        case configuration, orders, positions, executions, cash, realizedPnL, commissions, nextPermId, taken, session, closedThrough
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        configuration = try c.decode(Configuration.self, forKey: .configuration)
        orders = try c.decode([Int: BrokerOrder].self, forKey: .orders)
        positions = try c.decode([Instrument: BrokerPosition].self, forKey: .positions)
        executions = try c.decode([Execution].self, forKey: .executions)
        cash = try c.decode(Double.self, forKey: .cash)
        realizedPnL = try c.decode(Double.self, forKey: .realizedPnL)
        commissions = try c.decode(Double.self, forKey: .commissions)
        nextPermId = try c.decode(Int.self, forKey: .nextPermId)
        taken = try c.decode([Instrument: Taken].self, forKey: .taken)
        // Accounts written before sessions were kept have neither.
        session = try c.decodeIfPresent(String.self, forKey: .session)
        closedThrough = try c.decodeIfPresent(String.self, forKey: .closedThrough)
        open = Set(orders.values.filter { !$0.status.isFinished }.map(\.id))
    }

    private struct Taken: Sendable, Codable {
        var quote: MarketQuote
        var bid = 0
        var ask = 0
    }

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
        cash = configuration.startingCash
    }

    /// Where the market is for an instrument; nil for one the broker does not know.
    public typealias Market = (Instrument) -> MarketQuote?

    // MARK: Placing, modifying, cancelling

    /// `placeOrder`: a new order, or a modification of a working one with the same id.
    public mutating func place(_ request: OrderRequest, market: Market, time: Int64) -> [BrokerEvent] {
        guard let quote = market(request.instrument) else {
            return [.error(id: request.id, code: 200, message: "No security definition has been found for the request")]
        }
        if let refusal = refusal(of: request, quote: quote) { return [refusal] }
        if let existing = orders[request.id] {
            return modify(existing, to: request, market: market, time: time)
        }
        if request.whatIf { return [whatIf(request, quote: quote, market: market)] }
        if let refusal = buyingPowerRefusal(request, quote: quote, market: market) { return [refusal] }
        if let parent = request.parentId, orders[parent] == nil {
            return [.error(id: request.id, code: 201, message: "Order rejected - reason: parent order \(parent) is not known")]
        }
        let order = BrokerOrder(request: request, permId: nextPermId, status: .held)
        nextPermId += 1
        orders[request.id] = order
        open.insert(request.id)
        guard request.transmit else { return [] }
        return transmit(request, market: market, time: time)
    }

    /// TWS's checks on the order's own fields against the market.
    private func refusal(of r: OrderRequest, quote: MarketQuote) -> BrokerEvent? {
        func rejected(_ reason: String) -> BrokerEvent { .error(id: r.id, code: 201, message: "Order rejected - reason: " + reason) }
        guard r.quantity > 0 else { return rejected("the quantity \(r.quantity) is not positive") }
        for price in [r.kind.limitPrice, r.kind.stopPrice].compactMap({ $0 }) {
            guard price.isFinite, price > 0 else { return rejected("the price \(price) is not positive") }
            guard TickSize.conforms(price, for: r.instrument) else {
                let tick = TickSize.increment(for: r.instrument, at: price)
                return .error(
                    id: r.id, code: 110, message: "The price does not conform to the minimum price variation for this contract (\(TickSize.text(tick))).")
            }
        }
        if let limit = r.kind.limitPrice {
            let collar = r.instrument.isOption ? 0.20 : 0.10
            let through = r.action == .buy ? limit > quote.ask * (1 + collar) : limit < quote.bid * (1 - collar)
            if through && quote.bid > 0 && quote.ask > 0 {
                return rejected(
                    "the limit price \(TickSize.text(limit)) is more than \(Int(collar * 100))% through the NBBO \(TickSize.text(quote.bid))/\(TickSize.text(quote.ask))"
                )
            }
        }
        return nil
    }

    private mutating func modify(_ existing: BrokerOrder, to request: OrderRequest, market: Market, time: Int64) -> [BrokerEvent] {
        guard !existing.status.isFinished, existing.request.instrument == request.instrument, existing.request.action == request.action else {
            return [.error(id: request.id, code: 103, message: "Duplicate order id")]
        }
        guard request.quantity >= existing.filled else {
            return [
                .error(
                    id: request.id, code: 201,
                    message: "Order rejected - reason: the quantity \(request.quantity) is below the \(existing.filled) already filled")
            ]
        }
        var order = existing
        order.request.quantity = request.quantity
        order.request.kind = request.kind
        order.request.timeInForce = request.timeInForce
        orders[request.id] = order
        if order.status == .held { return request.transmit ? transmit(order.request, market: market, time: time) : [] }
        return [.opened(order)] + work(request.id, market: market, time: time)
    }

    /// Sends an order and the held orders of its bracket.
    private mutating func transmit(_ request: OrderRequest, market: Market, time: Int64) -> [BrokerEvent] {
        let root = request.parentId ?? request.id
        let bracket = open.filter { orders[$0]!.status == .held && ($0 == root || orders[$0]!.request.parentId == root) }.sorted()
        var events: [BrokerEvent] = []
        for id in bracket {
            let waitsForParent = orders[id]!.request.parentId.map { orders[$0]?.status != .filled } ?? false
            orders[id]!.status = waitsForParent ? .preSubmitted : .submitted
            events.append(.opened(orders[id]!))
        }
        for id in bracket where orders[id]!.status == .submitted { events += work(id, market: market, time: time) }
        return events
    }

    /// `cancelOrder`. Cancelling a bracket's parent cancels its children.
    public mutating func cancel(_ id: Int) -> [BrokerEvent] {
        guard let order = orders[id] else { return [.error(id: id, code: 135, message: "Can't find order with id =\(id)")] }
        guard !order.status.isFinished else {
            return [.error(id: id, code: 161, message: "Cancel attempted when order is not in a cancellable state. Order permId =\(order.permId)")]
        }
        var events = cancelled(id)
        for child in open.filter({ orders[$0]!.request.parentId == id }).sorted() {
            events += cancelled(child)
        }
        return events
    }

    /// `reqGlobalCancel`: every working order.
    public mutating func cancelAll() -> [BrokerEvent] {
        open.sorted().flatMap { cancelled($0) }
    }

    private mutating func cancelled(_ id: Int, reason: String = "") -> [BrokerEvent] {
        orders[id]!.status = .cancelled
        open.remove(id)
        return [.error(id: id, code: 202, message: "Order Canceled - reason:" + reason), .status(orders[id]!)]
    }

    // MARK: The market moves

    /// A new quote for `instrument`: marketable orders on it fill against it.
    public mutating func quoteChanged(_ instrument: Instrument, market: Market, time: Int64) -> [BrokerEvent] {
        workingOrders(on: instrument).flatMap { work($0, market: market, time: time) }
    }

    /// A trade printed on `instrument`: stops trigger, resting limits it went through fill.
    public mutating func traded(_ instrument: Instrument, price: Double, size: Int, market: Market, time: Int64) -> [BrokerEvent] {
        var events: [BrokerEvent] = []
        var remainingPrint = size
        for id in workingOrders(on: instrument) {
            guard var order = orders[id], order.status == .submitted else { continue }
            if let stop = order.request.kind.stopPrice, !order.triggered {
                guard order.request.action == .buy ? price >= stop : price <= stop else { continue }
                order.triggered = true
                orders[id] = order
            }
            events += work(id, market: market, time: time)
            // A resting limit the print went through fills at its limit, up to the print's size.
            guard let o = orders[id], o.status == .submitted, remainingPrint > 0, let limit = o.request.kind.limitPrice,
                o.request.kind.stopPrice == nil || o.triggered,
                o.request.action == .buy ? price < limit : price > limit
            else { continue }
            let quantity = min(o.remaining, remainingPrint)
            remainingPrint -= quantity
            events += fill(id, quantity: quantity, price: limit, market: market, time: time)
        }
        return events
    }

    /// The account opens on session `day` (YYYYMMDD): when the session it last traded in was
    /// never closed (the desk stopped before its close), that close happens now — its DAY orders
    /// cancelled; its expiring options are not settled, as their underlying's closing price is
    /// not known (the account keeps them).
    public mutating func open(day: String) -> [BrokerEvent] {
        var events: [BrokerEvent] = []
        if let last = session, last < day, closedThrough != last { events = close(day: last, underlying: { _ in nil }, time: 0) }
        session = day
        return events
    }

    /// The close of `day` (YYYYMMDD): options expiring that day settle at their intrinsic value
    /// on the underlying's price, and DAY orders are cancelled; GTC orders work on.
    public mutating func close(day: String, underlying: (String) -> Double?, time: Int64) -> [BrokerEvent] {
        closedThrough = day
        var events = open.filter { orders[$0]!.request.timeInForce == .day }.sorted()
            .flatMap { cancelled($0, reason: " the market closed") }
        for (instrument, position) in positions.sorted(by: { $0.key.description < $1.key.description }) {
            guard case .option(let symbol, let expiry, _, _) = instrument, expiry == day, position.quantity != 0,
                let price = underlying(symbol)
            else { continue }
            let value = instrument.intrinsicValue(underlying: price)
            let realized = (value * instrument.multiplier - position.averageCost) * Double(position.quantity)
            cash += value * instrument.multiplier * Double(position.quantity)
            realizedPnL += realized
            positions[instrument] = BrokerPosition(quantity: 0, averageCost: 0, realizedPnL: position.realizedPnL + realized)
            events.append(.position(instrument, positions[instrument]!))
        }
        return events
    }

    private func workingOrders(on instrument: Instrument) -> [Int] {
        open.filter { orders[$0]!.request.instrument == instrument && orders[$0]!.status == .submitted }.sorted()
    }

    // MARK: Filling

    /// Fills what of a submitted order is marketable now; IOC cancels the rest.
    private mutating func work(_ id: Int, market: Market, time: Int64) -> [BrokerEvent] {
        guard let order = orders[id], order.status == .submitted, let quote = market(order.request.instrument) else { return [] }
        var events: [BrokerEvent] = []
        // A stop triggers on the last trade; without trades (options), on the side it would take.
        let buy = order.request.action == .buy
        if let stop = order.request.kind.stopPrice, !order.triggered, case let reference = quote.last ?? (buy ? quote.ask : quote.bid),
            reference > 0, buy ? reference >= stop : reference <= stop
        {
            orders[id]!.triggered = true
        }
        if let price = executablePrice(orders[id]!, quote: quote) {
            let available = availableSize(orders[id]!.request, quote: quote)
            if available > 0 { events += fill(id, quantity: min(available, orders[id]!.remaining), price: price, market: market, time: time) }
        }
        if orders[id]!.request.timeInForce == .immediateOrCancel && !orders[id]!.status.isFinished {
            events += cancelled(id, reason: " immediate or cancel")
        }
        return events
    }

    /// The price a marketable order fills at now, or nil when it is not marketable.
    private func executablePrice(_ order: BrokerOrder, quote: MarketQuote) -> Double? {
        let r = order.request
        if r.kind.stopPrice != nil && !order.triggered { return nil }
        let buy = r.action == .buy
        let touch = buy ? quote.ask : quote.bid
        guard touch > 0 else { return nil }
        if let limit = r.kind.limitPrice, buy ? touch > limit : touch < limit { return nil }
        let tick = TickSize.increment(for: r.instrument, at: touch)
        var price = touch + Double(r.action.sign * configuration.slippageTicks) * tick
        if let limit = r.kind.limitPrice { price = buy ? min(price, limit) : max(price, limit) }
        return max(tick, TickSize.round(price, for: r.instrument))
    }

    /// The size displayed at the touch that this account has not taken yet.
    private mutating func availableSize(_ r: OrderRequest, quote: MarketQuote) -> Int {
        if taken[r.instrument]?.quote != quote { taken[r.instrument] = Taken(quote: quote) }
        return r.action == .buy ? quote.askSize - taken[r.instrument]!.ask : quote.bidSize - taken[r.instrument]!.bid
    }

    private mutating func fill(_ id: Int, quantity: Int, price: Double, market: Market, time: Int64) -> [BrokerEvent] {
        guard quantity > 0, var order = orders[id] else { return [] }
        let r = order.request
        if let quote = market(r.instrument) {
            if taken[r.instrument]?.quote != quote { taken[r.instrument] = Taken(quote: quote) }
            if r.action == .buy { taken[r.instrument]!.ask += quantity } else { taken[r.instrument]!.bid += quantity }
        }
        let commission = Commissions.forExecution(r.instrument, quantity: quantity, price: price, chargedBefore: order.commission)
        order.averagePrice = (order.averagePrice * Double(order.filled) + price * Double(quantity)) / Double(order.filled + quantity)
        order.filled += quantity
        order.commission += commission
        if order.remaining == 0 { order.status = .filled }
        orders[id] = order
        if order.status.isFinished { open.remove(id) }
        let realized = book(r.instrument, signed: r.action.sign * quantity, price: price, commission: commission)
        let execution = Execution(
            id: String(format: "0000e0d5.%08x.01.01", executions.count + 1), orderId: id, permId: order.permId, orderRef: r.orderRef,
            instrument: r.instrument, action: r.action, quantity: quantity, price: price, time: time,
            cumulativeQuantity: order.filled, averagePrice: order.averagePrice, commission: commission, realizedPnL: realized)
        executions.append(execution)
        var events: [BrokerEvent] = [.execution(execution), .status(order), .position(r.instrument, positions[r.instrument]!)]
        if order.status == .filled { events += filled(order, market: market, time: time) }
        return events
    }

    /// A fully filled order: its bracket's children start working, its OCA siblings are cancelled.
    private mutating func filled(_ order: BrokerOrder, market: Market, time: Int64) -> [BrokerEvent] {
        var events: [BrokerEvent] = []
        let siblings = open.compactMap { orders[$0] }.filter { other in
            other.id != order.id && !other.status.isFinished && other.status != .held
                && ((order.request.ocaGroup != nil && other.request.ocaGroup == order.request.ocaGroup)
                    || (order.request.parentId != nil && other.request.parentId == order.request.parentId))
        }.map(\.id).sorted()
        for id in siblings { events += cancelled(id, reason: " one-cancels-other") }
        let children = open.filter { orders[$0]!.request.parentId == order.id && orders[$0]!.status == .preSubmitted }.sorted()
        for id in children {
            orders[id]!.status = .submitted
            events.append(.status(orders[id]!))
        }
        for id in children { events += work(id, market: market, time: time) }
        return events
    }

    /// Books a fill into the position (`Holding`) and cash; returns the P&L it realized (nil
    /// when it only opened or added).
    private mutating func book(_ instrument: Instrument, signed quantity: Int, price: Double, commission: Double) -> Double? {
        let m = instrument.multiplier
        cash -= Double(quantity) * price * m + commission
        commissions += commission
        var p = positions[instrument] ?? BrokerPosition()
        let realized = p.apply(quantity, price: price, multiplier: m, commission: commission)
        if let realized { realizedPnL += realized }
        positions[instrument] = p
        return realized
    }

    // MARK: The account

    /// NetLiquidation, margin and funds at the market's marks (mid; the last trade without a
    /// quote; the average cost without either).
    public func account(market: Market) -> Account {
        var value = 0.0, margin = 0.0, unrealized = 0.0
        for (instrument, p) in positions where p.quantity != 0 {
            let m = instrument.multiplier
            let mark = market(instrument).map { $0.bid > 0 && $0.ask > 0 ? $0.mid : $0.last ?? p.averageCost / m } ?? p.averageCost / m
            let positionValue = Double(p.quantity) * mark * m
            value += positionValue
            unrealized += positionValue - Double(p.quantity) * p.averageCost
            if !instrument.isOption {
                margin += abs(positionValue) * (p.quantity > 0 ? PaperBroker.longStockMargin : PaperBroker.shortStockMargin)
            }
        }
        let net = cash + value
        return Account(
            netLiquidation: net, cash: cash, grossPositionValue: value, initialMargin: margin,
            availableFunds: net - margin, buyingPower: max(0, net - margin) / PaperBroker.longStockMargin,
            realizedPnL: realizedPnL, unrealizedPnL: unrealized, commissions: commissions)
    }

    public struct Account: Sendable, Equatable {
        public var netLiquidation, cash, grossPositionValue, initialMargin, availableFunds, buyingPower: Double
        public var realizedPnL, unrealizedPnL, commissions: Double
    }

    /// The initial margin an order would add, at `price`: what opens a position (closing frees).
    private func marginNeeded(_ r: OrderRequest, price: Double) -> (margin: Double, opensShortOption: Bool) {
        // A bracket's child acts on the position its parent will have made.
        var held = positions[r.instrument]?.quantity ?? 0
        if let parent = r.parentId.flatMap({ orders[$0] }), !parent.status.isFinished, parent.request.instrument == r.instrument {
            held += parent.request.action.sign * parent.remaining
        }
        let signed = r.action.sign * r.quantity
        let closing = held != 0 && (held > 0) != (signed > 0) ? min(abs(held), r.quantity) : 0
        let opening = r.quantity - closing
        guard opening > 0 else { return (0, false) }
        let notional = Double(opening) * price * r.instrument.multiplier
        if r.instrument.isOption { return r.action == .buy ? (notional, false) : (0, true) }
        return (notional * (r.action == .buy ? PaperBroker.longStockMargin : PaperBroker.shortStockMargin), false)
    }

    private func buyingPowerRefusal(_ r: OrderRequest, quote: MarketQuote, market: Market) -> BrokerEvent? {
        let price = r.kind.limitPrice ?? (r.action == .buy ? quote.ask : quote.bid)
        let (margin, shortOption) = marginNeeded(r, price: price)
        if shortOption {
            return .error(id: r.id, code: 201, message: "Order rejected - reason: opening a short option position is not allowed in this account")
        }
        let available = account(market: market).availableFunds
        guard margin <= available else {
            return .error(
                id: r.id, code: 201,
                message: String(format: "Order rejected - reason: insufficient buying power: the order needs %.2f, available funds are %.2f", margin, available)
            )
        }
        return nil
    }

    private func whatIf(_ r: OrderRequest, quote: MarketQuote, market: Market) -> BrokerEvent {
        let price = r.kind.limitPrice ?? (r.action == .buy ? quote.ask : quote.bid)
        let commission = Commissions.forExecution(r.instrument, quantity: r.quantity, price: price, chargedBefore: 0)
        let account = account(market: market)
        return .whatIf(
            id: r.id, commission: commission, initialMargin: account.initialMargin + marginNeeded(r, price: price).margin,
            equityWithLoan: account.netLiquidation - commission)
    }
}
