/// What a trading day's finished runs still tell the scheduler, for a caller that keeps them out
/// of `SchedulerState.runs`: which jobs succeeded or ran, which on_failure handlers already ran,
/// which slots are taken. Sets, so a day of 86,400 one-second slots costs the scheduler a lookup
/// per question instead of a pass over every run on every decision.
public struct FinishedRuns: Sendable, Equatable {
    /// Jobs with a run that succeeded.
    public var succeeded: Set<String> = []
    /// Jobs with any finished run.
    public var ran: Set<String> = []
    /// Jobs with a finished run that no other run caused (not an on_failure handler run).
    public var ranUncaused: Set<String> = []
    /// Finished handler runs, as `handlerKey(_:cause:)`.
    public var handled: Set<String> = []
    /// Slots of finished runs.
    public var claimed: Set<SchedulerState.Slot> = []
    /// Jobs without a schedule whose upstream jobs all succeeded (in `succeeded`) and that have
    /// not run uncaused yet: the only ones downstream propagation must look at, so a decision
    /// does not walk every unscheduled job of a large graph.
    public var readyDownstream: Set<String> = []

    public init() {}

    /// An on_failure handler run of `handler` for the failed run `cause`.
    public static func handlerKey(_ handler: String, cause: Int64) -> String { "\(handler)#\(cause)" }

    /// Whether a run can leave `runs` for this summary: finished for good on the day. Failed
    /// runs stay (their on_failure handlers are decided from them).
    public static func summarizes(_ run: SchedulerState.Run, day: LocalDate) -> Bool {
        run.tradingDay == day && run.state.isFinal && run.state != .failed
    }

    /// Adds a finished run of the workspace's (whose graph tells which jobs it makes ready).
    public mutating func add(_ run: SchedulerState.Run, workspace: Workspace) {
        ran.insert(run.job)
        if let cause = run.causeRunId {
            handled.insert(FinishedRuns.handlerKey(run.job, cause: cause))
        } else {
            ranUncaused.insert(run.job)
            readyDownstream.remove(run.job)
        }
        if run.state == .succeeded && succeeded.insert(run.job).inserted {
            for next in workspace.downstreamUnscheduled[run.job] ?? []
            where !ranUncaused.contains(next) && (workspace.upstreamJobs[next] ?? []).allSatisfy(succeeded.contains) {
                readyDownstream.insert(next)
            }
        }
        if let slot = run.scheduledFor { claimed.insert(SchedulerState.Slot(job: run.job, time: slot)) }
    }
}
