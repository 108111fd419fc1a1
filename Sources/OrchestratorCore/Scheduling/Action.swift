/// What the engine must do, decided by `Scheduler.decide`. The engine commits each to the store
/// before acting on it.
public enum Action: Hashable, Sendable {
    /// Create the run of a due slot in the given state (`queued`, `pending`, `skipped`, `missed`),
    /// and start it at once when `startNow` (a queued slot with capacity free: one round trip
    /// less between a slot's instant and its process).
    case claimSlot(job: String, scheduledFor: Int64, state: RunState, reason: String?, startNow: Bool = false)
    /// Create a run with no slot (downstream propagation or an `on_failure` job), queued, and
    /// start it at once when `startNow` (capacity left after the runs already queued).
    case createRun(job: String, trigger: RunTrigger, causeRunId: Int64?, startNow: Bool = false)
    /// Start the next attempt of a queued or retrying run.
    case start(runId: Int64)
    /// Move a run to a state (pending → queued, → missed, → upstream_failed …).
    case transition(runId: Int64, to: RunState, reason: String)
    /// Stop a running run's process (`overlap: replace`).
    case kill(runId: Int64, reason: String)
}
