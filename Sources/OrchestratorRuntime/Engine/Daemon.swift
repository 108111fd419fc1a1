import Foundation
public import OrchestratorCore

/// `run`: schedules jobs and supervises services until asked to stop (SPEC §5). Slots due from
/// its start on are its own; earlier ones are `catch-up`'s. On a stop request it starts nothing
/// new, gives running attempts `stopTimeout` to finish (then stops them), and stops services in
/// reverse dependency order, each within its `stop_timeout` — leaving no process behind.
///
/// A reload request re-reads the job files through `reload`: an invalid set is reported
/// through `log`, one line per problem with its position, and the running configuration stays.
public final class Daemon: @unchecked Sendable {
    public let engine: Engine
    public let stopTimeout: Double
    let reload: (() -> Result<Workspace, Diagnostics>)?
    let log: (String) -> Void
    let lock = NSLock()
    var stopFlag = false
    var reloadFlag = false
    let wake: Int32
    /// This process as one of several nodes on a shared store (PostgreSQL), or nil: the only
    /// daemon of its store.
    let membership: NodeMembership?
    /// Where the leader's service events go (the services start only when this node leads).
    let onServiceEvent: (ServiceEvent) -> Void

    /// The store outage this node is waiting out, if any (said once, not once a round).
    var outage = Outage()

    /// The meta key holding the live daemon's `pid start heartbeat`.
    public static let heartbeatKey = "daemon"

    public init(
        engine: Engine, stopTimeout: Double = 10, reload: (() -> Result<Workspace, Diagnostics>)? = nil,
        membership: NodeMembership? = nil, onServiceEvent: @escaping (ServiceEvent) -> Void = { _ in },
        log: @escaping (String) -> Void = { _ in }
    ) {
        self.engine = engine
        self.membership = membership
        self.onServiceEvent = onServiceEvent
        self.stopTimeout = stopTimeout
        self.reload = reload
        self.log = log
        wake = engine.wakeWrite
    }

    /// Thread-safe: asks the loop to stop (a signal handler's task calls this).
    public func requestStop() {
        lock.withLock { stopFlag = true }
        poke()
    }

    /// Thread-safe: asks the loop to reload the job files.
    public func requestReload() {
        lock.withLock { reloadFlag = true }
        poke()
    }

    func poke() {
        var byte: UInt8 = 1
        _ = write(wake, &byte, 1)
    }

    var shouldStop: Bool { lock.withLock { stopFlag } }
    func takeReload() -> Bool {
        lock.withLock {
            defer { reloadFlag = false }; return reloadFlag
        }
    }

    /// Who holds the store as its daemon, if that process is alive (and is not this one).
    public static func liveDaemon(_ store: any RunStore) -> (pid: Int32, heartbeat: Double)? {
        guard let text = try? store.meta(heartbeatKey) else { return nil }
        let parts = text.split(separator: " ")
        guard parts.count == 3, let pid = Int32(parts[0]), let beat = Double(parts[2]) else { return nil }
        let start = Int64(parts[1])
        guard pid != getpid(), ProcessControl.isAlive(pid, start: start) else { return nil }
        return (pid, beat)
    }

    public struct AlreadyRunning: Error, CustomStringConvertible, Sendable {
        public let pid: Int32
        public var description: String { "another orchestrator run (pid \(pid)) is already the daemon of this store" }
    }

    public func run() throws {
        if let membership {
            try untilStoreAnswers { try membership.join() }
            log("node \(membership.registration.name) joined (\(membership.registration.host), pid \(getpid()))")
        } else if let other = Daemon.liveDaemon(engine.store) {
            throw AlreadyRunning(pid: other.pid)
        }
        let start = Int64(engine.now.rounded(.up))
        try heartbeat()
        try untilStoreAnswers {
            try engine.reconcile()
            try beat()
        }
        if !engine.workspace.jobs.isEmpty { engine.startSupervisorsAhead() }
        // Every second; with several nodes four times per `node_dead_after` at least, so that a
        // lease is renewed well before it lapses.
        let beatInterval = membership.map { min(1, $0.deadAfter / 4) } ?? 1
        var nextBeat = Date().addingTimeInterval(beatInterval)
        var lastSeen = 0.0
        var slotsByDay: [LocalDate: [SchedulerState.Slot]] = [:]
        func slots(_ d: LocalDate) throws -> [SchedulerState.Slot] {
            if let cached = slotsByDay[d] { return cached }
            let ws = engine.workspace
            let computed = ws.calendar.validRange.contains(d) ? try SchedulerState.slots(of: ws, on: d) : []
            slotsByDay = slotsByDay.filter { $0.key >= d.adding(days: -1) }
            slotsByDay[d] = computed
            return computed
        }
        // Yesterday's and today's slots from the start on, built once a day (an `every: 1s` job
        // has 86,400 a day: rebuilding them on every wake cost milliseconds of lag).
        var dueFor: (date: LocalDate, slots: [SchedulerState.Slot])?
        while !shouldStop {
            let wake: Double
            do {
                if takeReload() { try reloadNow(); slotsByDay = [:]; dueFor = nil }
                let now = engine.now
                let zone = ZoneRules.of(engine.workspace.config.timeZone)
                let date = zone.localDate(of: Int64(now))
                let today = try slots(date)
                if dueFor?.date != date {
                    dueFor = (date, (try slots(date.adding(days: -1)) + today).filter { $0.time >= start })
                }
                let t0 = Date()
                try engine.step(day: date, slots: dueFor!.slots, notBefore: start)
                let t1 = Date()
                if Date() >= nextBeat {
                    nextBeat = Date().addingTimeInterval(beatInterval)
                    try heartbeat()
                    try beat()
                }
                let t2 = Date()
                if now - lastSeen >= 5 {
                    try engine.store.setMeta(CatchUp.lastSeenKey, String(now))
                    lastSeen = now
                }
                wake = try nextWake(now: now, today: today)
                // A round as long as half of node_dead_after puts this node's heartbeat and lease
                // at risk: said, with where the time went (how a scheduler stuck re-claiming the
                // day before's slots past midnight was found).
                if let membership, Date().timeIntervalSince(t0) > membership.deadAfter / 2 {
                    log(
                        String(
                            format: "a round took %.2f s (scheduling %.2f s, heartbeat %.2f s): a node silent for %@ is dead",
                            Date().timeIntervalSince(t0), t1.timeIntervalSince(t0), t2.timeIntervalSince(t1), "\(membership.deadAfter) s"))
                }
                outage.end(log: log)
            } catch let failure as StoreFailure where membership != nil && Daemon.outlasts(failure) {
                // One of several nodes outlives the store's outages: nothing of the failed round
                // happened; what it may have committed without saying so is swept below. Every
                // store call of the loop is inside this `do`: one outside it ended the node.
                try survive(failure)
                nextBeat = Date().addingTimeInterval(beatInterval)
                continue
            }
            engine.wait(realSeconds: min(max(0, (wake - engine.now) / engine.speed), 1, max(0, nextBeat.timeIntervalSinceNow)))
        }
        try shutdown()
    }

    /// The next moment something is due: a slot of today, a retry, a service's restart — within a
    /// minute.
    func nextWake(now: Double, today: [SchedulerState.Slot]) throws -> Double {
        var wake = now + 60
        let nextIndex = today.partitioningIndex { Double($0.time) > now }
        if nextIndex < today.endIndex { wake = min(wake, Double(today[nextIndex].time)) }
        for run in try engine.store.activeRuns() where run.state == .retrying && engine.workspace.jobs[run.job] != nil {
            wake = min(wake, run.nextAttemptAt ?? wake)
        }
        if let next = engine.services?.nextWake(after: now) { wake = min(wake, next) }
        return wake
    }

    /// `body` again every second while the store is out (with several nodes: a node started, or
    /// restarted, while PostgreSQL restarts waits for it as a running one does), until asked to stop.
    func untilStoreAnswers(_ body: () throws -> Void) throws {
        while true {
            do {
                try body()
                outage.end(log: log)
                return
            } catch let failure as StoreFailure where membership != nil && Daemon.outlasts(failure) && !shouldStop {
                outage.failed(failure, log: log)
                engine.wait(realSeconds: 1)
            }
        }
    }

    /// The failures a node waits out rather than stops for: the server unreachable or
    /// restarting, a lock or serialization conflict, leadership lost mid-write.
    static func outlasts(_ failure: StoreFailure) -> Bool { [.unavailable, .locked, .fenced].contains(failure.code) }

    /// After a failed step: leadership given up if it may have lapsed, then, once the store
    /// answers again, this node's attempts reconciled (a round whose commit was cut off may have
    /// started attempts no supervisor was given: lost, retried by policy).
    func survive(_ failure: StoreFailure) throws {
        outage.failed(failure, log: log)
        if failure.code == .fenced, let change = membership?.abdicate() { apply(change) }
        if let membership, membership.term != nil, !membership.isLeader, let change = membership.abdicate() { apply(change) }
        engine.wait(realSeconds: 1)
        do {
            try engine.reconcile()
            try beat()
        } catch let again as StoreFailure where Daemon.outlasts(again) {
            if let membership, membership.term != nil, !membership.isLeader, let change = membership.abdicate() { apply(change) }
        }
    }

    /// The node's heartbeat and lease (every second), leadership's changes applied, and the
    /// attempts of dead nodes taken over while leading.
    func beat() throws {
        guard let membership else { return }
        if membership.term != nil, !membership.isLeader, let change = membership.abdicate() { apply(change) }
        if let change = try membership.beat() { apply(change) }
        try engine.settleAdoptions()
        if membership.isLeader {
            let dead = try membership.deadNodes()
            if !dead.isEmpty { try engine.adopt(attemptsOf: dead) }
        }
    }

    func apply(_ change: NodeMembership.Change) {
        switch change {
        case .becameLeader(let term):
            log("leader (term \(term))")
            do {
                try engine.lead(through: try membership!.store.fenced(term: term), onEvent: onServiceEvent)
            } catch {
                log("could not take the services over: \(error)")
                if let change = membership?.abdicate() { apply(change) }
            }
        case .lostLeadership(let term):
            log("no longer the leader (term \(term)): services stop here")
            engine.relinquishServices(grace: 2)
        }
    }

    func heartbeat() throws {
        // With several nodes each one's heartbeat is its row in `node`; `daemon` names one process.
        guard membership == nil else { return }
        try engine.store.setMeta(Daemon.heartbeatKey, "\(getpid()) \(Engine.identity.start ?? 0) \(Date().timeIntervalSince1970)")
    }

    func reloadNow() throws {
        guard let reload else { return }
        switch reload() {
        case .success(let workspace):
            try engine.replaceWorkspace(workspace)
            log("reloaded: \(workspace.jobs.count) jobs, \(workspace.services.count) services")
        case .failure(let diagnostics):
            for d in diagnostics.all { log(d.description) }
            log("reload refused: \(diagnostics.all.count) problem\(diagnostics.all.count == 1 ? "" : "s"); the running configuration stays")
        }
    }

    /// Nothing new starts; attempts get `stopTimeout`; services stop in reverse order.
    func shutdown() throws {
        log("stopping")
        let deadline = Date().addingTimeInterval(stopTimeout)
        var stoppedJobs = false
        engine.stoppingServices = true
        if membership != nil { engine.forgetAdoptions() }
        while engine.hasRunningAttempts || (engine.services?.anyAlive ?? false) {
            engine.collectFinished()
            if !stoppedJobs && Date() >= deadline && engine.hasRunningAttempts {
                engine.stopAll()
                stoppedJobs = true
            }
            // Services wait for the jobs that may depend on them.
            if !engine.hasRunningAttempts { try engine.services?.step(shuttingDown: true) }
            var wait = 0.2
            if let next = engine.services?.nextWake(after: engine.now) { wait = min(wait, max(0, (next - engine.now) / engine.speed)) }
            // A leader keeps its lease while its services stop.
            if membership != nil { try? beat() }
            engine.wait(realSeconds: wait)
            if Date().timeIntervalSince(deadline) > 3600 { break }
        }
        try engine.services?.step(shuttingDown: true)
        try engine.store.setMeta(CatchUp.lastSeenKey, String(engine.now))
        if let membership {
            membership.leave()
        } else {
            try engine.store.setMeta(Daemon.heartbeatKey, "")
        }
    }
}

/// A store outage as a node waits it out: its first failure said, then one line every 30 s while
/// it lasts (not one per attempt: a restarting server fails many times a second), and its end.
struct Outage {
    private var since: Date?
    private var lastSaid = Date.distantPast
    private var failures = 0

    mutating func failed(_ failure: StoreFailure, log: (String) -> Void) {
        let now = Date()
        failures += 1
        if since == nil {
            since = now
            lastSaid = now
            log("store: \(failure.description); waiting for it")
        } else if now.timeIntervalSince(lastSaid) >= 30 {
            lastSaid = now
            log(String(format: "store: still failing after %.0f s (%d attempts): %@", now.timeIntervalSince(since!), failures, failure.description))
        }
    }

    mutating func end(log: (String) -> Void) {
        guard let since else { return }
        log(String(format: "store: back after %.1f s (%d failed attempt%@)", Date().timeIntervalSince(since), failures, failures == 1 ? "" : "s"))
        self = Outage()
    }
}
