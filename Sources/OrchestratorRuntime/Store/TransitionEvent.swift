public import OrchestratorCore

/// A run's change of state, in the order the store committed it, with what `/metrics` folds from it.
public struct TransitionEvent: Sendable, Equatable {
    public init(
        cursor: ChangeCursor, at: Double, job: String, to: String, trigger: String, scheduledFor: Double?, startedAt: Double?,
        attemptSeconds: Double?
    ) {
        self.cursor = cursor
        self.at = at
        self.job = job
        self.to = to
        self.trigger = trigger
        self.scheduledFor = scheduledFor
        self.startedAt = startedAt
        self.attemptSeconds = attemptSeconds
    }

    public var cursor: ChangeCursor
    public var at: Double
    public var job: String
    public var to: String
    public var trigger: String
    public var scheduledFor: Double?
    /// The run's first start, when it has started (its lag behind the slot).
    public var startedAt: Double?
    /// The latest finished attempt's duration, when the transition ends one (to retrying or a
    /// final state).
    public var attemptSeconds: Double?
}

extension SchedulerState.Run {
    /// A run as a store's row holds it (text for the day, trigger and state): what the scheduler
    /// reads on every step, the same from every store. A value this build does not know reads as
    /// failed (a state) or manual (a trigger), so an unknown row blocks nothing and starts nothing.
    public init(
        id: Int64, job: String, tradingDay: String, scheduledFor: Double?, trigger: String, state: String, attempts: Int,
        nextAttemptAt: Double?, causeRunId: Int64?
    ) {
        self.init(
            id: id, job: job, tradingDay: LocalDate(parsing: tradingDay) ?? LocalDate(year: 1970, month: 1, day: 1)!,
            scheduledFor: scheduledFor.map { Int64($0) }, trigger: RunTrigger(rawValue: trigger) ?? .manual,
            state: RunState(rawValue: state) ?? .failed, attempts: attempts, nextAttemptAt: nextAttemptAt, causeRunId: causeRunId)
    }
}
