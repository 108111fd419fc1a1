import Foundation
import OrchestratorCore

/// `run`: schedules jobs until asked to stop (services join in the next release). Slots due
/// from its start on are its own; earlier ones are `catch-up`'s. On SIGTERM/SIGINT it starts
/// nothing new and lets running attempts finish up to `stopTimeout`, then stops them.
public struct Daemon {
    public let engine: Engine
    public let stopTimeout: Double

    public init(engine: Engine, stopTimeout: Double = 10) {
        self.engine = engine
        self.stopTimeout = stopTimeout
    }

    public func run(shouldStop: () -> Bool) throws {
        let workspace = engine.workspace
        let zone = ZoneRules.of(workspace.config.timeZone)
        let start = Int64(engine.now.rounded(.up))
        try engine.reconcile()
        var lastBeat = 0.0
        var slotsByDay: [LocalDate: [SchedulerState.Slot]] = [:]
        func slots(_ d: LocalDate) throws -> [SchedulerState.Slot] {
            if let cached = slotsByDay[d] { return cached }
            let computed = workspace.calendar.validRange.contains(d) ? try SchedulerState.slots(of: workspace, on: d) : []
            slotsByDay = slotsByDay.filter { $0.key >= d.adding(days: -1) }
            slotsByDay[d] = computed
            return computed
        }
        while !shouldStop() {
            let now = engine.now
            let date = zone.localDate(of: Int64(now))
            let today = try slots(date)
            let due = (try slots(date.adding(days: -1)) + today).filter { $0.time >= start }
            try engine.step(day: date, slots: due, notBefore: start)
            if now - lastBeat >= 5 {
                try engine.store.setMeta(CatchUp.lastSeenKey, String(now))
                lastBeat = now
            }
            var wake = now + 60
            if let next = today.first(where: { Double($0.time) > now }) {
                wake = min(wake, Double(next.time))
            }
            for run in try engine.store.activeRuns() where run.state == .retrying {
                wake = min(wake, run.nextAttemptAt ?? wake)
            }
            engine.wait(realSeconds: max(0, (wake - engine.now) / engine.speed))
        }
        // Shutdown: nothing new starts; running attempts get `stopTimeout` to finish.
        let deadline = Date().addingTimeInterval(stopTimeout)
        while engine.hasRunningAttempts && Date() < deadline {
            engine.wait(realSeconds: 0.2)
            engine.collectFinished()
        }
        if engine.hasRunningAttempts {
            engine.stopAll()
            while engine.hasRunningAttempts { engine.wait(realSeconds: 0.2); engine.collectFinished() }
        }
        try engine.store.setMeta(CatchUp.lastSeenKey, String(engine.now))
    }
}
