/// Why a cron expression does not parse, and where in its text.
public struct CronError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Code: Sendable, Equatable {
        case fieldCount, badField, outOfRange, badStep, badRange, unknownMacro, impossible
    }
    public let code: Code
    public let message: String
    /// Character offset (0-based) in the expression of the piece at fault, for diagnostics.
    public let offset: Int
    /// Which field (0 = minute … 4 = day of week), when one is at fault.
    public let field: Int?

    public var description: String { message }
}
