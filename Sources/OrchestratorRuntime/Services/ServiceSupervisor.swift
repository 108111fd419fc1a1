import Foundation
public import OrchestratorCore

/// The edge of service supervision: applies `ServiceBoard`'s decisions to real processes
/// (each service in its own process group, output to `logs/<service>/<run>.<attempt>.log`),
/// runs health checks off the engine's thread, and commits every start, exit and health change
/// to the run store before acting on the next.
///
/// A service's activation (its window, or the orchestrator's lifetime when always on) is a run
/// of its own; each start is an attempt of that run, so `history`, `show` and `logs` see
/// services like jobs. Services are the engine's children, watched through pidfds; one found
/// running after an orchestrator restart is adopted (its exit status is then unknown).
public final class ServiceSupervisor {
    public private(set) var board: ServiceBoard
    var workspace: Workspace
    let store: any RunStore
    let clock: any WallClock
    let clockEnvironment: String?
    let executable: String
    let baseEnvironment: [String: String]
    let onEvent: (ServiceEvent) -> Void

    struct Process {
        let pid: Int32
        let pidfd: Int32
        let isChild: Bool
        let runId: Int64
        let attempt: Int
    }

    var processes: [String: Process] = [:]
    /// Each service's row as last committed, and how far apart (clock seconds: one real second)
    /// two commits of a health check that changed nothing but its time must be.
    var saved: [String: ServiceRecord] = [:]
    let checkTimeResolution: Double
    /// Processes of services removed by a reload, stopping.
    var retired: [String: Process] = [:]
    /// Health results from the probing threads, and the engine's pipe that wakes its poll.
    let results = ResultBox()
    let wakeWrite: Int32
    /// Redis connections the health checks keep between checks.
    let connections = RedisConnections()

    final class ResultBox: @unchecked Sendable {
        let lock = NSLock()
        var items: [(String, HealthOutcome, String)] = []
        func add(_ item: (String, HealthOutcome, String)) { lock.lock(); items.append(item); lock.unlock() }
        func take() -> [(String, HealthOutcome, String)] { lock.lock(); defer { items = []; lock.unlock() }; return items }
    }

    public init(
        workspace: Workspace, store: any RunStore, clock: any WallClock, executable: String, wake: Int32,
        onEvent: @escaping (ServiceEvent) -> Void = { _ in }
    ) {
        self.workspace = workspace
        self.store = store
        self.clock = clock
        self.executable = executable
        self.onEvent = onEvent
        let speed = (clock as? SimulatedClock)?.speed ?? 1
        clockEnvironment = (clock as? SimulatedClock)?.environmentValue
        // On an accelerated clock, still give real processes real time to answer.
        board = ServiceBoard(workspace: workspace, minimumCheckInterval: 0.1 * speed, minimumStopGrace: speed > 1 ? 2 * speed : 0)
        baseEnvironment = ProcessInfo.processInfo.environment
        wakeWrite = wake
        checkTimeResolution = speed
    }

    deinit {
        for p in processes.values where p.pidfd >= 0 { close(p.pidfd) }
    }

    /// A reload: services keep their state and processes; removed ones are stopped.
    private var lastRequestCheck = Date.distantPast

    func replaceWorkspace(_ new: Workspace) throws {
        let old = board
        workspace = new
        board = ServiceBoard(workspace: new, minimumCheckInterval: old.minimumCheckInterval, minimumStopGrace: old.minimumStopGrace)
        board.carryOver(from: old)
        for (name, p) in processes where new.services[name] == nil {
            processes[name] = nil
            retired[name] = p
            ProcessControl.signalGroup(p.pid, SIGTERM)
        }
        saved = saved.filter { new.services[$0.key] != nil }
    }

    public var up: Set<String> { board.up }
    public var anyAlive: Bool { !processes.isEmpty || !retired.isEmpty }
    /// Descriptors that become readable when a service's process ends.
    public var pollDescriptors: [Int32] { (processes.values.map(\.pidfd) + retired.values.map(\.pidfd)).filter { $0 >= 0 } }
    public func nextWake(after now: Double) -> Double? { board.nextWake(after: now) }

    // MARK: - After a restart

    /// Service runs the store says are active: a process still alive is adopted; a run whose
    /// process is gone is closed (a new activation starts it again).
    public func reconcile() throws {
        let now = clock.now()
        for run in try store.activeRuns() where workspace.services[run.job] != nil {
            let id = run.id!
            // Already supervised here (a reconcile after a store outage): nothing to decide.
            if processes[run.job]?.runId == id { continue }
            let last = try store.attempt(run: id, number: run.attempts)
            if let last, last.outcome == .running, let pid = last.shimPid, ProcessControl.isAlive(pid, start: last.shimStart),
                processes[run.job] == nil
            {
                processes[run.job] = Process(pid: pid, pidfd: ProcessControl.pidfd(pid), isChild: false, runId: id, attempt: last.number)
                board.adopt(run.job, pid: pid, runId: id, starts: run.attempts, startedAt: last.startedAt, now: now)
                continue
            }
            if let last, last.outcome == .running {
                try store.recordExit(run: id, attempt: last.number, exitCode: nil, signal: nil, outcome: .lost, now: now)
            }
            try store.transition(run: id, to: .cancelled, now: now, reason: "its process was gone when the orchestrator restarted")
        }
        try persist(now: now)
    }

    // MARK: - One step

    /// Collects exits and health results, then applies what the board decides until nothing
    /// more is due. Returns whether anything happened.
    @discardableResult
    public func step(shuttingDown: Bool = false) throws -> Bool {
        var any = false
        for (name, p) in retired where ProcessControl.reap(p.pid) != nil || (!p.isChild && !ProcessControl.isAlive(p.pid, start: nil)) {
            if p.pidfd >= 0 { close(p.pidfd) }
            retired[name] = nil
            ProcessControl.signalGroup(p.pid, SIGKILL)
            let now = clock.now()
            try store.recordExit(run: p.runId, attempt: p.attempt, exitCode: nil, signal: nil, outcome: .killed, now: now)
            try store.transition(run: p.runId, from: [.running, .retrying], to: .succeeded, now: now, reason: "stopped: removed from the configuration")
        }
        for (name, p) in processes {
            let exit: ServiceStatus.Exit?
            let now = clock.now()
            if p.isChild {
                guard let status = ProcessControl.reap(p.pid) else { continue }
                switch status {
                case .code(let c): exit = .init(code: c, signal: nil, at: now)
                case .signal(let s): exit = .init(code: nil, signal: s, at: now)
                }
            } else {
                guard !ProcessControl.isAlive(p.pid, start: nil) else { continue }
                exit = .init(code: nil, signal: nil, at: now)
            }
            any = true
            try ended(name, p, exit!, now: now)
        }
        // Restarts asked for by `orchestrator restart` (another process), read twice a second.
        if Date().timeIntervalSince(lastRequestCheck) >= 0.5 {
            lastRequestCheck = Date()
            for name in try store.takeServiceRestartRequests() where workspace.services[name] != nil {
                any = true
                try apply(board.requestRestart(name, now: clock.now()))
            }
        }
        for (name, outcome, detail) in results.take() {
            any = true
            try apply(board.checked(name, outcome: outcome, detail: detail, now: clock.now()))
        }
        for _ in 0..<20 {
            let actions = board.tick(now: clock.now(), shuttingDown: shuttingDown)
            if actions.isEmpty { break }
            any = true
            try apply(actions)
        }
        try persist(now: clock.now())
        return any
    }

    func ended(_ name: String, _ p: Process, _ exit: ServiceStatus.Exit, now: Double) throws {
        if p.pidfd >= 0 { close(p.pidfd) }
        processes[name] = nil
        // Whatever the leader left behind in its group goes with it.
        ProcessControl.signalGroup(p.pid, SIGKILL)
        let planned = board.statuses[name]?.stopping
        let outcome: AttemptOutcome
        if planned != nil && planned != .unhealthy {
            outcome = .killed
        } else if exit.code == nil && exit.signal == nil {
            outcome = .lost
        } else {
            outcome = exit.isFailure ? .failed : .succeeded
        }
        try store.recordExit(run: p.runId, attempt: p.attempt, exitCode: exit.code, signal: exit.signal, outcome: outcome, now: now)
        try apply(board.exited(name, exit: exit, now: now))
    }

    func apply(_ actions: [ServiceAction]) throws {
        for action in actions {
            let now = clock.now()
            switch action {
            case .start(let name):
                try start(name, now: now)
            case .stop(let name):
                try persist(now: now)
                if let p = processes[name] { ProcessControl.signalGroup(p.pid, SIGTERM) }
            case .kill(let name):
                try persist(now: now)
                if let p = processes[name] { ProcessControl.signalGroup(p.pid, SIGKILL) }
            case .check(let name):
                probe(name)
            case .runState(_, let runId, let state, let reason, let nextAt):
                try store.transition(run: runId, from: [.running, .retrying, .queued], to: state, now: now, reason: reason, nextAttemptAt: nextAt)
            }
        }
    }

    func start(_ name: String, now: Double) throws {
        guard let spec = workspace.services[name] else { return }
        var runId = board.statuses[name]?.runId
        if runId == nil {
            let day = tradingDay(at: now)
            let window = board.window(of: name, at: now)
            let reason = spec.active == nil ? "always on" : "window \(spec.active!) until \(TimeFormat.utc(window?.end ?? 0))"
            runId = try store.createRun(job: name, tradingDay: day.description, trigger: .schedule, state: .queued, now: now, reason: reason).id
        }
        guard let runId, let run = try store.run(runId) else { return }
        if run.state == .running, let last = try store.attempt(run: runId, number: run.attempts), last.outcome != .running {
            // The previous start ended and was recorded: the run waits for its next attempt.
            try store.transition(run: runId, to: .retrying, now: now, reason: "restarting", nextAttemptAt: now)
        }
        let number = run.attempts + 1
        let directory = "\(workspace.config.logs)/\(name)"
        let logPath = "\(directory)/\(runId).\(number).log"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        guard let attempt = try store.startAttempt(run: runId, log: logPath, now: now, engine: Engine.identity) else {
            try apply(board.startFailed(name, reason: "its run \(runId) could not take a new attempt", runId: runId, now: now))
            return
        }
        let fd = open(logPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        defer { if fd >= 0 { close(fd) } }
        do {
            let pid = try ProcessControl.spawn(spec.command.arguments, environment: environment(name, spec, runId: runId, attempt: number, now: now), logFD: fd)
            processes[name] = Process(pid: pid, pidfd: ProcessControl.pidfd(pid), isChild: true, runId: runId, attempt: attempt.number)
            // The start event says what the process runs under, or why not what was asked.
            var note = spec.cpuScheduling?.description
            if let scheduling = spec.cpuScheduling, let failure = ProcessControl.apply(scheduling, to: pid) {
                note = failure
                ServiceSupervisor.say(failure, in: fd)
            }
            board.started(name, pid: pid, runId: runId, now: now, note: note)
            try store.recordServiceProcess(run: runId, attempt: number, pid: pid, start: ProcessControl.startTime(of: pid))
        } catch let error as ProcessControl.SpawnError {
            ServiceSupervisor.say(error.description, in: fd)
            try store.recordExit(run: runId, attempt: number, exitCode: 127, signal: nil, outcome: .failed, now: now)
            try apply(board.startFailed(name, reason: error.description, runId: runId, now: now))
        }
    }

    /// One line of the orchestrator's own in a service's log (`fd` -1: no log).
    static func say(_ text: String, in fd: Int32) {
        guard fd >= 0 else { return }
        _ = "orchestrator: \(text)\n".withCString { write(fd, $0, strlen($0)) }
    }

    /// SPEC §4's trading day of an instant (its local date outside the calendar's range).
    func tradingDay(at now: Double) -> LocalDate {
        (try? workspace.calendar.tradingDay(of: Int64(now))) ?? ZoneRules.of(workspace.config.timeZone).localDate(of: Int64(now))
    }

    func environment(_ name: String, _ spec: ServiceSpec, runId: Int64, attempt: Int, now: Double) -> [String: String] {
        var env = ProcessControl.environment(baseEnvironment, adding: spec.env, nextTo: executable)
        env["ORCHESTRATOR_SERVICE"] = name
        env["ORCHESTRATOR_JOB"] = name
        env["ORCHESTRATOR_RUN_ID"] = String(runId)
        env["ORCHESTRATOR_ATTEMPT"] = String(attempt)
        env["ORCHESTRATOR_TRADING_DAY"] = tradingDay(at: now).description
        env["ORCHESTRATOR_TRIGGER"] = "schedule"
        env[SimulatedClock.environmentKey] = clockEnvironment
        if let node = (store as? any NodeCoordination)?.node { env["ORCHESTRATOR_NODE"] = node }
        return env
    }

    func probe(_ name: String) {
        guard let health = workspace.services[name]?.health, let spec = workspace.services[name] else { return }
        let env = ProcessControl.environment(baseEnvironment, adding: spec.env, nextTo: executable)
        let clock = self.clock
        let probe = HealthProbe(
            check: health, redisURL: workspace.config.redisURL, environment: env, now: { [clock] in clock.now() },
            connections: connections)
        let results = self.results, wake = wakeWrite
        DispatchQueue.global().async {
            let (outcome, detail) = probe.run()
            results.add((name, outcome, detail))
            var byte: UInt8 = 1
            _ = write(wake, &byte, 1)
        }
    }

    /// Commits what changed since the last save: the services' rows and their events.
    func persist(now: Double) throws {
        let events = board.events
        board.events = []
        var records: [ServiceRecord] = []
        for (name, status) in board.statuses {
            let record = ServiceRecord(name: name, status: status, now: now)
            if let last = saved[name] {
                // Only what `status` shows counts (not the board's bookkeeping, such as a check in
                // flight), and a passing check that changed nothing but its time is committed at
                // most once a real second: at 600x a service is checked ten times a second.
                var a = last, b = record
                a.updatedAt = 0; b.updatedAt = 0
                if a == b { continue }
                a.healthCheckedAt = nil; b.healthCheckedAt = nil
                if a == b && (record.healthCheckedAt ?? 0) - (last.healthCheckedAt ?? 0) < checkTimeResolution { continue }
            }
            records.append(record)
            saved[name] = record
        }
        try store.saveServices(records, events: events.map { ServiceEventRecord($0, runId: board.statuses[$0.service]?.runId) })
        for event in events { onEvent(event) }
    }
}

extension ServiceSupervisor {
    /// Leadership lost (issue 21): this node stops supervising without writing anything (its
    /// writes are fenced now). A service process the new leader has adopted (`adoptedElsewhere`:
    /// its row names another node and this pid) is left to it; every other one is stopped —
    /// SIGTERM to its group, SIGKILL after `grace` seconds — so that no service runs twice.
    public func relinquish(grace: Double, adoptedElsewhere: (String, Int32) -> Bool) {
        var stopping: [Process] = []
        for (name, p) in processes.merging(retired, uniquingKeysWith: { a, _ in a }) {
            if adoptedElsewhere(name, p.pid) {
                if p.pidfd >= 0 { close(p.pidfd) }
                continue
            }
            ProcessControl.signalGroup(p.pid, SIGTERM)
            stopping.append(p)
        }
        let deadline = Date().addingTimeInterval(grace)
        while !stopping.isEmpty {
            stopping.removeAll { p in
                let gone = p.isChild ? ProcessControl.reap(p.pid) != nil : !ProcessControl.isAlive(p.pid, start: nil)
                if gone {
                    ProcessControl.signalGroup(p.pid, SIGKILL)
                    if p.pidfd >= 0 { close(p.pidfd) }
                }
                return gone
            }
            if Date() >= deadline {
                for p in stopping { ProcessControl.signalGroup(p.pid, SIGKILL) }
            }
            if Date().timeIntervalSince(deadline) > 5 { break }
            usleep(20_000)
        }
        processes = [:]
        retired = [:]
    }
}
