public import AlphaTrader

/// The market the paper broker fills against for one instrument at one instant: the NBBO with
/// its displayed sizes (for an option, the model's quote on the underlying) and the last trade.
public struct MarketQuote: Sendable, Equatable, Codable {
    public var bid: Double
    public var ask: Double
    public var bidSize: Int
    public var askSize: Int
    public var last: Double?
    /// When the quote was made (market µs): a new quote shows fresh size even at the same
    /// prices, so the size this account took at the old one is not taken from it.
    public var stamp: Int64

    public init(bid: Double, ask: Double, bidSize: Int, askSize: Int, last: Double? = nil, stamp: Int64 = 0) {
        self.bid = bid; self.ask = ask; self.bidSize = bidSize; self.askSize = askSize; self.last = last; self.stamp = stamp
    }

    public var mid: Double { (bid + ask) / 2 }
}

/// An order at the broker, with what has happened to it.
public struct BrokerOrder: Sendable, Equatable, Codable {
    /// TWS's order states, as `orderStatus` names them.
    public enum Status: String, Sendable, Codable {
        /// Not transmitted yet (a bracket's first legs wait for its last).
        case held = "PendingSubmit"
        /// Accepted and waiting: a bracket's child until its parent fills.
        case preSubmitted = "PreSubmitted"
        case submitted = "Submitted"
        case filled = "Filled"
        case cancelled = "Cancelled"

        public var isFinished: Bool { self == .filled || self == .cancelled }
    }

    public internal(set) var request: OrderRequest
    public let permId: Int
    public internal(set) var status: Status
    public internal(set) var filled = 0
    public internal(set) var averagePrice = 0.0
    /// Commissions charged so far (the order's minimum included).
    public internal(set) var commission = 0.0
    /// A stop order whose trigger has been touched (it then works as market or limit).
    public internal(set) var triggered = false

    public var remaining: Int { request.quantity - filled }
    public var id: Int { request.id }
}

/// One fill: `execDetails` and its `commissionReport`.
public struct Execution: Sendable, Equatable, Codable {
    /// Unique per fill, TWS's shape: `0000e0d5.00000001.01.01`.
    public var id: String
    public var orderId: Int
    public var permId: Int
    public var orderRef: String
    public var instrument: Instrument
    public var action: OrderRequest.Action
    public var quantity: Int
    public var price: Double
    /// Market epoch microseconds.
    public var time: Int64
    public var cumulativeQuantity: Int
    public var averagePrice: Double
    public var commission: Double
    /// What this fill realized on the position it reduced, after its commission; nil when it
    /// only opened or added.
    public var realizedPnL: Double?
}

/// A position at the broker: signed quantity and average cost per unit of quantity, the
/// multiplier and opening commissions included (as TWS reports `avgCost`).
public typealias BrokerPosition = Holding

/// What the broker tells its client, in the order TWS sends it.
public enum BrokerEvent: Sendable, Equatable {
    /// `openOrder` then `orderStatus`: an order accepted, modified or transmitted.
    case opened(BrokerOrder)
    /// `orderStatus` alone.
    case status(BrokerOrder)
    /// `execDetails` then `commissionReport`.
    case execution(Execution)
    /// `error` for the order (`id`), TWS's code and text.
    case error(id: Int, code: Int, message: String)
    /// `position` (and the portfolio update).
    case position(Instrument, BrokerPosition)
    /// The answer to a what-if order: nothing is placed.
    case whatIf(id: Int, commission: Double, initialMargin: Double, equityWithLoan: Double)
}
