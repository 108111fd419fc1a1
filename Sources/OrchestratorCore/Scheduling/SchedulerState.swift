/// What the scheduler sees: the workspace, one trading day's slots, the runs of that day and
/// any run still active, and which services are up. A value, built by the engine from the store.
public struct SchedulerState: Sendable {
    /// A run as the scheduler needs it.
    public struct Run: Hashable, Sendable {
        public var id: Int64
        public var job: String
        public var tradingDay: LocalDate
        public var scheduledFor: Int64?
        public var trigger: RunTrigger
        public var state: RunState
        public var attempts: Int
        public var nextAttemptAt: Double?
        public var causeRunId: Int64?

        public init(
            id: Int64, job: String, tradingDay: LocalDate, scheduledFor: Int64?, trigger: RunTrigger, state: RunState,
            attempts: Int, nextAttemptAt: Double?, causeRunId: Int64?
        ) {
            self.id = id
            self.job = job
            self.tradingDay = tradingDay
            self.scheduledFor = scheduledFor
            self.trigger = trigger
            self.state = state
            self.attempts = attempts
            self.nextAttemptAt = nextAttemptAt
            self.causeRunId = causeRunId
        }
    }

    /// A slot: a job due at an instant.
    public struct Slot: Hashable, Sendable {
        public let job: String
        public let time: Int64
    }

    public let workspace: Workspace
    public let tradingDay: LocalDate
    /// Every scheduled slot of the day, in time order.
    public let slots: [Slot]
    /// Slots before this instant are not run (`run-day --from`); nil: all.
    public let notBefore: Int64?
    public var runs: [Run]
    /// The day's finished runs the caller keeps out of `runs` (`FinishedRuns.summarizes`).
    public var finished = FinishedRuns()
    /// Every slot at or before this instant already has a run (the caller knows it from its last
    /// decision): the scan for due slots starts after it. Nil: scan them all.
    public var claimedThrough: Int64?
    /// Services counted as running and healthy (dependencies on services wait for them).
    public var servicesUp: Set<String>
    /// What a due slot becomes when it is claimed: `schedule`, or `catch-up` for an outage.
    public var slotTrigger: RunTrigger
    /// The labels of the node deciding, when it is one of several (issue 21): a job with a
    /// `node:` label it lacks is claimed but not started here. Nil: the only node, which starts
    /// everything.
    public var nodeLabels: Set<String>?

    public init(
        workspace: Workspace, tradingDay: LocalDate, slots: [Slot], notBefore: Int64? = nil, runs: [Run],
        servicesUp: Set<String>, slotTrigger: RunTrigger = .schedule
    ) {
        self.workspace = workspace
        self.tradingDay = tradingDay
        self.slots = slots
        self.notBefore = notBefore
        self.runs = runs
        self.servicesUp = servicesUp
        self.slotTrigger = slotTrigger
    }

    /// Every scheduled slot of a trading day for every job, in time order.
    public static func slots(of workspace: Workspace, on day: LocalDate) throws(CalendarError) -> [Slot] {
        try Planner.slots(of: workspace, on: day).compactMap { p in p.time.map { Slot(job: p.job, time: $0) } }
    }
}
