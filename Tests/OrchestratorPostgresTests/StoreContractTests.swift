import Foundation
import OrchestratorCore
import OrchestratorPostgres
import OrchestratorRuntime
import TestSupport
import Testing

/// The two stores behind `RunStore`.
enum StoreKind: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite, postgres
    var testDescription: String { rawValue }

    /// A new, empty store of this kind: a file in a temporary directory, or a new database on
    /// the test process's PostgreSQL.
    func make() throws -> any RunStore {
        switch self {
        case .sqlite:
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("contract-\(UUID().uuidString)").path
            return try SQLiteRunStore(path: dir + "/runs.sqlite")
        case .postgres:
            return try PostgresRunStore(parsing: try PostgresServer.shared().newDatabase())
        }
    }
}

/// What every run store promises the engine, the CLI and serve, checked on both: the same calls,
/// the same answers.
// Serialized: the PostgreSQL cursor is the cluster's oldest open transaction, so a test's
// "nothing changed" needs no other test's transaction open on that server.
@Suite("The run store's contract, on SQLite and on PostgreSQL alike", .serialized)
struct StoreContractTests {
    let day = "2026-12-07"

    @Test("a slot is claimed once: the second claim gets nothing, and the slot shows as claimed", arguments: StoreKind.allCases)
    func slotClaimedOnce(kind: StoreKind) throws {
        let store = try kind.make()
        let first = try #require(try store.claimSlot(job: "moc", tradingDay: day, scheduledFor: 1000, trigger: .schedule, state: .queued, now: 990))
        #expect(first.job == "moc" && first.state == .queued && first.scheduledFor == 1000 && first.createdAt == 990 && first.id != nil)
        #expect(try store.claimSlot(job: "moc", tradingDay: day, scheduledFor: 1000, trigger: .schedule, state: .pending, now: 991) == nil)
        #expect(try store.claimSlot(job: "other", tradingDay: day, scheduledFor: 1000, trigger: .schedule, state: .queued, now: 991) != nil)
        #expect(try store.claimedSlots(jobs: ["moc", "other"], from: 999, to: 1000) == ["moc@1000", "other@1000"])
        #expect(try store.claimedSlots(jobs: ["moc"], from: 1000, to: 2000).isEmpty, "(from, to]: the lower end is open")
        #expect(try store.run(first.id!) == first)
    }

    @Test("a run without a slot keeps its parameters and cause; it reads back field for field", arguments: StoreKind.allCases)
    func createdRunRoundTrip(kind: StoreKind) throws {
        let store = try kind.make()
        let cause = try store.createRun(job: "ingest", tradingDay: day, trigger: .manual, state: .queued, now: 5)
        let run = try store.createRun(
            job: "notify", tradingDay: day, trigger: .upstream, state: .pending, now: 6, params: ["symbol": "SPY", "note": "it's \"quoted\""],
            causeRunId: cause.id, reason: "on_failure of run \(cause.id!)")
        let read = try #require(try store.run(run.id!))
        #expect(read == run)
        #expect(read.parameters == ["symbol": "SPY", "note": "it's \"quoted\""] && read.causeRunId == cause.id && read.scheduledFor == nil)
        #expect(try store.run(999_999) == nil)
    }

    @Test("a transition is taken only from the expected states, sets what it should, and is logged in order", arguments: StoreKind.allCases)
    func guardedTransition(kind: StoreKind) throws {
        let store = try kind.make()
        let run = try store.createRun(job: "backup", tradingDay: day, trigger: .manual, state: .pending, now: 1)
        #expect(try store.transition(run: run.id!, from: [.running], to: .failed, now: 2) == nil, "not running: refused")
        let retrying = try #require(try store.transition(run: run.id!, from: [.pending], to: .retrying, now: 3, reason: "exit 1", nextAttemptAt: 60))
        #expect(retrying.state == .retrying && retrying.nextAttemptAt == 60 && retrying.reason == "exit 1" && retrying.finishedAt == nil)
        let done = try #require(try store.transition(run: run.id!, to: .failed, now: 4, exitCode: .some(3)))
        #expect(done.finishedAt == 4 && done.exitCode == 3 && done.nextAttemptAt == nil)
        #expect(try store.run(run.id!) == done)
        let log = try store.transitions(after: .start)
        #expect(log.map(\.to) == ["pending", "retrying", "failed"] && log.map(\.at) == [1, 3, 4] && log.allSatisfy { $0.job == "backup" })
        #expect(log.map(\.cursor) == log.map(\.cursor).sorted() && Set(log.map(\.cursor)).count == 3)
        #expect(try store.transitions(after: log[1].cursor).map(\.to) == ["failed"])
    }

    @Test("an attempt starts once (compare-and-set), is named by its number, and its end is written once", arguments: StoreKind.allCases)
    func attemptLifecycle(kind: StoreKind) throws {
        let store = try kind.make()
        let run = try #require(try store.claimSlot(job: "moc", tradingDay: day, scheduledFor: 50, trigger: .schedule, state: .queued, now: 40))
        let (started, attempt) = try #require(
            try store.startAttempt(run: run.id!, now: 50, engine: (pid: 4242, start: 77), supervisor: (pid: 4243, start: 78), log: { "logs/moc/\($0).log" }))
        #expect(started.state == .running && started.attempts == 1 && started.startedAt == 50)
        #expect(attempt.number == 1 && attempt.log == "logs/moc/1.log" && attempt.enginePid == 4242 && attempt.shimPid == 4243 && attempt.outcome == .running)
        #expect(try store.startAttempt(run: run.id!, now: 51, engine: nil, log: { _ in "x" }) == nil, "already running: nobody starts it again")
        #expect(try store.runningAttempts() == [attempt])
        #expect(attempt.node == (store as? any NodeCoordination)?.node, "the node that started it, where several share the store")
        try store.recordShim(run: run.id!, attempt: 1, pid: 5000, start: 99)
        #expect(try store.attempt(run: run.id!, number: 1)?.shimPid == 5000)
        #expect(try store.recordExit(run: run.id!, attempt: 1, exitCode: nil, signal: nil, outcome: .lost, now: 60))
        #expect(!(try store.recordExit(run: run.id!, attempt: 1, exitCode: 0, signal: nil, outcome: .succeeded, now: 61)), "a late writer changes nothing")
        let ended = try #require(try store.attempt(run: run.id!, number: 1))
        #expect(ended.outcome == .lost && ended.finishedAt == 60 && ended.exitCode == nil)
        #expect(try store.runningAttempts().isEmpty)
        // A retry: the second attempt keeps the first start time.
        try store.transition(run: run.id!, from: [.running], to: .retrying, now: 61, nextAttemptAt: 70)
        let (second, two) = try #require(try store.startAttempt(run: run.id!, now: 70, engine: nil, log: { "logs/moc/\($0).log" }))
        #expect(second.attempts == 2 && second.startedAt == 50 && two.number == 2 && two.log == "logs/moc/2.log")
        #expect(try store.attempts(of: run.id!).map(\.number) == [1, 2])
        #expect(try store.attempts(tradingDay: day)[run.id!]?.map(\.number) == [1, 2])
    }

    @Test("a transaction that throws leaves nothing behind", arguments: StoreKind.allCases)
    func rollback(kind: StoreKind) throws {
        let store = try kind.make()
        struct Abandon: Error {}
        #expect(throws: Abandon.self) {
            try store.transaction { tx in
                _ = try tx.claimSlot(job: "moc", tradingDay: day, scheduledFor: 1, trigger: .schedule, state: .queued, now: 1, reason: nil)
                throw Abandon()
            }
        }
        #expect(try store.claimedSlots(jobs: ["moc"], from: 0, to: 2).isEmpty && (try store.transitions(after: .start)).isEmpty)
    }

    @Test("the scheduler's view: the day's and every active run, then only what changed after the cursor — in any writer", arguments: StoreKind.allCases)
    func schedulerCursor(kind: StoreKind) throws {
        let store = try kind.make()
        let a = try store.createRun(job: "a", tradingDay: day, trigger: .manual, state: .queued, now: 1)
        let old = try store.createRun(job: "old", tradingDay: "2026-12-04", trigger: .manual, state: .running, now: 1)
        _ = try store.createRun(job: "done", tradingDay: "2026-12-04", trigger: .manual, state: .succeeded, now: 1)
        let (runs, cursor) = try store.read { tx in try tx.schedulerRuns(tradingDays: [day]) }
        #expect(Set(runs.map(\.id)) == [a.id!, old.id!], "today's run and the active one from Friday")
        #expect(try store.read { tx in try tx.schedulerRuns(changedAfter: cursor) }.runs.isEmpty)
        try store.transition(run: a.id!, to: .succeeded, now: 2)
        let b = try store.createRun(job: "b", tradingDay: day, trigger: .manual, state: .queued, now: 3)
        let (changed, next) = try store.read { tx in try tx.schedulerRuns(changedAfter: cursor) }
        #expect(Set(changed.map(\.id)).isSuperset(of: [a.id!, b.id!]) && changed.first { $0.id == a.id }?.state == .succeeded)
        #expect(next >= cursor)
        let (again, _) = try store.read { tx in try tx.schedulerRuns(changedAfter: next) }
        #expect(!again.contains { $0.id == old.id }, "a run that did not change is not read again")
    }

    @Test("history: newest first, filtered by job, state, trigger, day and time; counts and the day's runs", arguments: StoreKind.allCases)
    func history(kind: StoreKind) throws {
        let store = try kind.make()
        for i in 0..<6 {
            let run = try store.createRun(
                job: i % 2 == 0 ? "even" : "odd", tradingDay: i < 4 ? day : "2026-12-08", trigger: i == 5 ? .upstream : .manual, state: .queued, now: Double(i))
            if i % 3 == 0 { try store.transition(run: run.id!, to: .failed, now: Double(i)) }
        }
        #expect(try store.history().map(\.createdAt) == [5, 4, 3, 2, 1, 0])
        #expect(try store.history(job: "even").map(\.createdAt) == [4, 2, 0])
        #expect(try store.history(state: .failed).map(\.createdAt) == [3, 0])
        #expect(try store.history(trigger: .upstream).map(\.createdAt) == [5])
        #expect(try store.history(day: "2026-12-08").map(\.createdAt) == [5, 4])
        #expect(try store.history(job: "odd", since: 2, limit: 1).map(\.createdAt) == [5])
        #expect(try store.counts(tradingDay: day) == (all: 4, active: 2) ? true : false)
        #expect(try store.runs(tradingDays: [day, "2026-12-08"]).map(\.createdAt) == [0, 1, 2, 3, 4, 5])
        #expect(try store.activeRuns().map(\.createdAt) == [1, 2, 4, 5])
    }

    @Test("services: states saved and replaced, events newest first by service or run, the process recorded", arguments: StoreKind.allCases)
    func services(kind: StoreKind) throws {
        let store = try kind.make()
        let run = try store.createRun(job: "ingestion", tradingDay: day, trigger: .schedule, state: .queued, now: 1)
        _ = try store.startAttempt(run: run.id!, log: "logs/ingestion.log", now: 2)
        var status = ServiceStatus()
        status.state = .running
        status.pid = 321
        status.runId = run.id
        status.startedAt = 2
        status.health = .init(ok: false, checkedAt: 3, detail: "redis: connection refused")
        let record = ServiceRecord(name: "ingestion", status: status, now: 3)
        let events = [
            ServiceEventRecord(id: nil, service: "ingestion", runId: run.id, at: 2, kind: "start", state: "running", pid: 321, detail: nil),
            ServiceEventRecord(id: nil, service: "ingestion", runId: run.id, at: 3, kind: "health", state: "unhealthy", pid: 321, detail: "refused"),
            ServiceEventRecord(id: nil, service: "analytics", runId: nil, at: 4, kind: "start", state: "running", pid: 400, detail: nil),
        ]
        let before = try store.changeMark()
        try store.saveServices([record, .never("analytics")], events: events)
        #expect(try store.changeMark() != before, "a service event moves the change mark")
        // Each row names the node that runs it where several share the store; none on SQLite.
        let node = (store as? any NodeCoordination)?.node
        #expect(try store.services().map(\.node) == [node, node])
        #expect(
            try store.services().map {
                var r = $0; r.node = nil; return r
            } == [.never("analytics"), record])
        status.state = .backoff
        status.nextStartAt = 9
        try store.saveServices([ServiceRecord(name: "ingestion", status: status, now: 4)], events: [])
        #expect(try store.services().last?.state == "backoff" && (try store.services().last?.nextStartAt) == 9)
        #expect(try store.serviceEvents(service: "ingestion").map(\.kind) == ["health", "start"])
        #expect(try store.serviceEvents(run: run.id).map(\.at) == [3, 2] && (try store.serviceEvents().count) == 3)
        #expect(try store.serviceEvents(service: "ingestion", run: nil, limit: 1).map(\.detail) == ["refused"])
        try store.recordServiceProcess(run: run.id!, attempt: 1, pid: 321, start: 12)
        let attempt = try #require(try store.attempt(run: run.id!, number: 1))
        #expect(attempt.pid == 321 && attempt.shimPid == 321 && attempt.shimStart == 12)
    }

    @Test("meta values and restart requests: each request taken once", arguments: StoreKind.allCases)
    func metaAndRequests(kind: StoreKind) throws {
        let store = try kind.make()
        #expect(try store.meta("daemon") == nil)
        try store.setMeta("daemon", "1")
        try store.setMeta("daemon", "2")
        #expect(try store.meta("daemon") == "2")
        try store.requestServiceRestart("ingestion", at: 5)
        try store.requestServiceRestart("analytics", at: 6)
        try store.setMeta("restart_policy", "not a request")
        #expect(try store.takeServiceRestartRequests() == ["analytics", "ingestion"])
        #expect(try store.takeServiceRestartRequests().isEmpty)
        #expect(try store.meta("restart_policy") == "not a request")
    }

    @Test("the change mark moves with every transition", arguments: StoreKind.allCases)
    func changeMark(kind: StoreKind) throws {
        let store = try kind.make()
        let empty = try store.changeMark()
        let run = try store.createRun(job: "a", tradingDay: day, trigger: .manual, state: .queued, now: 1)
        let one = try store.changeMark()
        try store.transition(run: run.id!, to: .cancelled, now: 2)
        #expect(Set([empty, one, try store.changeMark()]).count == 3)
    }
}
