public import Net

/// A TWS connection failure: its kind and what happened, with no secret in it.
public struct TWSError: Error, CustomStringConvertible, Sendable {
    public enum Code: Sendable { case connect, closed, timeout, protocolError, refused, unsupportedOrderType }
    public let code: Code
    public let description: String
    public init(_ code: Code, _ description: String) { self.code = code; self.description = description }
}

extension TWSError {
    /// A socket's failure as the TWS path reports it.
    public init(_ error: SocketError) {
        switch error.code {
        case .timeout: self.init(.timeout, error.description)
        case .closed: self.init(.closed, error.description)
        case .resolve, .connect, .listen: self.init(.connect, error.description)
        }
    }

    /// Runs socket work where TWS errors are thrown.
    static func socket<T>(_ body: () throws(SocketError) -> T) throws(TWSError) -> T {
        do { return try body() } catch { throw TWSError(error) }
    }
}
