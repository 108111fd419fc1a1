import Foundation
public import OrchestratorCore

/// Drives a set of runs with no schedule of their own (manual triggers, catch-up) until every
/// one of them, and every run their failures triggered, has ended.
public struct RunDriver {
    public let engine: Engine

    public init(engine: Engine) { self.engine = engine }

    /// Runs until the given runs are final; returns them.
    @discardableResult
    public func drive(_ ids: Set<Int64>, day: LocalDate, shouldStop: () -> Bool = { false }) throws -> [RunRecord] {
        try engine.reconcile()
        while true {
            try engine.step(day: day, slots: [])
            let state = try engine.state(for: day, slots: [], notBefore: nil, trigger: .manual)
            let mine = state.runs.filter { ids.contains($0.id) || ($0.causeRunId.map(ids.contains) ?? false) }
            // Done when ours are final and nothing we started (perhaps another process's run) still runs.
            if mine.allSatisfy(\.state.isFinal) && !engine.hasRunningAttempts { break }
            if shouldStop() {
                engine.stopAll()
                while engine.hasRunningAttempts { engine.wait(realSeconds: 0.2); engine.collectFinished() }
                break
            }
            let moving = mine.contains { [.running, .queued].contains($0.state) } || engine.hasRunningAttempts
            let retries = mine.compactMap { $0.state == .retrying ? $0.nextAttemptAt : nil }
            if !moving && retries.isEmpty {
                // Only runs waiting for upstreams that will not run now: they end here.
                let stuck = SchedulerState(
                    workspace: state.workspace, tradingDay: state.tradingDay, slots: [], runs: mine,
                    servicesUp: state.servicesUp)
                for action in Scheduler.closeDay(stuck) { try engine.apply(action, day: day, trigger: .manual) }
                continue
            }
            let wake = retries.min().map { ($0 - engine.now) / engine.speed } ?? 1
            engine.wait(realSeconds: max(0, min(wake, 1)))
        }
        return try ids.sorted().compactMap { try engine.store.run($0) }
    }
}
