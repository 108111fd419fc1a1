public import AlphaTrader

/// IBKR's fixed commission schedule for US options and stocks, as a paper account charges it:
/// options $0.65 a contract at a premium of $0.10 or more, $0.50 from $0.05 to $0.10, $0.25
/// below $0.05; stocks $0.005 a share; $1.00 minimum an order. The minimum is the order's, not
/// each execution's: the first fills of an order carry it, later ones only their own rate.
public enum Commissions {
    public static let minimumPerOrder = 1.0

    /// The rate per unit of quantity at `price`.
    public static func rate(for instrument: Instrument, price: Double) -> Double {
        guard instrument.isOption else { return 0.005 }
        return price >= 0.10 ? 0.65 : price >= 0.05 ? 0.50 : 0.25
    }

    /// What an execution of `quantity` at `price` costs, given what the order was charged before.
    public static func forExecution(_ instrument: Instrument, quantity: Int, price: Double, chargedBefore: Double) -> Double {
        let own = rate(for: instrument, price: price) * Double(quantity)
        let total = max(minimumPerOrder, chargedBefore + own)
        return ((total - chargedBefore) * 100).rounded() / 100
    }
}
