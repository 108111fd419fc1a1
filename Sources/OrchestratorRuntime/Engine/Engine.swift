import Foundation
public import OrchestratorCore

/// The engine: loads what the store holds, asks `Scheduler.decide`, commits each action to the
/// store, then acts on it (starts an attempt supervisor, signals one). `run-day`, `trigger` and
/// `catch-up` drive the same engine with different clocks and stopping rules.
public final class Engine {
    public private(set) var workspace: Workspace
    public let store: any RunStore
    public let clock: any WallClock
    /// Simulated seconds per real second (1 on the system clock).
    public let speed: Double
    /// `ORCHESTRATOR_CLOCK` for children, when simulated.
    let clockEnvironment: String?
    let executable: String
    let onEvent: (EngineEvent) -> Void
    /// Attempts being watched, by run.
    var watched: [Int64: Watched] = [:]
    var servicesUp: Set<String> = []
    /// The services' supervisor, when the engine supervises them (`run`, `run-day`).
    public var services: ServiceSupervisor?
    /// Set when services are to be stopped (shutdown, the end of a `run-day`).
    public var stoppingServices = false
    /// The logs directory once made, and the orchestrator's own environment (read once), with
    /// each job's `env` and the clock (`environment(for:)`).
    var logsDirectory: String?
    var jobEnvironments: [String: [String: String]] = [:]
    let baseEnvironment = ProcessInfo.processInfo.environment
    /// The runs the scheduler sees, kept current from the store's transition log: those still
    /// moving (and failed ones) as runs, the day's finished ones summarized (`FinishedRuns`), so
    /// a decision costs the same at the end of a day of 86,400 slots as at its start.
    var cache: [SchedulerState.Run] = []
    /// The last calendar day asked for, and its trading day.
    var tradingDays: (day: LocalDate, trading: LocalDate)?
    var finished = FinishedRuns()
    var cachedDays: Set<String> = []
    var lastTransition = ChangeCursor.start
    /// Every slot of `claimedSlots` up to this instant has a run (a decision found none left).
    var claimedThrough: Int64?
    var claimedSlots: (count: Int, first: SchedulerState.Slot?, last: SchedulerState.Slot?) = (0, nil, nil)
    /// Supervisors started ahead of the next attempts (after the first start, so commands that
    /// start nothing start none), and whether this step started an attempt.
    var ready: [ReadySupervisor] = []
    var startedInStep = false

    struct Watched {
        let attempt: Int
        let shimPid: Int32
        let pidfd: Int32
        let isChild: Bool
        /// The supervisor started ahead that was handed the attempt: it reports the outcome
        /// recorded on its socket and serves the next attempt (nil: a cold or adopted one,
        /// which exits when its attempt ends).
        var supervisor: ReadySupervisor? = nil
    }

    public init(
        workspace: Workspace, store: any RunStore, clock: any WallClock, executable: String = ProcessControl.executablePath,
        onEvent: @escaping (EngineEvent) -> Void = { _ in }
    ) {
        self.workspace = workspace
        self.store = store
        self.clock = clock
        if let simulated = clock as? SimulatedClock {
            speed = simulated.speed
            clockEnvironment = simulated.environmentValue
        } else {
            speed = 1
            clockEnvironment = nil
        }
        self.executable = executable
        self.onEvent = onEvent
        store.checkpointInBackground()
        var fds: [Int32] = [0, 0]
        pipe(&fds)
        for fd in fds { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        wakeRead = fds[0]
        wakeWrite = fds[1]
    }

    deinit {
        for w in watched.values where w.pidfd >= 0 { close(w.pidfd) }
        close(wakeRead)
        close(wakeWrite)
    }

    /// A pipe whose write end wakes `wait` from any thread (or a signal handler).
    let wakeRead: Int32
    public let wakeWrite: Int32

    /// Wakes a `wait` in progress (thread-safe).
    public func wakeUp() {
        var byte: UInt8 = 1
        _ = write(wakeWrite, &byte, 1)
    }

    /// Supervises the workspace's services from now on (`run`, `run-day`).
    public func superviseServices(onEvent: @escaping (ServiceEvent) -> Void) {
        guard !workspace.services.isEmpty else { return }
        services = ServiceSupervisor(workspace: workspace, store: store, clock: clock, executable: executable, wake: wakeWrite, onEvent: onEvent)
    }

    /// Becomes the services' supervisor as the leader (issue 21): through `store`, the fenced
    /// store of this term, so that a node that loses the lease changes nothing. Processes of a
    /// dead leader still running on this host are adopted, as after a restart.
    public func lead(through store: any RunStore, onEvent: @escaping (ServiceEvent) -> Void) throws {
        guard !workspace.services.isEmpty else { return }
        services = ServiceSupervisor(workspace: workspace, store: store, clock: clock, executable: executable, wake: wakeWrite, onEvent: onEvent)
        try services?.reconcile()
    }

    /// Leadership lost: services stop being supervised here (`ServiceSupervisor.relinquish`).
    public func relinquishServices(grace: Double) {
        guard let services else { return }
        let rows = (try? store.services()) ?? []
        let me = node
        services.relinquish(grace: grace) { name, pid in
            rows.contains { $0.name == name && $0.pid == pid && $0.node != nil && $0.node != me }
        }
        self.services = nil
    }

    /// Takes a new configuration (a reload): jobs follow it from the next step; services keep
    /// their processes and take their new settings at their next start, and services no longer
    /// declared are stopped.
    public func replaceWorkspace(_ new: Workspace) throws {
        workspace = new
        cachedDays = []
        tradingDays = nil
        jobEnvironments = [:]
        try services?.replaceWorkspace(new)
    }

    public var now: Double { clock.now() }

    /// This node's labels (`orchestrator run --labels`): with several nodes, a job with a `node:`
    /// label starts only where the label is.
    public var labels: Set<String> = []

    /// The node this engine runs as, when its store is shared by several (`NodeCoordination`).
    public var node: String? { (store as? any NodeCoordination)?.node }

    /// This process, as recorded on the attempts it starts.
    static let identity: (pid: Int32, start: Int64?) = (getpid(), ProcessControl.startTime(of: getpid()))

    // MARK: - State

    func state(for day: LocalDate, slots: [SchedulerState.Slot], notBefore: Int64?, trigger: RunTrigger) throws -> SchedulerState {
        try store.read { db in try state(db, for: day, slots: slots, notBefore: notBefore, trigger: trigger) }
    }

    /// The same, inside the caller's transaction (a decision round reads and writes in one).
    func state(_ db: any RunStoreTransaction, for day: LocalDate, slots: [SchedulerState.Slot], notBefore: Int64?, trigger: RunTrigger) throws -> SchedulerState
    {
        // Slots of a calendar day without a session (a Saturday backup) belong to the trading day before.
        let tradingDay: LocalDate
        if let known = tradingDays, known.day == day {
            tradingDay = known.trading
        } else {
            tradingDay = (try? workspace.calendar.tradingDay(of: ZoneRules.of(workspace.config.timeZone).instant(of: day, secondsOfDay: 43_200))) ?? day
            tradingDays = (day, tradingDay)
        }
        // With the slots of the day before (a daemon's, past midnight), that day's runs too: a
        // slot of it absent from the cache would be claimed again, in vain, round after round.
        var days = Set([day.description, tradingDay.description])
        if let first = slots.first {
            let zone = ZoneRules.of(workspace.config.timeZone)
            let firstDay = zone.localDate(of: first.time)
            if firstDay < day {
                days.insert(firstDay.description)
                if let trading = try? workspace.calendar.tradingDay(of: zone.instant(of: firstDay, secondsOfDay: 43_200)) {
                    days.insert(trading.description)
                }
            }
        }
        /// Into the summary, into the cache (in place, in id order), or out of it.
        func keep(_ run: SchedulerState.Run) {
            let i = cache.partitioningIndex { $0.id >= run.id }
            let present = i < cache.count && cache[i].id == run.id
            if FinishedRuns.summarizes(run, day: tradingDay) {
                finished.add(run, workspace: workspace)
            } else if days.contains(run.tradingDay.description) || !run.state.isFinal {
                if present { cache[i] = run } else { cache.insert(run, at: i) }
                return
            }
            if present { cache.remove(at: i) }
        }
        if days != cachedDays {
            let (runs, last) = try db.schedulerRuns(tradingDays: Array(days))
            cache = []
            finished = FinishedRuns()
            claimedThrough = nil
            for run in runs { keep(run) }
            cachedDays = days
            lastTransition = last
        } else {
            // Only what changed since the last read, by this process or any other.
            let (changed, last) = try db.schedulerRuns(changedAfter: lastTransition)
            for run in changed { keep(run) }
            lastTransition = last
        }
        if claimedSlots.count != slots.count || claimedSlots.first != slots.first || claimedSlots.last != slots.last {
            claimedSlots = (slots.count, slots.first, slots.last)
            claimedThrough = nil
        }
        var state = SchedulerState(
            workspace: workspace, tradingDay: tradingDay, slots: slots, notBefore: notBefore,
            runs: cache, servicesUp: servicesUp, slotTrigger: trigger)
        state.finished = finished
        state.claimedThrough = claimedThrough
        if node != nil { state.nodeLabels = labels }
        return state
    }

    /// A run the scheduler sees, by id (the cache is in id order).
    func cached(_ id: Int64) -> SchedulerState.Run? {
        let i = cache.partitioningIndex { $0.id >= id }
        return i < cache.count && cache[i].id == id ? cache[i] : nil
    }

    // MARK: - One step

    /// Decides and applies until nothing more is due now; returns how many actions it applied.
    @discardableResult
    public func step(day: LocalDate, slots: [SchedulerState.Slot], notBefore: Int64? = nil, trigger: RunTrigger = .schedule) throws -> Int {
        var applied = 0
        if services == nil && !workspace.services.isEmpty {
            // trigger and catch-up supervise nothing: a live daemon's services count (read once a step).
            // With several nodes, the leader's services count wherever they run.
            let anyoneSupervises = node != nil || Daemon.liveDaemon(store) != nil
            servicesUp = anyoneSupervises ? Set(try store.services().filter { $0.state == "running" }.map(\.name)) : []
        }
        for _ in 0..<1000 {
            collectEnded()
            if let services {
                try services.step(shuttingDown: stoppingServices)
                servicesUp = services.up
            }
            // One round, one transaction: the attempts that ended, the state as it now is, the
            // decision and every action of it, committed together before anything is started.
            let decidedAt = now
            let (actions, changed) = try round { db, round in
                let actions = Scheduler.decide(try state(db, for: day, slots: slots, notBefore: notBefore, trigger: trigger), now: decidedAt)
                for action in actions { try apply(db, action, day: day, trigger: trigger, &round) }
                return (actions, !round.events.isEmpty || !round.launches.isEmpty || !round.kills.isEmpty || round.finishedEnded > 0)
            }
            applied += actions.count
            // A round that changed nothing (every claim already taken, every run already moved
            // on: by another node, or a slot this cache did not know) would be decided again
            // the same, up to the bound: stop there.
            if !Scheduler.mayDecideMore(after: actions) || !changed {
                // Nothing left to claim: every slot due by then has its run. And nothing left to
                // do at this instant (deciding again would find nothing: a round less per job).
                claimedThrough = Int64(decidedAt.rounded(.down))
                break
            }
        }
        // The next attempts' supervisors start now, while nothing is due.
        if startedInStep { startSupervisorsAhead() }
        startedInStep = false
        return applied
    }

    /// Starts supervisors ahead of the next attempts (`spareSupervisors`), so that a job's end
    /// and its downstream's start in one step do not wait for a cold one. A supervisor that
    /// reported its attempt comes back to them, so after the first jobs none is started per job.
    /// The engine does it after each step that started an attempt; long-lived drivers (`run`,
    /// `run-day`) also at the start, so that the first slot of the day is as prompt as the others.
    public func startSupervisorsAhead() {
        while ready.count < spareSupervisors,
            let next = ReadySupervisor(
                executable: AttemptSupervisor.executable(nextTo: executable, named: store.attemptSupervisor), databasePath: store.location,
                environment: baseEnvironment)
        {
            ready.append(next)
        }
    }

    /// How many idle supervisors to keep: two, but no more than the attempts that could still
    /// start beside those running under a supervisor of ours (each serves one at a time, then
    /// comes back).
    var spareSupervisors: Int {
        let serving = watched.values.reduce(0) { $0 + ($1.supervisor == nil ? 0 : 1) }
        return max(0, min(2, workspace.config.maxParallel - serving))
    }

    func emit(_ run: RunRecord?, attempt: Int = 0) {
        guard let run else { return }
        onEvent(
            EngineEvent(
                at: now, runId: run.id!, job: run.job, scheduledFor: run.scheduledFor, state: run.state,
                attempt: attempt == 0 ? run.attempts : attempt, reason: run.reason))
    }

    /// What a round did, to act on once it is committed: the events to report, the attempts to
    /// hand to their supervisors, the processes to signal.
    struct Round {
        var events: [(run: RunRecord, attempt: Int)] = []
        var launches: [Launch] = []
        var kills: [Int32] = []
        /// How many of `ended` this round finished (taken off once committed).
        var finishedEnded = 0
    }

    /// An attempt recorded as running, to start once that is committed.
    struct Launch {
        let run: RunRecord
        let attempt: Int
        let supervisor: AttemptSupervisor
        let ready: ReadySupervisor?
    }

    /// Runs `body` in one transaction, then reports its events and starts its attempts. If the
    /// transaction fails nothing of it happened: the supervisors it took go back to the spares
    /// and the scheduler's view is read afresh.
    func round<T>(_ body: (any RunStoreTransaction, inout Round) throws -> T) throws -> T {
        var round = Round()
        let result: T
        do {
            result = try store.transaction { db in
                round = Round()
                // Pools and max_parallel are counted by one node at a time (a no-op on SQLite,
                // whose transaction already excludes every other writer).
                try db.lockScheduling()
                // What ended is committed before anything else: a supervisor that reported is
                // handed its next attempt only after its report is in the store.
                try finishEnded(db, &round)
                return try body(db, &round)
            }
        } catch {
            ready.append(contentsOf: round.launches.compactMap(\.ready))
            cachedDays = []
            throw error
        }
        ended.removeFirst(round.finishedEnded)
        for event in round.events { emit(event.run, attempt: event.attempt) }
        for pid in round.kills { kill(pid, SIGTERM) }
        for launch in round.launches { try self.launch(launch) }
        return result
    }

    /// Applies one action in its own transaction (a caller outside a decision round).
    func apply(_ action: Action, day: LocalDate, trigger: RunTrigger) throws {
        try round { db, round in try apply(db, action, day: day, trigger: trigger, &round) }
    }

    func apply(_ db: any RunStoreTransaction, _ action: Action, day: LocalDate, trigger: RunTrigger, _ round: inout Round) throws {
        switch action {
        case .claimSlot(let job, let time, let state, let reason, let startNow):
            // A Saturday backup belongs to Friday's trading day (SPEC §4).
            let tradingDay = (try? workspace.calendar.tradingDay(of: time)) ?? day
            let run = try db.claimSlot(
                job: job, tradingDay: tradingDay.description, scheduledFor: Double(time), trigger: trigger,
                state: state, now: now, reason: reason)
            if let run { round.events.append((run, run.attempts)) }
            if startNow, let run, let id = run.id { try start(db, id, job: run.job, &round) }
        case .createRun(let job, let runTrigger, let cause, let startNow):
            let run = try db.createRun(
                job: job, tradingDay: day.description, trigger: runTrigger, state: .queued, now: now,
                causeRunId: cause, reason: cause.map { "on_failure of run \($0)" })
            round.events.append((run, run.attempts))
            if startNow, let id = run.id { try start(db, id, job: job, &round) }
        case .transition(let id, let state, let reason):
            if let run = try db.transition(run: id, from: [.pending, .queued, .retrying], to: state, now: now, reason: reason) {
                round.events.append((run, run.attempts))
            }
        case .start(let id):
            if let name = cached(id)?.job { try start(db, id, job: name, &round) }
        case .kill(let id, _):
            if let w = watched[id] { round.kills.append(w.shimPid) }
        }
    }

    // MARK: - Attempts

    /// Records the run's next attempt as running (in the round's transaction) and prepares its
    /// supervisor's request; `launch` hands it over once that is committed.
    func start(_ db: any RunStoreTransaction, _ id: Int64, job name: String, _ round: inout Round) throws {
        guard let job = workspace.jobs[name] else { return }
        let logs = workspace.config.logs
        if logsDirectory != logs {
            // The logs directory once; each job's own under it is the supervisor's to create when
            // it opens the attempt's log (off the engine's path: a DAG has a directory per job).
            try FileManager.default.createDirectory(atPath: logs, withIntermediateDirectories: true)
            logsDirectory = logs
        }
        // Another process may have started it since we decided: then it is theirs. A supervisor
        // started ahead is recorded with the attempt (one commit, not two).
        let readyOne = ready.popLast()
        guard
            let (run, attempt) = try db.startAttempt(
                run: id, now: now, engine: Engine.identity,
                supervisor: readyOne.map { ($0.pid, $0.start) },
                log: { "\(logs)/\(name)/\(id).\($0).log" })
        else {
            if let readyOne { ready.append(readyOne) }
            return
        }
        let supervisor = AttemptSupervisor(
            databasePath: store.location, runId: id, attempt: attempt.number, logPath: attempt.log,
            timeout: job.timeout.map { $0.seconds / speed },
            grace: max(0.5, 5 / speed),
            argv: job.command.arguments, environment: try environment(db, for: run, attempt: attempt.number, job: job))
        round.launches.append(Launch(run: run, attempt: attempt.number, supervisor: supervisor, ready: readyOne))
    }

    /// Starts a committed attempt: hands it to the supervisor recorded with it, or starts a new
    /// one (recorded next). A supervisor that cannot be started fails the attempt (exit 127).
    func launch(_ launch: Launch) throws {
        let id = launch.run.id!, number = launch.attempt, supervisor = launch.supervisor
        do {
            startedInStep = true
            var handed: Int32?
            if let readyOne = launch.ready, readyOne.hand(supervisor) { handed = readyOne.pid }
            let pid =
                try handed
                ?? ProcessControl.spawn(
                    [AttemptSupervisor.executable(nextTo: executable, named: store.attemptSupervisor)] + supervisor.commandLine,
                    environment: supervisor.environment, logFD: -1)
            watched[id] = Watched(
                attempt: number, shimPid: pid, pidfd: ProcessControl.pidfd(pid), isChild: true,
                supervisor: handed == nil ? nil : launch.ready)
            // The `running` event once the process exists (what the lag benchmark measures).
            emit(launch.run, attempt: number)
            if handed == nil { try store.recordShim(run: id, attempt: number, pid: pid, start: ProcessControl.startTime(of: pid)) }
        } catch let error as ProcessControl.SpawnError {
            try round { db, round in
                try db.recordExit(run: id, attempt: number, exitCode: 127, signal: nil, outcome: .failed, now: now)
                try finish(db, id, attempt: number, note: error.description, &round)
            }
        }
    }

    /// The attempt's environment (SPEC §4): the orchestrator's, the job's `env`, then ours.
    func environment(_ db: any RunStoreTransaction, for run: RunRecord, attempt: Int, job: JobSpec) throws -> [String: String] {
        // What is the same for every attempt of the job, once (a DAG starts a job a millisecond).
        var env: [String: String]
        if let common = jobEnvironments[run.job] {
            env = common
        } else {
            env = ProcessControl.environment(baseEnvironment, adding: job.env, nextTo: executable)
            env[SimulatedClock.environmentKey] = clockEnvironment
            if let node { env["ORCHESTRATOR_NODE"] = node }
            jobEnvironments[run.job] = env
        }
        env["ORCHESTRATOR_JOB"] = run.job
        env["ORCHESTRATOR_RUN_ID"] = String(run.id!)
        env["ORCHESTRATOR_ATTEMPT"] = String(attempt)
        env["ORCHESTRATOR_SCHEDULED_FOR"] = TimeFormat.utc(Int64((run.scheduledFor ?? run.createdAt).rounded(.down)))
        env["ORCHESTRATOR_TRADING_DAY"] = run.tradingDay
        env["ORCHESTRATOR_TRIGGER"] = run.trigger.rawValue
        for (k, v) in run.parameters { env["ORCHESTRATOR_PARAM_\(k.uppercased())"] = v }
        if let cause = run.causeRunId, let failed = try db.run(cause) {
            env["ORCHESTRATOR_FAILED_JOB"] = failed.job
            env["ORCHESTRATOR_FAILED_RUN_ID"] = String(cause)
            env["ORCHESTRATOR_FAILED_STATE"] = failed.state.rawValue
            env["ORCHESTRATOR_FAILED_EXIT_CODE"] = failed.exitCode.map(String.init) ?? ""
            env["ORCHESTRATOR_FAILED_REASON"] = failed.reason ?? ""
            env["ORCHESTRATOR_FAILED_LOG"] = try db.attempts(of: cause).last?.log ?? ""
        }
        return env
    }

    /// Attempts whose supervisor reported (with its report, committed by the round) or ended
    /// (having recorded the outcome, or not: then it is lost), to finish in the next round.
    var ended: [(id: Int64, attempt: Int, report: ReadySupervisor.Report?)] = []

    /// Reaps supervisors that have ended and moves their runs on (in one transaction).
    public func collectFinished() {
        collectEnded()
        guard !ended.isEmpty else { return }
        _ = try? round { _, _ in }
    }

    /// Finishes the attempts `collectEnded` found (in the caller's round).
    func finishEnded(_ db: any RunStoreTransaction, _ round: inout Round) throws {
        for e in ended { try finish(db, e.id, attempt: e.attempt, note: nil, report: e.report, &round) }
        round.finishedEnded = ended.count
    }

    /// Takes the attempts whose supervisor reported or ended out of `watched`, into `ended`.
    func collectEnded() {
        for (id, w) in watched {
            if let supervisor = w.supervisor, let report = supervisor.takeReport() {
                // Reported; the supervisor waits for its next attempt (handed only after the
                // round commits the report). One retired now records the report itself too.
                if w.pidfd >= 0 { close(w.pidfd) }
                watched[id] = nil
                if ready.count < spareSupervisors { ready.append(supervisor) } else { supervisor.retire() }
                ended.append((id, w.attempt, report))
                continue
            }
            let gone: Bool
            if w.isChild {
                gone = ProcessControl.reap(w.shimPid) != nil
            } else {
                gone = !ProcessControl.isAlive(w.shimPid, start: nil)
            }
            guard gone else { continue }
            w.supervisor?.abandon()
            if w.pidfd >= 0 { close(w.pidfd) }
            watched[id] = nil
            ended.append((id, w.attempt, nil))
        }
    }

    /// After an attempt ended: record the outcome its supervisor reported (`report`; unless the
    /// attempt was already closed, then what the store says stands), or read the one it
    /// recorded itself (none: lost), and decide the run.
    func finish(
        _ db: any RunStoreTransaction, _ id: Int64, attempt number: Int, note: String?, report: ReadySupervisor.Report? = nil,
        _ round: inout Round
    ) throws {
        guard let name = try cached(id)?.job ?? db.run(id)?.job, let job = workspace.jobs[name] else { return }
        var outcome: (outcome: AttemptOutcome, exitCode: Int?, signal: Int?)
        if let report,
            try db.recordExit(
                run: id, attempt: number, exitCode: report.exitCode, signal: report.signal,
                outcome: report.outcome, now: report.finishedAt, pid: report.pid)
        {
            outcome = (report.outcome, report.exitCode, report.signal)
        } else {
            guard var attempt = try db.attempt(run: id, number: number) else { return }
            if attempt.outcome == .running {
                // The supervisor died without recording: the outcome is unknown.
                try db.recordExit(run: id, attempt: number, exitCode: nil, signal: nil, outcome: .lost, now: now)
                attempt.outcome = .lost
            }
            outcome = (attempt.outcome, attempt.exitCode, attempt.signal)
        }
        let decision = Scheduler.afterAttempt(
            number: number, outcome: outcome.outcome, exitCode: outcome.exitCode,
            signal: outcome.signal, job: job, runId: id, now: now)
        if let run = try db.transition(
            run: id, from: [.running], to: decision.state, now: now, reason: note ?? decision.reason,
            nextAttemptAt: decision.nextAttemptAt, exitCode: .some(outcome.exitCode))
        {
            round.events.append((run, run.attempts))
        }
    }

    /// The same in a transaction of its own.
    func finish(_ id: Int64, attempt number: Int, note: String?) throws {
        try round { db, round in try finish(db, id, attempt: number, note: note, &round) }
    }

    /// After a restart: every attempt the store says is running is either still running under
    /// its supervisor (adopted and watched), or finished while we were away (its supervisor
    /// recorded it), or gone without a trace (`lost`, then retried by policy). With several
    /// nodes, only this node's own attempts (its earlier processes'): another node's are its
    /// own business while it lives, and the leader's once it is dead (`adopt`).
    public func reconcile() throws {
        // Services' runs are their supervisor's to reconcile.
        let serviceRuns = Set(try store.activeRuns().filter { workspace.services[$0.job] != nil }.compactMap(\.id))
        try services?.reconcile()
        for attempt in try store.runningAttempts() where watched[attempt.runId] == nil && !serviceRuns.contains(attempt.runId) {
            if let node, attempt.node != node { continue }
            try reconcile(attempt, processesVisible: true)
        }
        // Runs left `running` whose attempt already has an outcome (the supervisor finished it
        // while the engine was down): decide them now.
        // (An attempt still marked running is the loop above's business: adopted, left to the
        // live engine starting it, or lost.)
        for run in try store.activeRuns() where run.state == .running && watched[run.id!] == nil && workspace.jobs[run.job] != nil {
            guard let attempt = try store.attempt(run: run.id!, number: run.attempts), attempt.outcome != .running else { continue }
            if let node, attempt.node != node, attempt.node != nil { continue }
            try finish(run.id!, attempt: run.attempts, note: nil)
        }
    }

    /// The leader takes over the attempts of nodes that died: an attempt whose supervisor still
    /// runs on this host is watched to its end (its outcome is the supervisor's); one whose
    /// supervisor recorded an outcome is decided; one on another host that recorded nothing is
    /// `lost` and retried by policy (its process may still run there: at-least-once).
    public func adopt(attemptsOf dead: [NodeRecord]) throws {
        let hosts = Dictionary(dead.map { ($0.name, $0.host) }, uniquingKeysWith: { a, _ in a })
        let here = ProcessInfo.processInfo.hostName
        let serviceRuns = Set(try store.activeRuns().filter { workspace.services[$0.job] != nil }.compactMap(\.id))
        for attempt in try store.runningAttempts() where watched[attempt.runId] == nil && !serviceRuns.contains(attempt.runId) {
            guard let owner = attempt.node, let host = hosts[owner] else { continue }
            try reconcile(attempt, processesVisible: host == here)
        }
        for run in try store.activeRuns() where run.state == .running && watched[run.id!] == nil && workspace.jobs[run.job] != nil {
            guard let attempt = try store.attempt(run: run.id!, number: run.attempts), attempt.outcome != .running,
                let owner = attempt.node, hosts[owner] != nil
            else { continue }
            try finish(run.id!, attempt: run.attempts, note: nil)
        }
    }

    /// Adopted attempts (watched, not started here) whose outcome is already in the store — their
    /// own engine woke and committed it, or their supervisor wrote it and serves on: the watch
    /// ends and the run is decided (a no-op when it already was).
    public func settleAdoptions() throws {
        for (id, w) in watched where !w.isChild && w.supervisor == nil {
            guard let attempt = try store.attempt(run: id, number: w.attempt), attempt.outcome != .running else { continue }
            if w.pidfd >= 0 { close(w.pidfd) }
            watched[id] = nil
            try finish(id, attempt: w.attempt, note: nil)
        }
    }

    /// A node's clean stop: attempts it adopted are left to their supervisors, which record their
    /// outcomes, and to the next leader — never stopped by a node that did not start them.
    public func forgetAdoptions() {
        for (id, w) in watched where !w.isChild && w.supervisor == nil {
            if w.pidfd >= 0 { close(w.pidfd) }
            watched[id] = nil
        }
    }

    /// One attempt marked running that nobody here watches: its supervisor's process, if this
    /// host can see it, decides whether it is still running.
    private func reconcile(_ attempt: AttemptRecord, processesVisible: Bool) throws {
        if processesVisible, attempt.shimPid == nil, let engine = attempt.enginePid, engine != Engine.identity.pid,
            ProcessControl.isAlive(engine, start: attempt.engineStart)
        {
            // Another live engine is starting it this very moment.
            return
        }
        if processesVisible, let pid = attempt.shimPid, ProcessControl.isAlive(pid, start: attempt.shimStart) {
            watched[attempt.runId] = Watched(attempt: attempt.number, shimPid: pid, pidfd: ProcessControl.pidfd(pid), isChild: false)
        } else {
            try finish(attempt.runId, attempt: attempt.number, note: processesVisible ? nil : "its node died on another host")
        }
    }

    /// Waits until a supervisor ends or `seconds` (real) pass.
    public func wait(realSeconds: Double) {
        let fds =
            [wakeRead] + watched.values.map(\.pidfd).filter { $0 >= 0 }
            + watched.values.compactMap { $0.supervisor?.descriptor }.filter { $0 >= 0 } + (services?.pollDescriptors ?? [])
        _ = ProcessControl.waitAny(fds, timeout: min(max(realSeconds, 0), 1))
        var drain = [UInt8](repeating: 0, count: 64)
        while read(wakeRead, &drain, drain.count) > 0 {}
    }

    public var hasRunningAttempts: Bool { !watched.isEmpty }

    /// Asks every running attempt to stop (their supervisors TERM, then KILL, and record).
    public func stopAll() {
        for w in watched.values { kill(w.shimPid, SIGTERM) }
    }
}
