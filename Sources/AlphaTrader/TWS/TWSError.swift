/// A TWS connection failure: its kind and what happened, with no secret in it.
public struct TWSError: Error, CustomStringConvertible, Sendable {
    public enum Code: Sendable { case connect, closed, timeout, protocolError, refused, unsupportedOrderType }
    public let code: Code
    public let description: String
    public init(_ code: Code, _ description: String) { self.code = code; self.description = description }
}
