/// One trading session of an exchange: its date and its open and close as instants.
public struct Session: Hashable, Sendable {
    public let date: LocalDate
    /// Epoch seconds (UTC) of the open and the close.
    public let open: Int64
    public let close: Int64
    /// True when the close is earlier than the regular one (13:00 on NYSE's half days).
    public let isEarlyClose: Bool

    public init(date: LocalDate, open: Int64, close: Int64, isEarlyClose: Bool) {
        self.date = date
        self.open = open
        self.close = close
        self.isEarlyClose = isEarlyClose
    }
}
