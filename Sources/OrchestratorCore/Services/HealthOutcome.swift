/// What one health check found.
public enum HealthOutcome: Sendable, Equatable {
    case passed
    case failed
    /// The process answered that it is not ready yet and is getting there (Redis loading its
    /// dataset): neither a pass nor a failure — restarting it would only start that over.
    case notReady
}
