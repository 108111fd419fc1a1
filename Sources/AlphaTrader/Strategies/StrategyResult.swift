import Foundation

/// What a strategy made of a snapshot: its signals, and for every symbol it looked at and did
/// not trade, why (logged, so that "no trade" is never silent).
public struct StrategyResult: Sendable, Equatable {
    public var signals: [Signal] = []
    public var skipped: [Skip] = []

    public struct Skip: Sendable, Equatable {
        public var symbol: String
        public var reason: String
        public init(symbol: String, reason: String) { self.symbol = symbol; self.reason = reason }
    }

    mutating func skip(_ symbol: String, _ reason: String) { skipped.append(Skip(symbol: symbol, reason: reason)) }
}

/// 0…1.
@inline(__always) func unit(_ x: Double) -> Double { min(1, max(0, x)) }

/// A percentage with two decimals and its sign: +0.42 %, −1.10 %.
func percent(_ x: Double) -> String { (x >= 0 ? "+" : "−") + String(format: "%.2f %%", abs(x)) }
