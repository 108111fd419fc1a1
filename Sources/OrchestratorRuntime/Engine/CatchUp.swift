import Foundation
import OrchestratorCore

/// `catch-up`: after an outage, claims the missed slots by each job's `catch_up` and `deadline`
/// and runs them, then exits. Claims go through the store's unique slot, so any number of
/// catch-ups (and a daemon) can look at the same outage and each slot still runs once: every
/// process runs only the slots it claimed.
public struct CatchUp {
    public static let lastSeenKey = "last_seen"

    public let engine: Engine

    public init(engine: Engine) { self.engine = engine }

    public struct Result: Sendable {
        public let claimed: [RunRecord]
        public let decisionSeconds: Double
    }

    public func run(since: Double, shouldStop: () -> Bool = { false }) throws -> Result {
        let store = engine.store
        let workspace = engine.workspace
        let now = engine.now
        let started = Date()
        let claimedKeys = try store.claimedSlots(jobs: Array(workspace.jobs.keys), from: since, to: now)
        let plan = try CatchUpPlanner.plan(workspace, from: Int64(since), to: Int64(now), claimed: claimedKeys)
        var claimed: [RunRecord] = []
        for item in plan {
            if let run = try store.claimSlot(
                job: item.job, tradingDay: item.tradingDay.description, scheduledFor: Double(item.time),
                trigger: .catchUp, state: item.state, now: now, reason: item.reason)
            {
                claimed.append(run)
            }
        }
        let decisionSeconds = Date().timeIntervalSince(started)
        // Run what was claimed, one trading day at a time so dependencies read their own day.
        let byDay = Dictionary(grouping: claimed.filter { !$0.state.isFinal }, by: \.tradingDay)
        for day in byDay.keys.sorted() {
            guard !shouldStop(), let date = LocalDate(parsing: day) else { break }
            try RunDriver(engine: engine).drive(Set(byDay[day]!.map { $0.id! }), day: date, shouldStop: shouldStop)
        }
        try store.setMeta(CatchUp.lastSeenKey, String(now))
        return Result(claimed: try claimed.compactMap { try store.run($0.id!) }, decisionSeconds: decisionSeconds)
    }
}
