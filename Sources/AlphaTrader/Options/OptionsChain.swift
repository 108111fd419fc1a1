public import Foundation

/// A chain as read: the valid contracts, and every row refused with its reason (counted under
/// `monitoring:api:av:*`, never stored as if valid).
public struct OptionsChain: Sendable {
    public var symbol: String
    public var contracts: [OptionContract]
    public var invalid: [String: Int]
    public var invalidCount: Int { invalid.values.reduce(0, +) }
}
