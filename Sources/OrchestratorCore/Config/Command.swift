/// What a job or service runs: an argv with no shell, or a `/bin/sh -c` script.
public enum Command: Hashable, Sendable, CustomStringConvertible {
    case argv([String])
    case shell(String)

    /// The argv to spawn.
    public var arguments: [String] {
        switch self {
        case .argv(let a): return a
        case .shell(let script): return ["/bin/sh", "-c", script]
        }
    }

    public var description: String {
        switch self {
        case .argv(let a): return a.joined(separator: " ")
        case .shell(let s): return "sh -c \(s)"
        }
    }
}
