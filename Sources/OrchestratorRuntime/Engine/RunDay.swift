import Foundation
public import OrchestratorCore

/// `run-day`: one trading day of the declared jobs on a simulated clock (SPEC §5).
///
/// The clock starts at the day's 00:00 (or `from`) in the configured zone and runs `speed`
/// times real time; timeouts and delays are on it too, and children get the mapping in
/// `ORCHESTRATOR_CLOCK`. Running it again for the same day resumes: claimed slots are never
/// claimed twice (the store's unique slot), finished runs stay finished, and attempts left
/// running by a killed orchestrator are adopted or reconciled first.
public struct RunDay {
    public let workspace: Workspace
    public let store: any RunStore
    public let day: LocalDate
    public let speed: Double
    public let from: TimeOfDay?
    /// The day stops at this local time (its slots from then on are not run, what runs is
    /// stopped, the services too): a part of a day.
    public var until: TimeOfDay?

    public struct Failure: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    public init(workspace: Workspace, store: any RunStore, day: LocalDate, speed: Double, from: TimeOfDay?) throws(Failure) {
        let calendar = workspace.calendar
        do {
            guard try calendar.isSession(day) else {
                let next = try calendar.nextSession(after: day)
                throw Failure(description: "\(day) is not a trading day on \(calendar.code); the next one is \(next.date)")
            }
        } catch let error as CalendarError {
            throw Failure(description: error.description)
        } catch let failure as Failure {
            throw failure
        } catch {
            throw Failure(description: "\(error)")
        }
        self.workspace = workspace
        self.store = store
        self.day = day
        self.speed = speed
        self.from = from
    }

    /// Runs the day to its end; returns the day's runs.
    public func run(
        executable: String = ProcessControl.executablePath, onEvent: @escaping (EngineEvent) -> Void,
        onServiceEvent: @escaping (ServiceEvent) -> Void = { _ in },
        shouldStop: () -> Bool = { false }
    ) throws -> [RunRecord] {
        let zone = ZoneRules.of(workspace.config.timeZone)
        let start = zone.instant(of: day, secondsOfDay: from?.secondsOfDay ?? 0)
        let clock = SimulatedClock(simulatedAnchor: Double(start), realAnchor: Date().timeIntervalSince1970, speed: speed)
        let engine = Engine(workspace: workspace, store: store, clock: clock, executable: executable, onEvent: onEvent)
        engine.superviseServices(onEvent: onServiceEvent)
        let slots = try SchedulerState.slots(of: workspace, on: day)
        // The day also lasts until every service window of it has closed.
        let windowsEnd =
            workspace.services.values.compactMap { spec in
                ServiceWindow.interval(spec.active, on: day, zone: ZoneRules.of(workspace.timeZone(ofJob: spec.name)), calendar: workspace.calendar)?.end
            }.max().map(Double.init) ?? 0
        let notBefore = from.map { _ in start }
        let end = until.map { Double(zone.instant(of: day, secondsOfDay: $0.secondsOfDay)) } ?? .infinity
        func over() -> Bool { shouldStop() || engine.now >= end }
        try engine.reconcile()
        if !workspace.jobs.isEmpty { engine.startSupervisorsAhead() }
        while !over() {
            // "Now" is read before the step: every slot up to it was due inside the step, so a
            // slot that comes due while the step runs is still the next one, never skipped.
            let now = engine.now
            try engine.step(day: day, slots: slots, notBefore: notBefore)
            let state = try engine.state(for: day, slots: slots, notBefore: notBefore, trigger: .schedule)
            let index = slots.partitioningIndex { Double($0.time) > now && (notBefore == nil || $0.time >= notBefore!) }
            let nextSlot = index < slots.endIndex ? slots[index] : nil
            let busy = state.runs.contains { [.running, .queued, .retrying].contains($0.state) && workspace.jobs[$0.job] != nil }
            if nextSlot == nil && !busy && !engine.hasRunningAttempts && now >= windowsEnd {
                for action in Scheduler.closeDay(state) { try engine.apply(action, day: day, trigger: .schedule) }
                break
            }
            // Sleep until the next thing that can happen on the simulated clock.
            var wake = nextSlot.map { Double($0.time) } ?? (now < windowsEnd ? windowsEnd : .infinity)
            if let next = engine.services?.nextWake(after: now) { wake = min(wake, next) }
            for r in state.runs where r.state == .retrying { wake = min(wake, r.nextAttemptAt ?? wake) }
            for r in state.runs where r.state == .pending {
                if let slot = r.scheduledFor, let deadline = workspace.jobs[r.job]?.deadline {
                    wake = min(wake, Double(slot) + deadline.seconds + 0.001)
                }
            }
            wake = min(wake, end)
            engine.wait(realSeconds: wake.isFinite ? max(0, (wake - engine.now) / speed) : 1)
        }
        if over() {
            engine.stopAll()
            while engine.hasRunningAttempts {
                engine.wait(realSeconds: 0.2)
                engine.collectFinished()
            }
        }
        // Always-on services (and any still up) stop with the day, in reverse order.
        engine.stoppingServices = true
        if let services = engine.services {
            try services.step(shuttingDown: true)
            while services.anyAlive {
                let wait = services.nextWake(after: engine.now).map { max(0, ($0 - engine.now) / speed) } ?? 0.2
                engine.wait(realSeconds: min(wait, 0.2))
                try services.step(shuttingDown: true)
            }
        }
        return try store.runs(tradingDays: [day.description])
    }
}
