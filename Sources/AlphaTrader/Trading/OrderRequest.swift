/// One order as AlphaTrader places it and the broker receives it: the TWS API's order fields that
/// the trading system uses, as values whose cases carry their prices.
public struct OrderRequest: Hashable, Sendable, Codable {
    public enum Action: String, Sendable, Codable {
        case buy = "BUY", sell = "SELL"
        /// +1 for a buy, −1 for a sell.
        public var sign: Int { self == .buy ? 1 : -1 }
        public var opposite: Action { self == .buy ? .sell : .buy }
    }

    /// The order types the paper broker and the order path support (TWS's `orderType`).
    public enum Kind: Hashable, Sendable, Codable {
        case market
        case limit(Double)
        case stop(trigger: Double)
        case stopLimit(trigger: Double, limit: Double)

        /// TWS's name: MKT, LMT, STP, STP LMT.
        public var code: String {
            switch self {
            case .market: return "MKT"
            case .limit: return "LMT"
            case .stop: return "STP"
            case .stopLimit: return "STP LMT"
            }
        }

        public var limitPrice: Double? {
            switch self {
            case .limit(let p), .stopLimit(_, let p): return p
            case .market, .stop: return nil
            }
        }

        public var stopPrice: Double? {
            switch self {
            case .stop(let p), .stopLimit(let p, _): return p
            case .market, .limit: return nil
            }
        }
    }

    public enum TimeInForce: String, Sendable, Codable {
        /// Until filled, cancelled or the close.
        case day = "DAY"
        /// What fills at once; the rest is cancelled.
        case immediateOrCancel = "IOC"
        /// Until filled or cancelled, across sessions: the exits of a position held overnight.
        case goodTillCancelled = "GTC"
    }

    /// TWS's order id (from `nextValidId`, per client).
    public var id: Int
    public var instrument: Instrument
    public var action: Action
    public var quantity: Int
    public var kind: Kind
    public var timeInForce: TimeInForce
    /// The bracket's parent: this order waits until the parent fills.
    public var parentId: Int?
    /// False holds the order at the broker until a later order of its bracket is transmitted.
    public var transmit: Bool
    /// One-cancels-other group: when one order of it fills, the others are cancelled.
    public var ocaGroup: String?
    /// AlphaTrader's own id for the order, so that a restarted process recognises it.
    public var orderRef: String
    /// Asks for margin and commission only; never executes.
    public var whatIf: Bool

    public init(
        id: Int, instrument: Instrument, action: Action, quantity: Int, kind: Kind, timeInForce: TimeInForce = .day,
        parentId: Int? = nil, transmit: Bool = true, ocaGroup: String? = nil, orderRef: String = "", whatIf: Bool = false
    ) {
        self.id = id
        self.instrument = instrument
        self.action = action
        self.quantity = quantity
        self.kind = kind
        self.timeInForce = timeInForce
        self.parentId = parentId
        self.transmit = transmit
        self.ocaGroup = ocaGroup
        self.orderRef = orderRef
        self.whatIf = whatIf
    }
}
