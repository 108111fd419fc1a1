public import OrchestratorCore

/// Where every run, attempt, state change and service state is kept (ARCHITECTURE.md, "Growing
/// past one machine"): SQLite on one machine (`SQLiteRunStore`, the default), PostgreSQL for
/// several nodes (`PostgresRunStore`, in its own target). The engine, the CLI and `serve` see only
/// this protocol.
///
/// Every method is one transaction, committed before it returns, so the caller acts only on what
/// is already durable; `transaction` groups several changes into one. A scheduled slot is unique
/// in every store's schema (`UNIQUE(job, scheduled_for)`): whichever process or node inserts it
/// first owns it, however many look at it.
public protocol RunStore: AnyObject, Sendable {
    /// What the store is, for people and for the attempt supervisor: a file's path, or a
    /// `postgres://user@host:port/db` address (never a password).
    var location: String { get }
    /// The attempt supervisor that writes this store's outcomes (an executable beside
    /// `orchestrator`): `orchestrator-attempt` for SQLite, `orchestrator-attempt-pq` for PostgreSQL.
    var attemptSupervisor: String { get }

    /// Several state changes in one transaction, committed together before it returns (the
    /// engine's decision rounds), rolled back whole if the body throws.
    func transaction<T>(_ body: (any RunStoreTransaction) throws -> T) throws -> T
    /// Several reads from one snapshot.
    func read<T>(_ body: (any RunStoreTransaction) throws -> T) throws -> T

    /// For a long-lived writer (the engine): whatever upkeep the store does beside the
    /// engine's commits (SQLite's WAL checkpoints on a thread of their own).
    func checkpointInBackground(every interval: Double)

    /// The supervisor of an attempt has started (engine side).
    func recordShim(run id: Int64, attempt number: Int, pid: Int32, start: Int64?) throws
    func setMeta(_ key: String, _ value: String) throws
    func meta(_ key: String) throws -> String?
    /// The keys beginning with `prefix`, removed in the same transaction (each request acted on once).
    func takeMeta(prefix: String) throws -> [String]

    // Reading

    /// The attempts of a trading day's runs, by run, in order.
    func attempts(tradingDay: String) throws -> [Int64: [AttemptRecord]]
    /// Runs of the given trading days, oldest first.
    func runs(tradingDays: [String]) throws -> [RunRecord]
    /// How many runs of a trading day there are, and how many are not final yet.
    func counts(tradingDay: String) throws -> (all: Int, active: Int)
    /// The slots in `(from, to]` that already have a run, as `job@epoch` keys.
    func claimedSlots(jobs: [String], from: Double, to: Double) throws -> Set<String>
    /// Runs not yet final, oldest first.
    func activeRuns() throws -> [RunRecord]
    /// Attempts still marked running, to reconcile after a restart.
    func runningAttempts() throws -> [AttemptRecord]
    /// Past runs, newest first (SPEC §5 `history`).
    func history(_ filter: HistoryFilter) throws -> [RunRecord]
    /// Transitions committed after `cursor`, in cursor order, at most `limit`.
    func transitions(after cursor: ChangeCursor, limit: Int) throws -> [TransitionEvent]
    /// What `serve`'s pages poll to know whether to refresh: moves with any change to a run or a
    /// service, read in constant time on any store size.
    func changeMark() throws -> String

    // Services

    /// Saves services' current states and the events that led there, in one transaction.
    func saveServices(_ records: [ServiceRecord], events: [ServiceEventRecord]) throws
    func services() throws -> [ServiceRecord]
    /// A service's events, newest first (or those of one run).
    func serviceEvents(service: String?, run: Int64?, limit: Int) throws -> [ServiceEventRecord]
    /// A service's process is running: its pid is both the attempt's process and the one watched.
    func recordServiceProcess(run id: Int64, attempt number: Int, pid: Int32, start: Int64?) throws
}

/// One transaction (or one read snapshot) of a run store: what the engine's decision rounds do.
public protocol RunStoreTransaction {
    /// Inserts a run for a scheduled slot unless one exists; nil when another process or node
    /// (or an earlier run of this one) already owns the slot.
    func claimSlot(
        job: String, tradingDay: String, scheduledFor: Double, trigger: RunTrigger, state: RunState, now: Double, reason: String?
    ) throws -> RunRecord?
    /// Inserts a run that has no slot (manual or upstream-triggered).
    func createRun(
        job: String, tradingDay: String, trigger: RunTrigger, state: RunState, now: Double, params: [String: String], causeRunId: Int64?,
        reason: String?
    ) throws -> RunRecord
    /// Moves a run to a new state, if it is still in one of `from` (so two actors never both
    /// move it); the updated run, or nil when it had already moved on.
    func transition(
        run id: Int64, from: Set<RunState>?, to state: RunState, now: Double, reason: String?, nextAttemptAt: Double?, exitCode: Int??
    ) throws -> RunRecord?
    /// Records a new attempt as running and the run with it — only if the run is still queued or
    /// retrying (compare-and-set), so that of several processes or nodes starting it, exactly one
    /// does (nil for the others). The log is named after the attempt's number; `supervisor` is
    /// the attempt's supervisor when it already runs (started ahead).
    func startAttempt(
        run id: Int64, now: Double, engine: (pid: Int32, start: Int64?)?, supervisor: (pid: Int32, start: Int64?)?, log: (Int) -> String
    ) throws -> (run: RunRecord, attempt: AttemptRecord)?
    /// An attempt's end. Only a `running` attempt is closed, so a late writer never overwrites a
    /// decision already taken (a `lost`); false when it was not running.
    func recordExit(run id: Int64, attempt number: Int, exitCode: Int?, signal: Int?, outcome: AttemptOutcome, now: Double, pid: Int32?) throws -> Bool

    func run(_ id: Int64) throws -> RunRecord?
    func attempts(of run: Int64) throws -> [AttemptRecord]
    func attempt(run: Int64, number: Int) throws -> AttemptRecord?

    /// What the scheduler needs of the runs of some trading days and of every active run, with
    /// the cursor to refresh from.
    func schedulerRuns(tradingDays: [String]) throws -> (runs: [SchedulerState.Run], cursor: ChangeCursor)
    /// The runs that changed state after `cursor` (in any process or node), and the new cursor.
    func schedulerRuns(changedAfter cursor: ChangeCursor) throws -> (runs: [SchedulerState.Run], cursor: ChangeCursor)
    /// Makes this transaction the only decision round in progress among every writer, until it
    /// ends (Airflow's critical section): what pools and `max_parallel` count is then what it
    /// reads. SQLite's write transaction already is.
    func lockScheduling() throws
}

extension RunStoreTransaction {
    public func lockScheduling() throws {}
}

/// A position in a store's history of transitions. Ids alone do not make one: a PostgreSQL
/// sequence hands out ids in one order and transactions commit in another, so a reader at id 12
/// could skip an 11 that commits later. PostgreSQL's cursor is (transaction id, id), taken only
/// below the oldest transaction still open; SQLite has one writer, so its ids commit in order and
/// its `xid` is always 0.
public struct ChangeCursor: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var xid: UInt64
    public var id: Int64
    public init(xid: UInt64 = 0, id: Int64) {
        self.xid = xid
        self.id = id
    }
    public static let start = ChangeCursor(xid: 0, id: 0)
    public static func < (a: ChangeCursor, b: ChangeCursor) -> Bool { (a.xid, a.id) < (b.xid, b.id) }
    public var description: String { xid == 0 ? "\(id)" : "\(xid):\(id)" }
}

/// Which past runs `history` returns: every field given must match.
public struct HistoryFilter: Sendable, Equatable {
    public var job: String?
    public var state: RunState?
    /// Created at or after (epoch seconds).
    public var since: Double?
    public var day: String?
    public var trigger: RunTrigger?
    public var limit: Int
    public init(job: String? = nil, state: RunState? = nil, since: Double? = nil, day: String? = nil, trigger: RunTrigger? = nil, limit: Int = 50) {
        self.job = job
        self.state = state
        self.since = since
        self.day = day
        self.trigger = trigger
        self.limit = limit
    }
}

/// Why a store could not do what was asked, by code, with words for people that name the store.
public struct StoreFailure: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// Another process holds the store (SQLite's lock) past the wait.
        case locked
        /// Written by a newer orchestrator: upgrade this binary.
        case newerSchema
        /// Not a store, or damaged, or holding values this build cannot read.
        case corrupt
        /// Opened for reading, or not writable here.
        case readOnly
        /// Cannot be reached or opened (a missing file, a server down, refused credentials).
        case unavailable
        /// The store refused the request itself (a run that does not exist).
        case invalid
        /// A write made for the leader after its lease ended (a node paused past its lease):
        /// refused, so that a node that lost leadership changes nothing.
        case fenced
    }
    public let code: Code
    public let description: String
    public init(_ code: Code, _ description: String) {
        self.code = code
        self.description = description
    }
}

// One transaction for one change: what callers that change one thing use.
extension RunStore {
    public func claimSlot(
        job: String, tradingDay: String, scheduledFor: Double, trigger: RunTrigger, state: RunState, now: Double, reason: String? = nil
    ) throws -> RunRecord? {
        try transaction { tx in
            try tx.claimSlot(job: job, tradingDay: tradingDay, scheduledFor: scheduledFor, trigger: trigger, state: state, now: now, reason: reason)
        }
    }

    public func createRun(
        job: String, tradingDay: String, trigger: RunTrigger, state: RunState, now: Double, params: [String: String] = [:],
        causeRunId: Int64? = nil, reason: String? = nil
    ) throws -> RunRecord {
        try transaction { tx in
            try tx.createRun(
                job: job, tradingDay: tradingDay, trigger: trigger, state: state, now: now, params: params, causeRunId: causeRunId, reason: reason)
        }
    }

    @discardableResult
    public func transition(
        run id: Int64, from: Set<RunState>? = nil, to state: RunState, now: Double, reason: String? = nil, nextAttemptAt: Double? = nil,
        exitCode: Int?? = nil
    ) throws -> RunRecord? {
        try transaction { tx in
            try tx.transition(run: id, from: from, to: state, now: now, reason: reason, nextAttemptAt: nextAttemptAt, exitCode: exitCode)
        }
    }

    public func startAttempt(run id: Int64, log: String, now: Double, engine: (pid: Int32, start: Int64?)? = nil) throws -> AttemptRecord? {
        try startAttempt(run: id, now: now, engine: engine, log: { _ in log })?.attempt
    }

    public func startAttempt(
        run id: Int64, now: Double, engine: (pid: Int32, start: Int64?)?, supervisor: (pid: Int32, start: Int64?)? = nil, log: (Int) -> String
    ) throws -> (run: RunRecord, attempt: AttemptRecord)? {
        try transaction { tx in try tx.startAttempt(run: id, now: now, engine: engine, supervisor: supervisor, log: log) }
    }

    /// An attempt's end, when the engine decides it (a supervisor that could not start, a lost
    /// attempt); `orchestrator-attempt` writes the same row itself the moment the job is reaped,
    /// whether or not the engine is alive.
    @discardableResult
    public func recordExit(run id: Int64, attempt number: Int, exitCode: Int?, signal: Int?, outcome: AttemptOutcome, now: Double) throws -> Bool {
        try transaction { tx in try tx.recordExit(run: id, attempt: number, exitCode: exitCode, signal: signal, outcome: outcome, now: now, pid: nil) }
    }

    public func run(_ id: Int64) throws -> RunRecord? { try read { tx in try tx.run(id) } }
    public func attempts(of run: Int64) throws -> [AttemptRecord] { try read { tx in try tx.attempts(of: run) } }
    public func attempt(run: Int64, number: Int) throws -> AttemptRecord? { try read { tx in try tx.attempt(run: run, number: number) } }

    public func history(
        job: String? = nil, state: RunState? = nil, since: Double? = nil, day: String? = nil, trigger: RunTrigger? = nil, limit: Int = 50
    ) throws -> [RunRecord] {
        try history(HistoryFilter(job: job, state: state, since: since, day: day, trigger: trigger, limit: limit))
    }

    public func transitions(after cursor: ChangeCursor) throws -> [TransitionEvent] { try transitions(after: cursor, limit: 10_000) }

    public func serviceEvents(service: String? = nil, run: Int64? = nil) throws -> [ServiceEventRecord] {
        try serviceEvents(service: service, run: run, limit: 100)
    }

    public func checkpointInBackground() { checkpointInBackground(every: 0.5) }

    /// Asks the live daemon to restart a service (`orchestrator restart`): a request row it takes
    /// on its next step, so the CLI and the daemon need no other channel than the store.
    public func requestServiceRestart(_ name: String, at now: Double) throws {
        try setMeta("restart:" + name, String(now))
    }

    /// The services whose restart was requested, removed as they are taken.
    public func takeServiceRestartRequests() throws -> [String] {
        try takeMeta(prefix: "restart:").map { String($0.dropFirst("restart:".count)) }
    }
}

extension RunStoreTransaction {
    func createRun(
        job: String, tradingDay: String, trigger: RunTrigger, state: RunState, now: Double, causeRunId: Int64?, reason: String?
    ) throws -> RunRecord {
        try createRun(job: job, tradingDay: tradingDay, trigger: trigger, state: state, now: now, params: [:], causeRunId: causeRunId, reason: reason)
    }

    func recordExit(run id: Int64, attempt number: Int, exitCode: Int?, signal: Int?, outcome: AttemptOutcome, now: Double) throws -> Bool {
        try recordExit(run: id, attempt: number, exitCode: exitCode, signal: signal, outcome: outcome, now: now, pid: nil)
    }

    func transition(run id: Int64, from: Set<RunState>?, to state: RunState, now: Double, reason: String?) throws -> RunRecord? {
        try transition(run: id, from: from, to: state, now: now, reason: reason, nextAttemptAt: nil, exitCode: nil)
    }
}

/// A store's transaction in terms of rows: what `transition` and `startAttempt` need of a store,
/// so that the rules of moving a run (read it locked, check where it is, change it, log it) are
/// written once for every store.
public protocol RunRowTransaction: RunStoreTransaction {
    /// The node this store writes for (recorded on the attempts it starts); nil on SQLite.
    var node: String? { get }
    /// The run, locked against other writers until the transaction ends (SQLite's transaction
    /// already holds the one write lock).
    func lockedRun(_ id: Int64) throws -> RunRecord?
    /// Writes the run's changing fields: state, reason, attempts, the next attempt's time, the
    /// exit code, its first start and its end.
    func updateRun(_ run: RunRecord) throws
    func insertAttempt(_ attempt: AttemptRecord) throws
    func logTransition(run: Int64, from: RunState?, to: RunState, at: Double, reason: String?) throws
}

extension RunRowTransaction {
    public func transition(
        run id: Int64, from: Set<RunState>?, to state: RunState, now: Double, reason: String?, nextAttemptAt: Double?, exitCode: Int??
    ) throws -> RunRecord? {
        guard var run = try lockedRun(id) else { return nil }
        if let from, !from.contains(run.state) { return nil }
        let old = run.state
        run.apply(state, now: now, reason: reason, nextAttemptAt: nextAttemptAt, exitCode: exitCode)
        try updateRun(run)
        try logTransition(run: id, from: old, to: state, at: now, reason: reason)
        return run
    }

    public func startAttempt(
        run id: Int64, now: Double, engine: (pid: Int32, start: Int64?)?, supervisor: (pid: Int32, start: Int64?)?, log: (Int) -> String
    ) throws -> (run: RunRecord, attempt: AttemptRecord)? {
        guard var run = try lockedRun(id) else { throw StoreFailure(.invalid, "run \(id) does not exist") }
        guard run.state == .queued || run.state == .retrying else { return nil }
        let old = run.state
        run.startNextAttempt(now: now)
        try updateRun(run)
        var attempt = AttemptRecord(starting: run, now: now, engine: engine, supervisor: supervisor, log: log(run.attempts))
        attempt.node = node
        try insertAttempt(attempt)
        try logTransition(run: id, from: old, to: .running, at: now, reason: "attempt \(run.attempts)")
        return (run, attempt)
    }
}
