/// A tape that cannot be read: where, and why.
public struct TapeError: Error, Equatable, Sendable, CustomStringConvertible {
    public let path: String
    /// Byte offset of the problem, when there is one.
    public let offset: Int?
    public let reason: String
    public init(path: String, offset: Int?, reason: String) { self.path = path; self.offset = offset; self.reason = reason }
    public var description: String {
        if let offset { return "tape \(path): at byte \(offset): \(reason)" }
        return "tape \(path): \(reason)"
    }
}
