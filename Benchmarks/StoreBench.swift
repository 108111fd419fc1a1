import Foundation
import OrchestratorCore
import OrchestratorPostgres
import OrchestratorRuntime

/// Issue 21's figures: the run store's slot claims, on SQLite and on PostgreSQL.
enum StoreBench {
    /// `--database URL` (PostgreSQL) or a new SQLite file; `--node` names the writer.
    static func open(_ database: String, node: String) -> any RunStore {
        do {
            return try RunStores.open(database, node: node, postgres: PostgresRunStore.opener)
        } catch {
            FileHandle.standardError.write(Data("orchestrator-bench: \(error)\n".utf8))
            exit(2)
        }
    }

    /// Slot claims per second: `--writers` threads, each with a store of its own (a node, or a
    /// process on one file), claim the same `--slots` slots in the same order, so that every slot
    /// is raced for and claimed exactly once; each claim attempt is one transaction (the claim
    /// and its first transition).
    static func claims() {
        let writers = Int(option("--writers", default: "4"))!
        let slots = Int(option("--slots", default: "5000"))!
        var database = option("--database", default: "")
        if database.isEmpty {
            let dir = EngineBench.scratch("claims")
            database = dir + "/s.sqlite"
        }
        let stores = (0..<writers).map { open(database, node: "bench-\($0)") }
        let base = 1_900_000_000.0 + Double(Int.random(in: 0..<1_000_000)) * 100_000
        final class Count: @unchecked Sendable {
            let lock = NSLock()
            var value = 0
        }
        let claimed = Count()
        let t0 = DispatchTime.now().uptimeNanoseconds
        DispatchQueue.concurrentPerform(iterations: writers) { w in
            var mine = 0
            for i in 0..<slots
            where
                (try? stores[w].claimSlot(job: "tick", tradingDay: "2030-03-15", scheduledFor: base + Double(i), trigger: .schedule, state: .queued, now: base))
                != nil
            {
                mine += 1
            }
            claimed.lock.withLock { claimed.value += mine }
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
        precondition(claimed.value == slots, "\(claimed.value) of \(slots) slots claimed: each must be claimed exactly once")
        print(
            "{\"writers\":\(writers),\"slots\":\(slots),\"seconds\":\(seconds),\"claims_per_s\":\(Double(slots) / seconds),"
                + "\"attempts_per_s\":\(Double(slots * writers) / seconds)}")
    }
}
