import Foundation
import OrchestratorCore

/// The order messages of the TWS API at server version 176, field by field, for both ends: the
/// client (`TWSClient`) writes `placeOrder` and reads the replies, the paper broker (`tws-sim`)
/// reads `placeOrder` and writes the replies. Layouts as ibapi 10.50 and ib_async 2.1 encode and
/// decode them (both were checked against these).
public enum TWSOrderMessages {
    /// TWS's "unset" double, as the decoders print it.
    public static let unsetDouble = "1.7976931348623157E308"

    // MARK: Contracts

    /// The contract's twelve fields as placeOrder and reqMktData carry them: conId, symbol,
    /// secType, lastTradeDateOrContractMonth, strike, right, multiplier, exchange,
    /// primaryExchange, currency, localSymbol, tradingClass.
    public static func contractFields(_ instrument: Instrument, conId: Int = 0) -> [String] {
        switch instrument {
        case .stock(let symbol):
            return [String(conId), symbol, "STK", "", "", "", "", "SMART", "", "USD", "", ""]
        case .option(let symbol, let expiry, let strike, let right):
            return [String(conId), symbol, "OPT", expiry, TWSWire.number(strike), right.rawValue, "100", "SMART", "", "USD", "", ""]
        }
    }

    /// The instrument a contract's fields name, or why not: `fields` from secType on
    /// (secType, lastTradeDateOrContractMonth, strike, right) and the symbol.
    public static func instrument(symbol: String, secType: String, expiry: String, strike: String, right: String) throws(TWSError) -> Instrument {
        switch secType {
        case "STK":
            guard !symbol.isEmpty else { throw TWSError(.protocolError, "a stock contract without a symbol") }
            return .stock(symbol: symbol)
        case "OPT":
            guard !symbol.isEmpty, expiry.count == 8, Int(expiry) != nil else {
                throw TWSError(.protocolError, "an option contract needs a symbol and lastTradeDateOrContractMonth as YYYYMMDD, found \"\(expiry)\"")
            }
            guard let k = Double(strike), k > 0, k.isFinite else { throw TWSError(.protocolError, "an option contract needs a strike, found \"\(strike)\"") }
            let r: Instrument.OptionRight
            switch right.uppercased() {
            case "C", "CALL": r = .call
            case "P", "PUT": r = .put
            default: throw TWSError(.protocolError, "an option contract needs right C or P, found \"\(right)\"")
            }
            return .option(symbol: symbol, expiry: expiry, strike: k, right: r)
        default:
            throw TWSError(.protocolError, "secType \"\(secType)\" is not traded here (STK and OPT are)")
        }
    }

    /// The OCC symbol TWS uses as an option's localSymbol: `AAPL  250117C00150000`.
    public static func localSymbol(_ instrument: Instrument) -> String {
        switch instrument {
        case .stock(let symbol): return symbol
        case .option(let symbol, let expiry, let strike, let right):
            let root = symbol.count >= 6 ? symbol : symbol + String(repeating: " ", count: 6 - symbol.count)
            let thousandths = String(Int((strike * 1000).rounded()))
            return root + expiry.dropFirst(2) + right.rawValue + String(repeating: "0", count: max(0, 8 - thousandths.count)) + thousandths
        }
    }

    /// secType through tradingClass for the messages that carry a contract without primary
    /// exchange (openOrder, execDetails, position): conId, symbol, secType, expiry, strike,
    /// right, multiplier, exchange, currency, localSymbol, tradingClass.
    static func describedContract(_ instrument: Instrument, conId: Int) -> [String] {
        let option = instrument.isOption
        let expiry: String, strike: String, right: String
        if case .option(_, let e, let k, let r) = instrument {
            (expiry, strike, right) = (e, TWSWire.number(k), r.rawValue)
        } else {
            (expiry, strike, right) = ("", "0", "")
        }
        return [
            String(conId), instrument.symbol, instrument.securityType, expiry, strike, right, option ? "100" : "", "SMART", "USD",
            localSymbol(instrument), option ? instrument.symbol : "NMS",
        ]
    }

    // MARK: placeOrder

    /// A placeOrder as the client sends it at 176: 115 fields, no version (layout of ibapi's
    /// `EClient.placeOrder` with the defaults for everything AlphaTrader does not set).
    public static func placeOrder(_ r: OrderRequest, conId: Int = 0, account: String = "") -> [String] {
        var f = [TWSMessage.Outgoing.placeOrder.code, String(r.id)] + contractFields(r.instrument, conId: conId)
        f += ["", ""]  // secIdType, secId
        f += [
            r.action.rawValue, String(r.quantity), r.kind.code, r.kind.limitPrice.map(TWSWire.number) ?? "",
            r.kind.stopPrice.map(TWSWire.number) ?? "", r.timeInForce.rawValue, r.ocaGroup ?? "", account, "O", "0", r.orderRef,
            r.transmit ? "1" : "0", String(r.parentId ?? 0),
        ]
        f += ["0", "0", "0", "0", "0", "0"]  // block, sweep, display, trigger, outsideRth, hidden
        f += ["", "0", "", "", "", "", "", "", "", "0", "", "-1"]  // sharesAllocation … exemptCode
        f += [r.ocaGroup == nil ? "0" : "1"]  // ocaType: cancel the others, with block
        f += ["", "", "0", "", "", "0", "0", "", "0", "", "", "", "", "", "0", "", "", "", ""]  // rule80A … deltaNeutralAuxPrice
        f += ["0", "", "", "", "", "", "", "", "", "", "", "0", "", "", "0", "0", ""]  // continuousUpdate … algoStrategy
        f += ["", r.whatIf ? "1" : "0", "", "0", "0", "0", "0"]  // algoId, whatIf, misc, solicited, randomize ×2, conditions
        f += ["", "", "", "", "", "", "0", "", "", "", "", "", "", "", "", "0", "0", "0", "", "", "", "0", "", ""]
        return f
    }

    /// Reads a placeOrder (any encoder's defaults: ibapi's and ib_async's differ in values, not
    /// positions), walking the optional blocks to reach whatIf. Unsupported features (combos,
    /// algos, conditions, scale, hedge, delta-neutral) are refused with the reason.
    public static func parsePlaceOrder(_ f: [String]) throws(TWSError) -> (request: OrderRequest, conId: Int, account: String) {
        func at(_ i: Int) -> String { i < f.count ? f[i] : "" }
        func bad(_ what: String) -> TWSError { TWSError(.protocolError, "placeOrder: \(what)") }
        guard f.count >= 35, let id = Int(at(1)) else { throw bad("\(f.count) fields, no order id") }
        let conId = Int(at(2)) ?? 0
        guard at(4) != "BAG" else { throw bad("combination orders (BAG) are not supported") }
        let instrument = try instrument(symbol: at(3), secType: at(4), expiry: at(5), strike: at(6), right: at(7))
        guard let action = OrderRequest.Action(rawValue: at(16)) else { throw bad("action \"\(at(16))\" is neither BUY nor SELL") }
        guard let quantityValue = Double(at(17)), quantityValue == quantityValue.rounded(), quantityValue.magnitude < 1e9 else {
            throw bad("totalQuantity \"\(at(17))\" is not a whole number")
        }
        let limit = price(at(19)), stop = price(at(20))
        let kind: OrderRequest.Kind
        switch at(18) {
        case "MKT": kind = .market
        case "LMT":
            guard let limit else { throw bad("a LMT order without lmtPrice") }
            kind = .limit(limit)
        case "STP":
            guard let stop else { throw bad("a STP order without auxPrice (the stop price)") }
            kind = .stop(trigger: stop)
        case "STP LMT":
            guard let limit, let stop else { throw bad("a STP LMT order needs lmtPrice and auxPrice") }
            kind = .stopLimit(trigger: stop, limit: limit)
        default:
            throw TWSError(.unsupportedOrderType, "order type \"\(at(18))\" is not supported (MKT, LMT, STP, STP LMT are)")
        }
        let tif: OrderRequest.TimeInForce
        switch at(21) {
        case "", "DAY": tif = .day
        case "IOC": tif = .immediateOrCancel
        case "GTC": tif = .goodTillCancelled
        default: throw TWSError(.unsupportedOrderType, "time in force \"\(at(21))\" is not supported (DAY, IOC and GTC are)")
        }
        // Walk the optional blocks (layouts §1.4): delta-neutral, scale, hedge, delta-neutral
        // contract, algo; whatIf follows algoId.
        var i = 65
        if !at(i).isEmpty { throw bad("delta-neutral orders are not supported") }
        i = 73
        if let increment = Double(at(i)), increment > 0, increment < 1e308 { throw bad("scale orders are not supported") }
        i = 77
        if !at(i).isEmpty { throw bad("hedge orders are not supported") }
        i = 82
        if at(i) == "1" { throw bad("delta-neutral contracts are not supported") }
        i = 83
        if !at(i).isEmpty { throw bad("algo orders (\(at(i))) are not supported") }
        if let conditions = Int(at(90)), conditions > 0 { throw bad("conditional orders are not supported") }
        let quantity = Int(quantityValue)
        let request = OrderRequest(
            id: id, instrument: instrument, action: action, quantity: quantity, kind: kind, timeInForce: tif,
            parentId: Int(at(28)).flatMap { $0 > 0 ? $0 : nil }, transmit: at(27) != "0",
            ocaGroup: at(22).isEmpty ? nil : at(22), orderRef: at(26), whatIf: at(85) == "1")
        return (request, conId, at(23))
    }

    /// A price field: nil for empty and TWS's unset values.
    static func price(_ text: String) -> Double? {
        guard let v = Double(text), v.isFinite, v < 1e300 else { return nil }
        return v
    }

    // MARK: Replies (server → client)

    /// What the replies say about an order.
    public struct OrderView: Sendable, Equatable {
        public var request: OrderRequest
        public var conId: Int
        public var permId: Int
        public var clientId: Int
        public var status: String
        public var filled: Int
        public var averagePrice: Double
        public var lastFillPrice: Double
        public var account: String

        public init(
            request: OrderRequest, conId: Int, permId: Int, clientId: Int, status: String, filled: Int = 0,
            averagePrice: Double = 0, lastFillPrice: Double = 0, account: String
        ) {
            self.request = request; self.conId = conId; self.permId = permId; self.clientId = clientId; self.status = status
            self.filled = filled; self.averagePrice = averagePrice; self.lastFillPrice = lastFillPrice; self.account = account
        }
    }

    /// openOrder at 176: 128 fields, no version. A what-if answer carries the margin and the
    /// commission in the order state.
    public static func openOrder(_ o: OrderView, whatIf: (commission: Double, initialMargin: Double, equityWithLoan: Double)? = nil) -> [String] {
        let r = o.request
        var f = [TWSMessage.Incoming.openOrder.code, String(r.id)] + describedContract(r.instrument, conId: o.conId)
        f += [
            r.action.rawValue, String(r.quantity), r.kind.code, r.kind.limitPrice.map(TWSWire.number) ?? "",
            r.kind.stopPrice.map(TWSWire.number) ?? "", r.timeInForce.rawValue, r.ocaGroup ?? "", o.account, "O", "0", r.orderRef,
            String(o.clientId), String(o.permId),
        ]
        f += ["0", "0", "0", "", "", "", "", "", "", "", "", "", "", "", "0", "", "-1", "0", "", "", "", "", "", "0", "0", "0", "0", ""]
        f += [r.ocaGroup == nil ? "0" : "1", "0", "0", "", String(r.parentId ?? 0), "0", "", "0", "", ""]
        f += ["0", "0", "", "", "", "", "", "0", "0", "0", "", "", "", "", "0", "", "", "0", "0", "", "0", r.whatIf ? "1" : "0"]
        f.append(whatIf == nil ? o.status : "PreSubmitted")
        if let w = whatIf {
            let margin = TWSWire.number(w.initialMargin), equity = TWSWire.number(w.equityWithLoan)
            f += [
                "0", "0", equity, margin, margin, "0", margin, margin, equity, TWSWire.number(w.commission), TWSWire.number(w.commission),
                TWSWire.number(w.commission), "USD", "",
            ]
        } else {
            f += ["", "", "", "", "", "", "", "", "", "", "", "", "", ""]
        }
        f += [
            "0", "0", "0", "", unsetDouble, unsetDouble, unsetDouble, unsetDouble, unsetDouble, unsetDouble, "0", "", "", "", unsetDouble,
            "0", "0", "0", "0", "", "", "0", "", "", "", "", "",
        ]
        return f
    }

    /// completedOrder at 176: 97 fields, no version, no order id or client id (TWS reports a
    /// finished order by its permId and orderRef). `time` is when it finished.
    public static func completedOrder(_ o: OrderView, time: Double) -> [String] {
        let r = o.request
        var f = [TWSMessage.Incoming.completedOrder.code] + describedContract(r.instrument, conId: o.conId)
        f += [
            r.action.rawValue, String(r.quantity), r.kind.code, r.kind.limitPrice.map(TWSWire.number) ?? "", r.kind.stopPrice.map(TWSWire.number) ?? "",
            r.timeInForce.rawValue, r.ocaGroup ?? "", o.account, "O", "0", r.orderRef, String(o.permId),
        ]
        // outsideRth … stockRangeUpper (24–44), displaySize … trailingPercent (45–58)
        f += ["0", "0", "0", "", "", "", "", "", "", "", "", "", "", "0", "", "-1", "", "", "", "", ""]
        f += ["0", "0", "0", "", r.ocaGroup == nil ? "0" : "1", "0", "", "0", "", "", "0", "0", "", ""]
        // combo legs, scale, hedge, clearing, notHeld, delta-neutral contract, algo, solicited (59–72)
        f += ["", "0", "0", "0", "", "", "", "", "", "", "0", "0", "", "0"]
        // status … parentPermId (73–89)
        f += [o.status, "0", "0", "0", unsetDouble, unsetDouble, unsetDouble, "0", "0", "", String(o.filled), "0", "0", "", "0", "0", "0"]
        f += [executionTime(time), o.status, "", "", "", "", ""]
        return f
    }

    /// A completedOrder's orderRef, permId, status and filled quantity; nil for a message too
    /// short to be one.
    public static func parseCompletedOrder(_ f: [String]) -> (ref: String, permId: Int, status: String, filled: Int)? {
        guard f.count >= 92, let permId = Int(f[23]) else { return nil }
        return (f[22], permId, f[91].isEmpty ? f[73] : f[91], Int(Double(f[83]) ?? 0))
    }

    /// orderStatus at 176: 12 fields, no version.
    public static func orderStatus(_ o: OrderView) -> [String] {
        [
            TWSMessage.Incoming.orderStatus.code, String(o.request.id), o.status, String(o.filled), String(o.request.quantity - o.filled),
            TWSWire.number(o.averagePrice), String(o.permId), String(o.request.parentId ?? 0), TWSWire.number(o.lastFillPrice),
            String(o.clientId), "", "0",
        ]
    }

    /// One fill as both ends see it.
    public struct Fill: Sendable, Equatable {
        public var execId: String
        public var orderId: Int
        public var permId: Int
        public var clientId: Int
        public var orderRef: String
        public var instrument: Instrument
        public var conId: Int
        public var action: OrderRequest.Action
        public var quantity: Int
        public var price: Double
        /// Epoch seconds.
        public var time: Double
        public var cumulativeQuantity: Int
        public var averagePrice: Double
        public var account: String
        public var exchange: String

        public init(
            execId: String, orderId: Int, permId: Int, clientId: Int, orderRef: String, instrument: Instrument, conId: Int,
            action: OrderRequest.Action, quantity: Int, price: Double, time: Double, cumulativeQuantity: Int,
            averagePrice: Double, account: String, exchange: String
        ) {
            self.execId = execId; self.orderId = orderId; self.permId = permId; self.clientId = clientId; self.orderRef = orderRef
            self.instrument = instrument; self.conId = conId; self.action = action; self.quantity = quantity; self.price = price
            self.time = time; self.cumulativeQuantity = cumulativeQuantity; self.averagePrice = averagePrice; self.account = account
            self.exchange = exchange
        }
    }

    /// execDetails at 176: 31 fields, no version; `requestId` −1 for a live fill.
    public static func execDetails(_ x: Fill, requestId: Int = -1) -> [String] {
        [TWSMessage.Incoming.executionData.code, String(requestId), String(x.orderId)] + describedContract(x.instrument, conId: x.conId)
            + [
                x.execId, executionTime(x.time), x.account, x.exchange, x.action == .buy ? "BOT" : "SLD", String(x.quantity),
                TWSWire.number(x.price), String(x.permId), String(x.clientId), "0", String(x.cumulativeQuantity), TWSWire.number(x.averagePrice),
                x.orderRef, "", "", "", "2",
            ]
    }

    /// Reads execDetails (at 176).
    public static func parseExecDetails(_ f: [String]) throws(TWSError) -> (requestId: Int, fill: Fill) {
        guard f.count >= 27, let requestId = Int(f[1]), let orderId = Int(f[2]), let conId = Int(f[3]), let quantity = Double(f[19]),
            let price = Double(f[20]), let permId = Int(f[21]), let clientId = Int(f[22]), let cumulative = Double(f[24]),
            let average = Double(f[25])
        else {
            throw TWSError(.protocolError, "execDetails: \(f.count) fields, not the layout of server version 176")
        }
        let instrument = try instrument(symbol: f[4], secType: f[5], expiry: f[6], strike: f[7], right: f[8])
        let action: OrderRequest.Action = f[18] == "BOT" ? .buy : .sell
        return (
            requestId,
            Fill(
                execId: f[14], orderId: orderId, permId: permId, clientId: clientId, orderRef: f[26], instrument: instrument,
                conId: conId, action: action, quantity: Int(quantity), price: price, time: parseExecutionTime(f[15]) ?? 0,
                cumulativeQuantity: Int(cumulative), averagePrice: average, account: f[16], exchange: f[17])
        )
    }

    /// commissionReport: 8 fields with its version; realized P&L unset for an opening fill.
    public static func commissionReport(execId: String, commission: Double, realizedPnL: Double?) -> [String] {
        [
            TWSMessage.Incoming.commissionReport.code, "1", execId, TWSWire.number(commission), "USD",
            realizedPnL.map(TWSWire.number) ?? unsetDouble, unsetDouble, "",
        ]
    }

    /// position: 16 fields with its version (3).
    public static func position(account: String, instrument: Instrument, conId: Int, quantity: Int, averageCost: Double) -> [String] {
        [TWSMessage.Incoming.positionData.code, "3", account] + describedContract(instrument, conId: conId)
            + [String(quantity), TWSWire.number(averageCost)]
    }

    /// updatePortfolio: 20 fields with its version (8); primaryExchange in place of exchange.
    public static func portfolio(
        account: String, instrument: Instrument, conId: Int, quantity: Int, marketPrice: Double,
        averageCost: Double, unrealizedPnL: Double, realizedPnL: Double
    ) -> [String] {
        var contract = describedContract(instrument, conId: conId)
        contract[7] = ""  // primaryExchange
        return [TWSMessage.Incoming.portfolioValue.code, "8"] + contract
            + [
                String(quantity), TWSWire.number(marketPrice), TWSWire.number(marketPrice * Double(quantity) * instrument.multiplier),
                TWSWire.number(averageCost), TWSWire.number(unrealizedPnL), TWSWire.number(realizedPnL), account,
            ]
    }

    /// An error for a request or an order: 6 fields with its version (2).
    public static func error(id: Int, code: Int, message: String) -> [String] {
        [TWSMessage.Incoming.error.code, "2", String(id), String(code), message, ""]
    }

    /// `20250115 14:30:05 UTC`: the form ib_async reads as a zoned time. Arithmetic, not a
    /// DateFormatter: building ICU's formatter cost ~0.2 ms an execution, most of the reply's
    /// processing in the order round trip.
    public static func executionTime(_ t: Double) -> String {
        let seconds = Int((t).rounded(.down))
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let date = LocalDate(daysSinceEpoch: days)
        let s = seconds - days * 86_400
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : String(n) }
        return "\(date.year)\(two(date.month))\(two(date.day)) \(two(s / 3600)):\(two(s / 60 % 60)):\(two(s % 60)) UTC"
    }

    /// An execution's time as TWS writes it — `yyyyMMdd HH:mm:ss` (one or two spaces), then
    /// optionally a zone (`UTC`, `GMT`, or an identifier such as `US/Eastern`; none is UTC) —
    /// as seconds since the epoch; nil when it is not that.
    public static func parseExecutionTime(_ text: String) -> Double? {
        let bytes = Array(text.utf8)
        func number(_ from: Int, _ count: Int) -> Int? {
            guard from + count <= bytes.count else { return nil }
            var n = 0
            for b in bytes[from..<(from + count)] {
                guard b >= 48, b <= 57 else { return nil }
                n = n * 10 + Int(b - 48)
            }
            return n
        }
        guard let year = number(0, 4), let month = number(4, 2), let day = number(6, 2), bytes.count > 9, bytes[8] == 32 else { return nil }
        let t = bytes[9] == 32 ? 10 : 9
        guard let hour = number(t, 2), let minute = number(t + 3, 2), let second = number(t + 6, 2), bytes[t + 2] == 58, bytes[t + 5] == 58,
            LocalDate(year: year, month: month, day: day) != nil, hour < 24, minute < 60, second < 61
        else { return nil }
        let local = Double(LocalDate.daysFromCivil(year: year, month: month, day: day) * 86_400 + hour * 3600 + minute * 60 + second)
        let zone = String(decoding: bytes[min(bytes.count, t + 8)...], as: UTF8.self).trimmingCharacters(in: .whitespaces)
        if zone.isEmpty || zone == "UTC" || zone == "GMT" { return local }
        guard let tz = TimeZone(identifier: zone) else { return nil }
        // The offset in force at that local time (the offset at the UTC reading is within an
        // hour of it, and equal outside the hour of a DST change).
        let guess = local - Double(tz.secondsFromGMT(for: Date(timeIntervalSince1970: local)))
        return local - Double(tz.secondsFromGMT(for: Date(timeIntervalSince1970: guess)))
    }
}
