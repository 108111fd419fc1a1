/// A position's arithmetic, one definition for the paper broker and the trade journal: signed
/// quantity, average cost per unit of quantity (the multiplier and opening commissions included,
/// as TWS reports `avgCost`) and the P&L realized so far.
public struct Holding: Sendable, Equatable, Codable {
    public var quantity = 0
    public var averageCost = 0.0
    public var realizedPnL = 0.0

    public init(quantity: Int = 0, averageCost: Double = 0, realizedPnL: Double = 0) {
        self.quantity = quantity; self.averageCost = averageCost; self.realizedPnL = realizedPnL
    }

    /// Books a fill of `quantity` (signed: + bought, − sold) at `price`: opening or adding
    /// averages the cost (the commission with it); reducing realizes the P&L of what it closes,
    /// less its share of the commission; going through zero opens the rest the other way.
    /// Returns what it realized, nil when it only opened or added.
    @discardableResult
    public mutating func apply(_ quantity: Int, price: Double, multiplier: Double, commission: Double) -> Double? {
        guard quantity != 0 else { return nil }
        if self.quantity == 0 || (self.quantity > 0) == (quantity > 0) {
            let total = averageCost * Double(abs(self.quantity)) + price * multiplier * Double(abs(quantity)) + commission
            self.quantity += quantity
            averageCost = total / Double(abs(self.quantity))
            return nil
        }
        let closing = min(abs(quantity), abs(self.quantity))
        let opening = abs(quantity) - closing
        let closingCommission = commission * Double(closing) / Double(abs(quantity))
        let direction = self.quantity > 0 ? 1.0 : -1.0
        let pnl = (price * multiplier - averageCost) * Double(closing) * direction - closingCommission
        self.quantity += quantity
        if opening > 0 {
            averageCost = price * multiplier + (commission - closingCommission) / Double(opening)
        } else if self.quantity == 0 {
            averageCost = 0
        }
        realizedPnL += pnl
        return pnl
    }

    /// A commission that arrives after its fill (TWS reports it separately): on an opening fill
    /// it raises the average cost, on a closing one it lowers the realized P&L.
    public mutating func charge(_ commission: Double, opened: Bool) {
        if opened && quantity != 0 {
            averageCost += commission / Double(abs(quantity))
        } else {
            realizedPnL -= commission
        }
    }
}
