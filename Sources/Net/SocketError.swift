/// A socket failure with a code a caller can act on and a description that names the address.
public struct SocketError: Error, CustomStringConvertible, Sendable {
    public enum Code: Sendable, Equatable {
        /// The name does not resolve.
        case resolve
        /// Every address refused, or the socket could not be made.
        case connect
        /// No connection (or no bytes) within the deadline.
        case timeout
        /// The peer closed, or the connection broke.
        case closed
        /// A listening socket could not be bound.
        case listen
    }

    public let code: Code
    public let description: String

    public init(_ code: Code, _ description: String) { self.code = code; self.description = description }
}
