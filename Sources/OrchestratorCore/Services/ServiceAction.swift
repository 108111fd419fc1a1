/// What the engine must do for a service, decided by `ServiceBoard`. Like the scheduler's
/// actions, each is committed to the store before it is acted on.
public enum ServiceAction: Hashable, Sendable {
    /// Start the service's process (a new run first when the activation has none).
    case start(String)
    /// SIGTERM to the service's process group.
    case stop(String)
    /// SIGKILL to the process group: `stop_timeout` has passed.
    case kill(String)
    /// Run the service's health check (its result comes back through `checked`).
    case check(String)
    /// Move the activation's run: `retrying` until the next start, or final.
    case runState(String, runId: Int64, state: RunState, reason: String, nextAt: Double?)
}

/// A line of a service's history: a start, an exit, a health change, a stop, a give-up.
public struct ServiceEvent: Hashable, Sendable {
    public enum Kind: String, Hashable, Sendable {
        case start, exit, stop, kill, healthy, unhealthy, backoff, failed, adopted, restart
    }

    public let service: String
    public let at: Double
    public let kind: Kind
    public let state: ServiceStatus.State
    public let pid: Int32?
    public let detail: String
}
