/// One reply of the Redis protocol.
public enum RedisReply: Hashable, Sendable {
    case string(String)
    case status(String)
    case integer(Int)
    case array([RedisReply])
    case null
    /// An error reply (`-ERR …`): the server answered, the command failed.
    case error(String)

    /// The reply as text, for bulk strings, statuses and integers.
    public var text: String? {
        switch self {
        case .string(let s), .status(let s): return s
        case .integer(let n): return String(n)
        default: return nil
        }
    }

    public var integer: Int? {
        switch self {
        case .integer(let n): return n
        case .string(let s): return Int(s)
        default: return nil
        }
    }
}
