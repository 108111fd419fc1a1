/// The supervisor's decisions for every service (SPEC §3 `services:`): a pure state machine
/// over `ServiceStatus` values and explicit instants. The engine feeds it what happened
/// (`started`, `exited`, `checked`) and applies what `tick` returns; nothing here sleeps,
/// reads a clock or touches a process.
///
/// Rules:
/// - A service runs inside its `active` window (always, without one), once every service it
///   depends on is up (running and healthy). Services start in dependency order and stop in
///   reverse: a service is stopped only once nothing that depends on it is alive.
/// - An unplanned exit is restarted per `restart` after `restart_delay`, doubled per
///   consecutive failure up to `max_restart_delay`; the doubling starts over once a process
///   has stayed up `stableUptime`. More exits than `start_limit.burst` within
///   `start_limit.interval` make the service `failed` until its next window or a manual restart.
/// - With a health check, a started service is `starting` until its first healthy check, and
///   `unhealthy` after `unhealthy_after` failed checks in a row — then restarted unless
///   `restart: never`. Without one, running is healthy.
public struct ServiceBoard: Sendable {
    public let workspace: Workspace
    public private(set) var statuses: [String: ServiceStatus]
    /// Services in dependency order.
    public let order: [String]
    let dependents: [String: [String]]
    let zones: [String: ZoneRules]
    /// What happened since the engine last drained it.
    public var events: [ServiceEvent] = []
    /// Floors on the clock the board runs on, so an accelerated clock does not check health
    /// or kill a stopping process faster than real processes can answer (simulated seconds).
    public var minimumCheckInterval: Double
    public var minimumStopGrace: Double
    /// A process that stayed up this long (seconds) resets the restart delay's doubling.
    public static let stableUptime: Double = 10

    public init(workspace: Workspace, minimumCheckInterval: Double = 0, minimumStopGrace: Double = 0) {
        self.workspace = workspace
        self.minimumCheckInterval = minimumCheckInterval
        self.minimumStopGrace = minimumStopGrace
        order = workspace.graph.topologicalOrder().filter { workspace.services[$0] != nil }
        var dependents: [String: [String]] = [:]
        var zones: [String: ZoneRules] = [:]
        for (name, spec) in workspace.services {
            for u in spec.dependsOn where workspace.services[u] != nil { dependents[u, default: []].append(name) }
            zones[name] = ZoneRules.of(workspace.timeZone(ofJob: name))
        }
        self.dependents = dependents
        self.zones = zones
        statuses = Dictionary(uniqueKeysWithValues: order.map { ($0, ServiceStatus()) })
    }

    /// Keeps the state of every service still declared (after a reload).
    public mutating func carryOver(from old: ServiceBoard) {
        for name in order { if let st = old.statuses[name] { statuses[name] = st } }
        events = old.events
    }

    /// Services running and healthy.
    public var up: Set<String> { Set(statuses.filter { $0.value.isUp }.map(\.key)) }
    /// Whether any service has a process.
    public var anyAlive: Bool { statuses.values.contains { $0.isAlive } }

    public func window(of name: String, at now: Double) -> (start: Int64, end: Int64)? {
        ServiceWindow.current(workspace.services[name]?.active, at: now, zone: zones[name]!, calendar: workspace.calendar)
    }

    mutating func record(_ name: String, _ kind: ServiceEvent.Kind, at now: Double, _ detail: String) {
        let st = statuses[name]!
        events.append(ServiceEvent(service: name, at: now, kind: kind, state: st.state, pid: st.pid, detail: detail))
    }

    // MARK: - Deciding

    /// The actions due at `now`. `shuttingDown`: every service is stopped (in reverse order).
    public mutating func tick(now: Double, shuttingDown: Bool = false) -> [ServiceAction] {
        var actions: [ServiceAction] = []
        for name in order {
            guard let spec = workspace.services[name], var st = statuses[name] else { continue }
            let activation = shuttingDown ? nil : window(of: name, at: now)?.start
            if st.stopping != nil {
                if let killAt = st.killAt, now >= killAt, !st.killed {
                    st.killed = true
                    statuses[name] = st
                    actions.append(.kill(name))
                    record(name, .kill, at: now, "still running \(spec.stopTimeout) after SIGTERM: SIGKILL to its process group")
                }
                continue
            }
            if st.isAlive {
                if activation == nil {
                    // Reverse order: only once nothing that depends on it is alive.
                    guard (dependents[name] ?? []).allSatisfy({ !(statuses[$0]?.isAlive ?? false) }) else { continue }
                    st.stopping = shuttingDown ? .shutdown : .windowClosed
                    st.killAt = now + max(spec.stopTimeout.seconds, minimumStopGrace)
                    st.state = .stopping
                    st.reason = "stopping: \(st.stopping!.rawValue)"
                    statuses[name] = st
                    actions.append(.stop(name))
                    record(name, .stop, at: now, st.stopping!.rawValue)
                } else if let due = checkDue(st, spec, now: now) {
                    if now >= due {
                        st.checkInFlight = true
                        statuses[name] = st
                        actions.append(.check(name))
                    }
                }
                continue
            }
            // Not alive.
            if activation != st.activation {
                st.activation = activation
                st.starts = 0
                st.runId = nil
                st.consecutiveFailures = 0
                st.recentFailures = []
                st.done = false
                st.nextStartAt = nil
                st.failedChecks = 0
                if !(shuttingDown && st.state == .failed) { st.state = .stopped }
                st.reason = nil
            }
            if activation == nil {
                // Outside its window it is inactive; once the orchestrator stops, stopped
                // (a failed service keeps saying so).
                if !shuttingDown {
                    st.state = .inactive
                    st.reason = "outside its window"
                } else if st.state != .failed {
                    st.state = .stopped
                }
            }
            guard activation != nil, !st.done else {
                statuses[name] = st
                continue
            }
            if let next = st.nextStartAt, now < next {
                statuses[name] = st
                continue
            }
            let waiting = spec.dependsOn.filter { workspace.services[$0] != nil && !(statuses[$0]?.isUp ?? false) }
            if !waiting.isEmpty {
                st.reason = "waiting for \(waiting.joined(separator: ", "))"
                statuses[name] = st
                continue
            }
            statuses[name] = st
            actions.append(.start(name))
        }
        return actions
    }

    /// When a running service's next health check is due (nil: no check, or one under way).
    /// Until the first healthy check, look often; then every `interval`.
    func checkDue(_ st: ServiceStatus, _ spec: ServiceSpec, now: Double) -> Double? {
        guard let health = spec.health, !st.checkInFlight else { return nil }
        let interval = max(st.state == .starting ? min(health.interval.seconds, 1) : health.interval.seconds, minimumCheckInterval)
        let last = st.health.map { max($0.checkedAt, st.startedAt ?? 0) } ?? (st.startedAt ?? now)
        return last + interval
    }

    // MARK: - What happened

    /// The service's process is running (its activation's run is `runId`).
    /// `note` joins the start event's detail (the CPU scheduling it runs under, or why not).
    public mutating func started(_ name: String, pid: Int32, runId: Int64?, now: Double, note: String? = nil) {
        guard var st = statuses[name] else { return }
        begin(&st, name, pid: pid, runId: runId, starts: st.starts + 1, startedAt: now)
        st.failedChecks = 0
        st.nextStartAt = nil
        st.clearStop()
        st.reason = nil
        statuses[name] = st
        record(name, .start, at: now, (st.starts > 1 ? "pid \(pid), restart \(st.starts - 1)" : "pid \(pid)") + (note.map { ", " + $0 } ?? ""))
    }

    /// A process is up: `starting` until its first healthy check, or `running` without a check.
    func begin(_ st: inout ServiceStatus, _ name: String, pid: Int32, runId: Int64?, starts: Int, startedAt: Double) {
        st.pid = pid
        st.startedAt = startedAt
        st.starts = starts
        st.runId = runId
        st.state = workspace.services[name]?.health == nil ? .running : .starting
    }

    /// A process the store says is running, found alive after the orchestrator restarted.
    public mutating func adopt(_ name: String, pid: Int32, runId: Int64, starts: Int, startedAt: Double, now: Double) {
        guard var st = statuses[name] else { return }
        begin(&st, name, pid: pid, runId: runId, starts: starts, startedAt: startedAt)
        st.activation = window(of: name, at: now)?.start
        statuses[name] = st
        record(name, .adopted, at: now, "pid \(pid) still running; adopted")
    }

    /// The process could not be started at all (no such program…): an exit like any other.
    public mutating func startFailed(_ name: String, reason: String, runId: Int64?, now: Double) -> [ServiceAction] {
        guard var st = statuses[name] else { return [] }
        st.starts += 1
        st.startedAt = now
        st.runId = runId
        statuses[name] = st
        record(name, .exit, at: now, reason)
        return unplannedExit(name, ServiceStatus.Exit(code: 127, signal: nil, at: now), why: reason, now: now)
    }

    /// The service's process ended (nil code and signal: ended while adopted, status unknown).
    public mutating func exited(_ name: String, exit: ServiceStatus.Exit, now: Double) -> [ServiceAction] {
        guard var st = statuses[name], st.isAlive else { return [] }
        let stopping = st.stopping
        st.pid = nil
        st.lastExit = exit
        st.clearStop()
        statuses[name] = st
        record(name, .exit, at: now, exit.description)
        switch stopping {
        case .windowClosed?, .shutdown?:
            st.state = stopping == .windowClosed ? .inactive : .stopped
            st.reason = "stopped: \(stopping!.rawValue)"
            let run = st.runId
            st.runId = nil
            st.activation = stopping == .windowClosed ? nil : st.activation
            statuses[name] = st
            return run.map { [.runState(name, runId: $0, state: .succeeded, reason: "stopped: \(stopping!.rawValue)", nextAt: nil)] } ?? []
        case .restart?:
            st.state = .backoff
            st.nextStartAt = now
            st.reason = "restart requested"
            statuses[name] = st
            return st.runId.map { [.runState(name, runId: $0, state: .retrying, reason: "restart requested", nextAt: now)] } ?? []
        case .unhealthy?:
            return unplannedExit(name, exit, why: "restarted: unhealthy (\(st.health?.detail ?? "failed checks"))", now: now, forceFailure: true)
        case nil:
            return unplannedExit(name, exit, why: exit.description, now: now)
        }
    }

    mutating func unplannedExit(_ name: String, _ exit: ServiceStatus.Exit, why: String, now: Double, forceFailure: Bool = false) -> [ServiceAction] {
        guard let spec = workspace.services[name], var st = statuses[name] else { return [] }
        st.pid = nil
        st.lastExit = exit
        let failure = forceFailure || exit.isFailure
        func end(_ state: ServiceStatus.State, _ runState: RunState, _ reason: String, _ kind: ServiceEvent.Kind?) -> [ServiceAction] {
            st.state = state
            st.done = true
            st.reason = reason
            statuses[name] = st
            if let kind { record(name, kind, at: now, reason) }
            return st.runId.map { [.runState(name, runId: $0, state: runState, reason: reason, nextAt: nil)] } ?? []
        }
        if !failure && spec.restart != .always {
            return end(.stopped, .succeeded, "exited 0 (restart: \(spec.restart.rawValue))", nil)
        }
        if failure && spec.restart == .never {
            return end(.failed, .failed, "\(why) (restart: never)", .failed)
        }
        let interval = spec.startLimit.interval.seconds
        st.recentFailures = st.recentFailures.filter { $0 > now - interval } + [now]
        if st.recentFailures.count > spec.startLimit.burst {
            return end(
                .failed, .failed,
                "start limit hit: \(st.recentFailures.count) exits within \(spec.startLimit.interval) (burst \(spec.startLimit.burst)); last: \(why)", .failed)
        }
        if let started = st.startedAt, now - started >= ServiceBoard.stableUptime { st.consecutiveFailures = 0 }
        st.consecutiveFailures += 1
        let delay = ServiceBoard.restartDelay(spec, consecutiveFailures: st.consecutiveFailures)
        st.state = .backoff
        st.nextStartAt = now + delay
        st.reason = "\(why); restart in \(TimeSpan(milliseconds: Int64((delay * 1000).rounded())).description)"
        statuses[name] = st
        record(name, .backoff, at: now, st.reason!)
        return st.runId.map { [.runState(name, runId: $0, state: .retrying, reason: st.reason!, nextAt: now + delay)] } ?? []
    }

    /// `restart_delay` doubled per consecutive failure after the first, capped.
    public static func restartDelay(_ spec: ServiceSpec, consecutiveFailures n: Int) -> Double {
        let base = spec.restartDelay.seconds
        let doubled = base * Double(1 << min(max(n - 1, 0), 40))
        return min(doubled, max(spec.maxRestartDelay.seconds, base))
    }

    /// A health check's result.
    public mutating func checked(_ name: String, ok: Bool, detail: String, now: Double) -> [ServiceAction] {
        checked(name, outcome: ok ? .passed : .failed, detail: detail, now: now)
    }

    /// A health check's result; `notReady` (the process says it is still getting ready) counts
    /// neither way: the service keeps its state and its count of failed checks.
    public mutating func checked(_ name: String, outcome: HealthOutcome, detail: String, now: Double) -> [ServiceAction] {
        guard let spec = workspace.services[name], var st = statuses[name] else { return [] }
        st.checkInFlight = false
        // A result for a process that is gone or being stopped changes nothing.
        guard st.isAlive, st.stopping == nil else {
            statuses[name] = st
            return []
        }
        let previous = st.state
        let ok = outcome == .passed
        st.health = ServiceStatus.Health(ok: ok, checkedAt: now, detail: detail)
        if outcome == .notReady {
            statuses[name] = st
            return []
        }
        if ok {
            st.failedChecks = 0
            if st.state == .starting || st.state == .unhealthy { st.state = .running }
            statuses[name] = st
            if previous != .running { record(name, .healthy, at: now, detail) }
            return []
        }
        // Docker's start_period: a process that has not been healthy since it started has this
        // long to get there; its failures meanwhile (a heartbeat still the previous process's)
        // are recorded and not counted.
        if st.state == .starting, let started = st.startedAt, let health = spec.health, now - started < health.startPeriod.seconds {
            statuses[name] = st
            return []
        }
        st.failedChecks += 1
        let limit = spec.health?.unhealthyAfter ?? 3
        guard st.failedChecks >= limit, st.state != .unhealthy else {
            statuses[name] = st
            return []
        }
        st.state = .unhealthy
        st.reason = "\(st.failedChecks) failed checks: \(detail)"
        statuses[name] = st
        record(name, .unhealthy, at: now, st.reason!)
        guard spec.restart != .never else { return [] }
        st.stopping = .unhealthy
        st.killAt = now + max(spec.stopTimeout.seconds, minimumStopGrace)
        statuses[name] = st
        return [.stop(name)]
    }

    /// A manual restart: a running service is stopped and started again; a failed or stopped
    /// one may start again at once (its start limit starts over).
    public mutating func requestRestart(_ name: String, now: Double) -> [ServiceAction] {
        guard let spec = workspace.services[name], var st = statuses[name] else { return [] }
        if st.isAlive {
            guard st.stopping == nil else { return [] }
            st.stopping = .restart
            st.killAt = now + max(spec.stopTimeout.seconds, minimumStopGrace)
            statuses[name] = st
            record(name, .restart, at: now, "restart requested")
            return [.stop(name)]
        }
        st.done = false
        st.recentFailures = []
        st.consecutiveFailures = 0
        st.nextStartAt = nil
        if st.state == .failed || st.state == .stopped { st.runId = nil; st.starts = 0 }
        st.state = .stopped
        st.reason = "restart requested"
        statuses[name] = st
        record(name, .restart, at: now, "restart requested")
        return []
    }

    // MARK: - Waking

    /// The next instant at which `tick` may have something to do (a restart, a kill, a health
    /// check, a window opening or closing).
    public func nextWake(after now: Double) -> Double? {
        var wake = Double.infinity
        for name in order {
            guard let spec = workspace.services[name], let st = statuses[name] else { continue }
            if let killAt = st.killAt, !st.killed { wake = min(wake, killAt) }
            if !st.isAlive, !st.done, let next = st.nextStartAt { wake = min(wake, next) }
            if st.isAlive, st.stopping == nil, let due = checkDue(st, spec, now: now) { wake = min(wake, due) }
            if spec.active != nil {
                if let current = window(of: name, at: now) {
                    wake = min(wake, Double(current.end))
                } else if let next = ServiceWindow.nextStart(spec.active, after: now, zone: zones[name]!, calendar: workspace.calendar) {
                    wake = min(wake, Double(next))
                }
            }
        }
        return wake.isFinite ? wake : nil
    }
}
