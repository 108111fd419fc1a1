import Foundation
import GRDB
import Synchronization
import Testing

@testable import OrchestratorCore
@testable import OrchestratorRuntime

func temporaryDirectory() throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("orch-rt-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

@Suite("Run store on a real SQLite file")
struct RunStoreTests {
    @Test("a scheduled slot is claimed once, whoever else tries")
    func slotClaimedOnce() throws {
        let store = try SQLiteRunStore(path: try temporaryDirectory() + "/s.sqlite")
        let first = try store.claimSlot(job: "moc", tradingDay: "2026-11-27", scheduledFor: 1_795_800_000, trigger: .schedule, state: .queued, now: 1)
        #expect(first != nil)
        #expect(try store.claimSlot(job: "moc", tradingDay: "2026-11-27", scheduledFor: 1_795_800_000, trigger: .catchUp, state: .queued, now: 2) == nil)
        #expect(try store.history(job: "moc").count == 1)
    }

    /// The log's size in pages after 1,500 commits of a large value each, with or without the
    /// background checkpointer (the writer's own checkpoints off in both cases).
    func walPagesAfterCommits(background: Bool) throws -> Int {
        let path = try temporaryDirectory() + "/wal.sqlite"
        let store = try SQLiteRunStore(path: path)
        if background {
            store.checkpointInBackground(every: 0.005)
        } else {
            try store.writer.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_autocheckpoint = 0") }
        }
        let value = String(repeating: "x", count: 6_000)
        for i in 0..<1_500 {
            try store.setMeta("k\(i % 10)", value + String(i))
            if i % 50 == 0 { usleep(20_000) }
        }
        let attributes = try FileManager.default.attributesOfItem(atPath: path + "-wal")
        return ((attributes[.size] as? Int) ?? 0) / 4_096
    }

    @Test("the engine's checkpointer keeps the write-ahead log short while commits skip checkpointing")
    func backgroundCheckpointsBoundTheLog() throws {
        let without = try walPagesAfterCommits(background: false)
        let with = try walPagesAfterCommits(background: true)
        #expect(without > 1_200)
        #expect(with < 600, "log of \(with) pages with the checkpointer, \(without) without")
    }

    @Test("eight stores on one file racing for the same slots: each slot has exactly one run")
    func concurrentClaims() throws {
        let path = try temporaryDirectory() + "/race.sqlite"
        _ = try SQLiteRunStore(path: path)
        let stores = try (0..<8).map { _ in try SQLiteRunStore(path: path) }
        let wins = Mutex(0)
        DispatchQueue.concurrentPerform(iterations: 8) { i in
            for slot in 0..<50 {
                if (try? stores[i].claimSlot(
                    job: "d", tradingDay: "2026-11-25", scheduledFor: Double(slot), trigger: .schedule,
                    state: .queued, now: 0)) ?? nil != nil
                {
                    wins.withLock { $0 += 1 }
                }
            }
        }
        #expect(wins.withLock { $0 } == 50)
        #expect(try stores[0].history(limit: 1000).count == 50)
    }

    @Test("a transition is taken only from the expected states and logged")
    func guardedTransition() throws {
        let store = try SQLiteRunStore(path: try temporaryDirectory() + "/t.sqlite")
        let run = try store.createRun(job: "a", tradingDay: "2026-11-25", trigger: .manual, state: .queued, now: 1)
        #expect(try store.transition(run: run.id!, from: [.running], to: .failed, now: 2) == nil)
        let cancelled = try store.transition(run: run.id!, from: [.queued], to: .cancelled, now: 3, reason: "test")
        #expect(cancelled?.state == .cancelled && cancelled?.finishedAt == 3)
    }

    @Test("an attempt's outcome is written once: a late writer does not overwrite it")
    func exitRecordedOnce() throws {
        let store = try SQLiteRunStore(path: try temporaryDirectory() + "/e.sqlite")
        let run = try store.createRun(job: "a", tradingDay: "2026-11-25", trigger: .manual, state: .queued, now: 1)
        _ = try store.startAttempt(run: run.id!, log: "x.log", now: 2)
        #expect(try store.recordExit(run: run.id!, attempt: 1, exitCode: 3, signal: nil, outcome: .failed, now: 3))
        #expect(try !store.recordExit(run: run.id!, attempt: 1, exitCode: nil, signal: nil, outcome: .lost, now: 4))
        #expect(try store.attempt(run: run.id!, number: 1)?.exitCode == 3)
    }

    @Test("a file that is not SQLite, or a store from a newer schema, is a one-line error")
    func badFiles() throws {
        let dir = try temporaryDirectory()
        try "this is not a database, just text long enough to have a header".write(toFile: dir + "/text.sqlite", atomically: true, encoding: .utf8)
        #expect(throws: StoreFailure.self) { try SQLiteRunStore(path: dir + "/text.sqlite") }
        do { _ = try SQLiteRunStore(path: dir + "/text.sqlite") } catch { #expect(error.description.contains("not an SQLite database")) }
        let newer = dir + "/newer.sqlite"
        _ = try SQLiteRunStore(path: newer)
        let queue = try DatabaseQueue(path: newer)
        try queue.write { try $0.execute(sql: "INSERT INTO grdb_migrations(identifier) VALUES ('v99')") }
        do {
            _ = try SQLiteRunStore(path: newer)
            Issue.record("a newer schema should be refused")
        } catch {
            #expect(error.description.contains("newer orchestrator"))
        }
    }

    @Test("a build without the PostgreSQL trait refuses a postgres:// store by name, without its password, and opens SQLite files")
    func postgresWithoutTheTrait() throws {
        for address in ["postgres://ops:s3cret@db.example:5432/runs", "postgresql://ops@db.example/runs"] {
            do {
                _ = try RunStores.open(address, postgres: nil)
                Issue.record("\(address) should be refused without an opener")
            } catch {
                #expect(error.code == .invalid)
                #expect(error.description.contains("db.example"))
                #expect(error.description.contains("no PostgreSQL store"))
                #expect(!error.description.contains("s3cret"))
            }
        }
        let file = try temporaryDirectory() + "/runs.sqlite"
        let store = try RunStores.open(file, postgres: nil)
        #expect(store.location == file)
    }

    @Test("the schema refuses states and triggers that do not exist")
    func schemaConstraints() throws {
        let path = try temporaryDirectory() + "/c.sqlite"
        _ = try SQLiteRunStore(path: path)
        let queue = try DatabaseQueue(path: path)
        #expect(throws: DatabaseError.self) {
            try queue.write { try $0.execute(sql: "INSERT INTO run(job, trading_day, trigger, state, created_at) VALUES ('a', 'd', 'schedule', 'done', 0)") }
        }
    }
}
