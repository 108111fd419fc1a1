/// One option contract of an Alpha Vantage `REALTIME_OPTIONS` chain (`require_greeks=true`).
public struct OptionContract: Sendable, Equatable {
    public enum Kind: String, Sendable { case call, put }
    public var contractID = ""
    public var expiration = ""
    public var strike = 0.0
    public var kind: Kind = .call
    public var last = 0.0, mark = 0.0, bid = 0.0, ask = 0.0
    public var bidSize = 0.0, askSize = 0.0
    public var volume = 0.0, openInterest = 0.0
    public var iv = 0.0, delta = 0.0, gamma = 0.0, theta = 0.0, vega = 0.0, rho = 0.0
    public init() {}
}
