import Foundation
import OrchestratorCore
import Testing

@testable import OrchestratorRuntime

/// The engine with real processes: attempt supervisors, timeouts, run-day, kill -9.
@Suite("Engine with real processes", .serialized)
struct EngineTests {
    let cli = CLITests()

    func scratch() throws -> String { try cli.scratch([:]) }

    /// Starts an attempt supervisor directly, as the engine would, and waits for it.
    func supervise(_ dir: String, _ argv: [String], timeout: Double? = nil, grace: Double = 0.3) throws -> (AttemptRecord, Int32) {
        let store = try SQLiteRunStore(path: dir + "/s.sqlite")
        let run = try store.createRun(job: "t", tradingDay: "2026-11-25", trigger: .manual, state: .queued, now: 0)
        _ = try store.startAttempt(run: run.id!, log: dir + "/t.log", now: 0)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: AttemptSupervisor.executable(nextTo: CLITests.binary))
        p.arguments =
            AttemptSupervisor(
                databasePath: dir + "/s.sqlite", runId: run.id!, attempt: 1, logPath: dir + "/t.log",
                timeout: timeout, grace: grace, argv: argv, environment: [:]
            ).commandLine
        try p.run()
        p.waitUntilExit()
        return (try #require(try store.attempt(run: run.id!, number: 1)), p.terminationStatus)
    }

    @Test("the supervisor records the job's exit code and its output in the log")
    func exitCodeRecorded() throws {
        let dir = try scratch()
        let (attempt, status) = try supervise(dir, ["/bin/sh", "-c", "echo to-stdout; echo to-stderr >&2; exit 3"])
        let (helperAttempt, _) = try supervise(try scratch(), [Self.helper, "print", "10", "sleep", "0.05", "exit", "5"])
        #expect(helperAttempt.outcome == .failed && helperAttempt.exitCode == 5)
        #expect(attempt.outcome == .failed && attempt.exitCode == 3 && attempt.pid != nil && status == 3)
        let log = try String(contentsOfFile: dir + "/t.log", encoding: .utf8)
        #expect(log.contains("to-stdout") && log.contains("to-stderr"))
    }

    static let helper = URL(fileURLWithPath: CLITests.binary).deletingLastPathComponent().appendingPathComponent("orchestrator-test-helper").path

    @Test("a timeout terminates the whole group, then kills a grandchild that ignores SIGTERM")
    func timeoutKillsGrandchild() throws {
        let dir = try scratch()
        let started = Date()
        let (attempt, _) = try supervise(dir, [Self.helper, "grandchild", dir + "/grandchild", "30"], timeout: 0.3, grace: 0.3)
        #expect(Date().timeIntervalSince(started) < 5)
        #expect(attempt.outcome == .timedOut && attempt.signal == 9)
        let grandchild = try #require(Int32(try String(contentsOfFile: dir + "/grandchild", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        usleep(100_000)
        #expect(CLITests.gone(grandchild), "the grandchild \(grandchild) must be gone")
        let log = try String(contentsOfFile: dir + "/t.log", encoding: .utf8)
        #expect(log.contains("timeout after") && log.contains("SIGKILL"))
        // A job that ignores SIGTERM alone is killed after the grace period too.
        let (stubborn, _) = try supervise(try scratch(), [Self.helper, "ignore-term", "30"], timeout: 0.2, grace: 0.2)
        #expect(stubborn.outcome == .timedOut && stubborn.signal == 9)
    }

    /// Starts a supervisor ahead of its attempt (`--ready`), then hands it `request` on stdin.
    func superviseReady(_ dir: String, request: (Int64) -> [UInt8]) throws -> (AttemptRecord?, Int32) {
        let store = try SQLiteRunStore(path: dir + "/s.sqlite")
        let run = try store.createRun(job: "t", tradingDay: "2026-11-25", trigger: .manual, state: .queued, now: 0)
        _ = try store.startAttempt(run: run.id!, log: dir + "/t.log", now: 0)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: AttemptSupervisor.executable(nextTo: CLITests.binary))
        p.arguments = ["--store", dir + "/s.sqlite", "--ready"]
        let input = Pipe()
        p.standardInput = input
        try p.run()
        usleep(50_000)
        try input.fileHandleForWriting.write(contentsOf: request(run.id!))
        try input.fileHandleForWriting.close()
        p.waitUntilExit()
        return (try store.attempt(run: run.id!, number: 1), p.terminationStatus)
    }

    @Test("a supervisor started ahead runs the attempt handed to it, with the job's environment, and records the outcome")
    func readySupervisorRunsHandedAttempt() throws {
        let dir = try scratch()
        let (attempt, status) = try superviseReady(dir) { run in
            AttemptSupervisor(
                databasePath: dir + "/s.sqlite", runId: run, attempt: 1, logPath: dir + "/t.log", timeout: nil, grace: 0.3,
                argv: ["sh", "-c", "echo \"run $ORCHESTRATOR_RUN_ID says $GREETING\"; exit 4"],
                environment: ["GREETING": "hello there", "ORCHESTRATOR_RUN_ID": String(run), "PATH": "/usr/bin:/bin"]
            ).request
        }
        #expect(attempt?.outcome == .failed && attempt?.exitCode == 4 && attempt?.pid != nil && status == 4)
        #expect(try String(contentsOfFile: dir + "/t.log", encoding: .utf8).contains("says hello there"))
        // Its timeout counts from the hand-over.
        let timed = try scratch()
        let (late, _) = try superviseReady(timed) { run in
            AttemptSupervisor(
                databasePath: timed + "/s.sqlite", runId: run, attempt: 1, logPath: timed + "/t.log", timeout: 0.2, grace: 0.2,
                argv: [Self.helper, "sleep", "30"], environment: [:]
            ).request
        }
        #expect(late?.outcome == .timedOut)
    }

    @Test("a supervisor started ahead exits quietly when nothing is handed to it, and refuses a malformed attempt")
    func readySupervisorUnusedOrMalformed() throws {
        let (unused, quiet) = try superviseReady(try scratch()) { _ in [] }
        #expect(quiet == 0 && unused?.outcome == .running)
        let (_, malformed) = try superviseReady(try scratch()) { run in Array("\(run)\u{0}1\u{0}".utf8) }
        #expect(malformed == 64)
    }

    @Test("a supervisor started ahead serves attempt after attempt, reports each outcome, and records the last itself when retired before it was committed")
    func readySupervisorServesAttemptsInTurn() throws {
        let dir = try scratch()
        let store = try SQLiteRunStore(path: dir + "/s.sqlite")
        var runs: [Int64] = []
        for _ in 0..<3 {
            let run = try store.createRun(job: "t", tradingDay: "2026-11-25", trigger: .manual, state: .queued, now: 0)
            _ = try store.startAttempt(run: run.id!, log: dir + "/t/\(run.id!).log", now: 0)
            runs.append(run.id!)
        }
        let supervisor = try #require(
            ReadySupervisor(
                executable: AttemptSupervisor.executable(nextTo: CLITests.binary),
                databasePath: dir + "/s.sqlite", environment: ["PATH": "/usr/bin:/bin"]))
        let pid = supervisor.pid
        for (i, run) in runs.enumerated() {
            // Its log's directory (t/) does not exist yet: the supervisor makes it.
            let attempt = AttemptSupervisor(
                databasePath: dir + "/s.sqlite", runId: run, attempt: 1, logPath: dir + "/t/\(run).log",
                timeout: nil, grace: 0.3, argv: ["sh", "-c", "echo job \(i); exit \(i)"], environment: ["PATH": "/usr/bin:/bin"])
            #expect(supervisor.hand(attempt))
            // Its report: one line on the socket once the job has ended.
            var report: ReadySupervisor.Report?
            for _ in 0..<500 where report == nil {
                _ = ProcessControl.waitAny([supervisor.descriptor], timeout: 0.02)
                report = supervisor.takeReport()
            }
            let got = try #require(report)
            #expect(got.exitCode == i && got.signal == nil && got.outcome == (i == 0 ? .succeeded : .failed) && got.pid != nil, "\(got)")
            // Reported, not written: the engine commits it with its round.
            #expect(try store.attempt(run: run, number: 1)?.outcome == .running)
            #expect(try String(contentsOfFile: dir + "/t/\(run).log", encoding: .utf8).contains("job \(i)"))
            #expect(kill(pid, 0) == 0, "the same supervisor is still there for the next attempt")
            if i < runs.count - 1 {
                // As the engine does before handing it the next attempt.
                _ = try store.recordExit(run: run, attempt: 1, exitCode: got.exitCode, signal: got.signal, outcome: got.outcome, now: got.finishedAt)
            }
        }
        // Retired with its last report not committed by anyone: it records it itself, then exits.
        supervisor.retire()
        #expect(kill(pid, 0) != 0, "retired: it exited and was reaped")
        let last = try #require(try store.attempt(run: runs[2], number: 1))
        #expect(last.outcome == .failed && last.exitCode == 2 && last.pid != nil, "\(last)")
    }

    @Test("an engine gone after a supervisor reported, before committing the report: the supervisor records it, and the next engine finishes the run with it")
    func reportOwedWhenTheEngineGoes() throws {
        let (dir, _) = try CLITests.workspace("jobs:\n  t: { command: [sh, -c, \"exit 3\"] }\n")
        let ws = try WorkspaceFiles(configPath: dir + "/c.yaml", jobsDirectory: dir + "/jobs").load().get()
        let store = try SQLiteRunStore(path: dir + "/s.sqlite")
        let day = try #require(LocalDate(parsing: "2026-11-25"))
        var engine: Engine? = Engine(workspace: ws, store: store, clock: SystemClock(), executable: CLITests.binary)
        engine!.startSupervisorsAhead()
        let run = try store.createRun(job: "t", tradingDay: day.description, trigger: .manual, state: .queued, now: engine!.now)
        try engine!.step(day: day, slots: [])
        // (Only its descriptor is kept here: a reference would keep its socket open.)
        let socket = try #require(engine!.watched[run.id!]?.supervisor?.descriptor, "handed to a supervisor started ahead")
        // The job ends and its report arrives; the engine never reads it (it is "killed" here).
        #expect(!ProcessControl.waitAny([socket], timeout: 10).isEmpty)
        #expect(try store.attempt(run: run.id!, number: 1)?.outcome == .running, "reported, not written")
        engine = nil
        // Its socket closed with the report still owed: the supervisor writes the outcome itself.
        var recorded: AttemptRecord?
        for _ in 0..<500 {
            recorded = try store.attempt(run: run.id!, number: 1)
            if recorded?.outcome != .running { break }
            usleep(10_000)
        }
        #expect(recorded?.outcome == .failed && recorded?.exitCode == 3 && recorded?.pid != nil, "\(String(describing: recorded))")
        // A new engine finishes the run with the true outcome, not as lost.
        let next = Engine(workspace: ws, store: store, clock: SystemClock(), executable: CLITests.binary)
        try next.reconcile()
        let final = try #require(try store.run(run.id!))
        #expect(final.state == .failed && final.exitCode == 3 && final.reason == "exit 3", "\(final)")
    }

    @Test("a supervisor started ahead reports a command that cannot start as failed with 127 and no pid, and says why in the log")
    func readySupervisorReportsAStartFailure() throws {
        let dir = try scratch()
        let store = try SQLiteRunStore(path: dir + "/s.sqlite")
        let run = try store.createRun(job: "t", tradingDay: "2026-11-25", trigger: .manual, state: .queued, now: 0)
        _ = try store.startAttempt(run: run.id!, log: dir + "/t.log", now: 0)
        let supervisor = try #require(
            ReadySupervisor(
                executable: AttemptSupervisor.executable(nextTo: CLITests.binary),
                databasePath: dir + "/s.sqlite", environment: ["PATH": "/usr/bin:/bin"]))
        #expect(
            supervisor.hand(
                AttemptSupervisor(
                    databasePath: dir + "/s.sqlite", runId: run.id!, attempt: 1, logPath: dir + "/t.log",
                    timeout: nil, grace: 0.3, argv: ["no-such-command-anywhere"], environment: ["PATH": "/usr/bin:/bin"])))
        var report: ReadySupervisor.Report?
        for _ in 0..<500 where report == nil {
            _ = ProcessControl.waitAny([supervisor.descriptor], timeout: 0.02)
            report = supervisor.takeReport()
        }
        #expect(report?.outcome == .failed && report?.exitCode == 127 && report?.pid == nil, "\(String(describing: report))")
        #expect(try String(contentsOfFile: dir + "/t.log", encoding: .utf8).contains("cannot start no-such-command-anywhere"))
        supervisor.retire()
        #expect(try store.attempt(run: run.id!, number: 1)?.exitCode == 127, "retired uncommitted: it wrote the outcome itself")
    }

    @Test(
        "a supervisor's report line is read field by field, and anything else is not a report",
        arguments: [
            (
                "D succeeded 0 - 1764079200.250000 4242",
                ReadySupervisor.Report(outcome: .succeeded, exitCode: 0, signal: nil, finishedAt: 1764079200.25, pid: 4242)
            ),
            ("D timed_out - 9 12.5 77", ReadySupervisor.Report(outcome: .timedOut, exitCode: nil, signal: 9, finishedAt: 12.5, pid: 77)),
            ("D failed 127 - 3.0 0", ReadySupervisor.Report(outcome: .failed, exitCode: 127, signal: nil, finishedAt: 3, pid: nil)),
            ("D running 0 - 3.0 1", nil), ("D succeeded 0 - nan 1", nil), ("D succeeded x - 3.0 1", nil), ("D succeeded 0 -", nil),
            ("X succeeded 0 - 3.0 1", nil), ("", nil),
        ])
    func reportLines(line: String, expected: ReadySupervisor.Report?) {
        #expect(ReadySupervisor.Report(line: line[...]) == expected)
    }

    @Test("a command that does not exist fails with 127 and says why in the log")
    func missingCommand() throws {
        let dir = try scratch()
        let (attempt, _) = try supervise(dir, ["no-such-command-anywhere"])
        #expect(attempt.outcome == .failed && attempt.exitCode == 127)
        #expect(try String(contentsOfFile: dir + "/t.log", encoding: .utf8).contains("cannot start no-such-command-anywhere"))
    }

    func demo(_ dir: String) throws -> [String] {
        let root = CLITests.root + "/examples/demo"
        var config = try String(contentsOfFile: root + "/config.yaml", encoding: .utf8)
        config = config.replacingOccurrences(of: "var/demo/", with: dir + "/")
        try config.write(toFile: dir + "/config.yaml", atomically: true, encoding: .utf8)
        return ["--config", dir + "/config.yaml", "--jobs", root + "/jobs"]
    }

    @Test("run-day runs the demo day of real processes at 3600x, and a second run repeats no slot")
    func runDayDemo() throws {
        let dir = try scratch()
        let args = try demo(dir)
        let first = try cli.run(["run-day", "--date", "2026-11-27", "--speed", "3600", "--from", "06:55", "--json"] + args)
        #expect(first.status == 0, "\(first.stderr)")
        let all = try #require(try JSONSerialization.jsonObject(with: Data(first.stdout.utf8)) as? [[String: Any]])
        let services: Set<String> = ["redis", "ingestion"]
        let runs = all.filter { !services.contains($0["job"] as? String ?? "") }
        #expect(runs.count == 22)
        #expect(all.count == 24, "and one run for each service's activation")
        #expect(
            all.allSatisfy { $0["state"] as? String == "succeeded" },
            "\(all.filter { $0["state"] as? String != "succeeded" }.map { "\($0["job"] ?? "") \($0["state"] ?? ""): \($0["reason"] ?? "")" })")
        let analysis = try #require(runs.first { $0["job"] as? String == "morning-analysis" })
        #expect(analysis["attempts"] as? Int == 2, "it fails its first attempt and is retried")
        #expect(runs.filter { $0["job"] as? String == "parameter-discovery" }.count == 14)
        #expect(runs.contains { $0["job"] as? String == "moc" && $0["scheduled_for"] as? String == "2026-11-27T17:50:00Z" })
        let again = try cli.run(["run-day", "--date", "2026-11-27", "--speed", "3600", "--from", "16:55", "--json"] + args)
        let second = try #require(try JSONSerialization.jsonObject(with: Data(again.stdout.utf8)) as? [[String: Any]])
        #expect(second.filter { !services.contains($0["job"] as? String ?? "") }.count == 22)
        #expect(second.filter { $0["job"] as? String == "redis" }.count == 2, "the always-on Redis ran again for the resumed day")

        // history, show and logs read what the day left in the store.
        let history = try cli.run(["history", "morning-analysis", "--day", "2026-11-27", "--json"] + args)
        let listed = try #require(try JSONSerialization.jsonObject(with: Data(history.stdout.utf8)) as? [[String: Any]])
        #expect(listed.count == 1 && listed[0]["id"] as? String == analysis["id"] as? String)
        let newest = try #require(
            try JSONSerialization.jsonObject(with: Data(try cli.run(["history", "--limit", "4", "--json"] + args).stdout.utf8)) as? [[String: Any]])
        #expect(newest.map { $0["job"] as? String } == ["redis", "backup", "evening-post", "evening-report"])
        let id = try #require(analysis["id"] as? String)
        let show = try #require(try JSONSerialization.jsonObject(with: Data(try cli.run(["show", id, "--json"] + args).stdout.utf8)) as? [String: Any])
        let attempts = try #require(show["attempts_detail"] as? [[String: Any]])
        #expect(attempts.map { $0["outcome"] as? String } == ["failed", "succeeded"])
        #expect(attempts.map { $0["exit_code"] as? Int } == [1, 0])
        let log = try cli.run(["logs", id, "--attempt", "1"] + args)
        #expect(log.status == 0 && log.stdout == "attempt 1\n")
        #expect(try cli.run(["logs", id] + args).stdout == "attempt 2\n")
        #expect(try cli.run(["show", "99999"] + args).status == 2)
        #expect(try cli.run(["history", "no-such-job"] + args).status == 2)
        #expect(try cli.run(["history", "--status", "done"] + args).status == 2)
        #expect(try cli.run(["logs", id, "--attempt", "7"] + args).status == 2)
    }

    @Test("run-day on a day without a session names the next trading day and exits 2")
    func notATradingDay() throws {
        let dir = try scratch()
        let r = try cli.run(["run-day", "--date", "2026-11-26"] + (try demo(dir)))
        #expect(r.status == 2 && r.stderr.contains("2026-11-26 is not a trading day on XNYS; the next one is 2026-11-27"))
    }

    @Test("kill -9 of the orchestrator mid-day loses nothing: the running attempt keeps its true exit code")
    func killNine() throws {
        let (dir, options) = try CLITests.workspace(
            """
            jobs:
              long:
                shell: 'sleep 1.5; exit 7'
                schedule: { market: open }
              after:
                shell: 'exit 0'
                schedule: { every: 30m, during: session }
            """)
        let args = ["run-day", "--date", "2026-11-25", "--speed", "7200", "--from", "09:29"] + options
        let p = try cli.start(args)
        // 09:30 comes after 8 real milliseconds; `long` then runs for 1.5 real seconds.
        usleep(800_000)
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        let store = try SQLiteRunStore(path: dir + "/s.sqlite")
        let during = try #require(try store.history(job: "long").first)
        #expect(during.state == .running)
        // The supervisor outlives the engine and records the exit code by itself.
        usleep(1_500_000)
        #expect(try store.attempt(run: during.id!, number: 1)?.exitCode == 7)
        let resumed = try cli.run(args.dropLast(0) + ["--json"])
        let runs = try #require(try JSONSerialization.jsonObject(with: Data(resumed.stdout.utf8)) as? [[String: Any]])
        let long = runs.filter { $0["job"] as? String == "long" }
        #expect(long.count == 1)
        #expect(long.first?["state"] as? String == "failed" && long.first?["exit_code"] as? Int == 7)
        let slots = runs.compactMap { r in (r["scheduled_for"] as? String).map { "\(r["job"] ?? "")@\($0)" } }
        #expect(Set(slots).count == slots.count && slots.count == 14, "every slot ran exactly once")
        #expect(runs.allSatisfy { ($0["state"] as? String).map { ["succeeded", "failed"].contains($0) } ?? false })
        #expect(resumed.status == 1)
    }
}

/// A daemon's engine past midnight: the day before's slots are still in what it is given.
@Suite("the engine across midnight")
struct MidnightTests {
    @Test("past midnight the day before's slots, all claimed, are not claimed again: one round, not a thousand of claims that change nothing")
    func yesterdaysSlotsAreKnown() throws {
        let (dir, _) = try CLITests.workspace(
            "jobs:\n  h: { shell: 'true', schedule: { every: 1h, during: day }, deadline: 1m }\n")
        let ws = try WorkspaceFiles(configPath: dir + "/c.yaml", jobsDirectory: dir + "/jobs").load().get()
        let store = try SQLiteRunStore(path: dir + "/s.sqlite")
        let zone = ZoneRules.of(ws.config.timeZone)
        let monday = try #require(LocalDate(parsing: "2026-11-23")), tuesday = monday.adding(days: 1)
        let mondaySlots = try SchedulerState.slots(of: ws, on: monday), tuesdaySlots = try SchedulerState.slots(of: ws, on: tuesday)
        #expect(mondaySlots.count == 24)
        // Monday 23:59: every slot of the day is past its deadline — each claimed as missed.
        let at = { (day: LocalDate, seconds: Int64) in Double(zone.instant(of: day, secondsOfDay: seconds)) }
        let monday2359 = SimulatedClock(simulatedAnchor: at(monday, 86_340), realAnchor: 0, speed: 1, realClock: { 0 })
        _ = try Engine(workspace: ws, store: store, clock: monday2359, executable: CLITests.binary).step(day: monday, slots: mondaySlots)
        #expect(try store.history(HistoryFilter()).count == 24)
        // Tuesday 00:30, as a daemon started on Monday gives it: Monday's slots and Tuesday's.
        let tuesday0030 = SimulatedClock(simulatedAnchor: at(tuesday, 1_800), realAnchor: 0, speed: 1, realClock: { 0 })
        let engine = Engine(workspace: ws, store: store, clock: tuesday0030, executable: CLITests.binary)
        let applied = try engine.step(day: tuesday, slots: mondaySlots + tuesdaySlots)
        #expect(applied == 1, "Tuesday 00:00 claimed (missed); Monday's slots known as claimed")
        #expect(try store.history(HistoryFilter()).count == 25)
    }
}

@Suite("trigger and catch-up", .serialized)
struct TriggerCatchUpTests {
    let cli = CLITests()

    func workspace(_ jobs: String) throws -> (dir: String, args: [String]) { try CLITests.workspace(jobs) }

    @Test("trigger --wait runs the job with its params and exits with its outcome")
    func triggerWait() throws {
        let (dir, args) = try workspace(
            """
            jobs:
              ok: { shell: 'echo "$ORCHESTRATOR_TRIGGER $ORCHESTRATOR_PARAM_CHANNEL $ORCHESTRATOR_JOB" > DIR/out' }
              bad: { shell: 'exit 4' }
            """)
        let ok = try cli.run(["trigger", "ok", "--param", "CHANNEL=discord", "--wait"] + args)
        #expect(ok.status == 0 && ok.stdout.hasSuffix("succeeded\n"))
        #expect(try String(contentsOfFile: dir + "/out", encoding: .utf8) == "manual discord ok\n")
        let bad = try cli.run(["trigger", "bad", "--wait", "--json"] + args)
        #expect(bad.status == 1)
        let run = try #require(try JSONSerialization.jsonObject(with: Data(bad.stdout.utf8)) as? [String: Any])
        #expect(run["state"] as? String == "failed" && run["exit_code"] as? Int == 4)
        #expect(try cli.run(["trigger", "nope"] + args).status == 2)
        #expect(try cli.run(["trigger", "ok", "--param", "no-equals"] + args).status == 2)
    }

    @Test("trigger --with-upstream runs the upstream jobs first, in order")
    func withUpstream() throws {
        let (dir, args) = try workspace(
            """
            jobs:
              a: { shell: 'echo a >> DIR/order' }
              b: { shell: 'echo b >> DIR/order', depends_on: [a] }
              c: { shell: 'echo c >> DIR/order', depends_on: [b] }
            """)
        let r = try cli.run(["trigger", "c", "--with-upstream", "--wait"] + args)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try String(contentsOfFile: dir + "/order", encoding: .utf8) == "a\nb\nc\n")
    }

    @Test("trigger without --wait returns at once and the run finishes in the background")
    func detached() throws {
        let (dir, args) = try workspace("jobs:\n  slow: { shell: 'sleep 0.3; echo done > DIR/done' }\n")
        let started = Date()
        let r = try cli.run(["trigger", "slow"] + args)
        #expect(r.status == 0 && Date().timeIntervalSince(started) < 0.3)
        let id = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        var state = ""
        for _ in 0..<50 where state != "succeeded" {
            usleep(100_000)
            let show = try JSONSerialization.jsonObject(with: Data(try cli.run(["show", id, "--json"] + args).stdout.utf8)) as? [String: Any]
            state = show?["state"] as? String ?? ""
        }
        #expect(state == "succeeded")
        #expect(FileManager.default.fileExists(atPath: dir + "/done"))
    }

    @Test("trigger --with-downstream runs the jobs that depend on it afterwards")
    func withDownstream() throws {
        let (dir, args) = try workspace(
            """
            jobs:
              a: { shell: 'echo a >> DIR/order' }
              b: { shell: 'echo b >> DIR/order', depends_on: [a] }
              c: { shell: 'echo c >> DIR/order', depends_on: [b] }
              other: { shell: 'echo other >> DIR/order' }
            """)
        let r = try cli.run(["trigger", "a", "--with-downstream", "--wait"] + args)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try String(contentsOfFile: dir + "/order", encoding: .utf8) == "a\nb\nc\n")
    }

    @Test("a job that prints megabytes has all of it in its log, and logs --follow streams until it ends")
    func bigOutputAndFollow() throws {
        let (_, args) = try workspace(
            """
            jobs:
              loud: { command: [HELPER, print, "5000000", sleep, "0.3", env, ORCHESTRATOR_JOB] }
            """.replacingOccurrences(of: "HELPER", with: EngineTests.helper))
        let r = try cli.run(["trigger", "loud"] + args)
        let id = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        var started = false
        for _ in 0..<50 where !started {
            usleep(50_000)
            started = (try? cli.run(["logs", id] + args).status) == 0
        }
        let followed = try cli.run(["logs", id, "--follow"] + args)
        #expect(followed.status == 0)
        #expect(followed.stdout.utf8.count == 5_000_000 + 1 + "ORCHESTRATOR_JOB=loud\n".utf8.count)
        #expect(followed.stdout.hasSuffix("ORCHESTRATOR_JOB=loud\n"))
    }

    @Test("four concurrent catch-ups over one outage run every slot exactly once, by catch_up and deadline")
    func concurrentCatchUp() throws {
        let (dir, args) = try workspace(
            """
            jobs:
              hourly: { shell: 'echo "$ORCHESTRATOR_SCHEDULED_FOR" >> DIR/hourly', schedule: { every: 1h, during: day }, catch_up: all }
              daily: { shell: 'echo "$ORCHESTRATOR_SCHEDULED_FOR" >> DIR/daily', schedule: { at: "17:00", days: daily }, catch_up: latest }
              never: { shell: 'echo x >> DIR/never', schedule: { at: "09:00", days: daily }, catch_up: none }
              fresh: { shell: 'echo "$ORCHESTRATOR_SCHEDULED_FOR" >> DIR/fresh', schedule: { every: 1h, during: day }, catch_up: all, deadline: 3h }
            """)
        // "Now" is 2026-11-25 12:00 New York; the outage began 2026-11-23 12:00.
        let clock = ["ORCHESTRATOR_CLOCK": "sim=2026-11-25T17:00:00Z;real=\(Date().timeIntervalSince1970);speed=1"]
        let processes = try (0..<4).map { _ in
            try cli.start(
                ["catch-up", "--since", "2026-11-23T17:00:00Z"] + args, environment: clock,
                stderrPath: dir + "/stderr-\(UUID().uuidString)")
        }
        processes.forEach { $0.waitUntilExit() }
        let errors = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix("stderr-") }
            .map { try String(contentsOfFile: dir + "/" + $0, encoding: .utf8) }.joined()
        let failedRuns =
            try cli.run(["history", "--status", "failed"] + args).stdout + (try cli.run(["history", "--status", "upstream_failed"] + args).stdout)
        #expect(processes.allSatisfy { $0.terminationStatus == 0 }, "\(processes.map(\.terminationStatus)): \(errors) \(failedRuns)")
        func lines(_ name: String) -> [String] {
            ((try? String(contentsOfFile: dir + "/" + name, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        }
        let hourly = lines("hourly")
        #expect(hourly.count == 48 && Set(hourly).count == 48, "every hourly slot once: \(hourly.count)")
        #expect(lines("daily") == ["2026-11-24T22:00:00Z"], "only the latest daily slot")
        #expect(lines("never").isEmpty)
        #expect(lines("fresh") == ["14:00", "15:00", "16:00", "17:00"].map { "2026-11-25T\($0):00Z" }, "only slots within the deadline")
        let history = try JSONSerialization.jsonObject(with: Data(try cli.run(["history", "--limit", "500", "--json"] + args).stdout.utf8)) as? [[String: Any]]
        let slots = (history ?? []).compactMap { r in (r["scheduled_for"] as? String).map { "\(r["job"] ?? "")@\($0)" } }
        #expect(Set(slots).count == slots.count, "no slot claimed twice")
        #expect((history ?? []).contains { $0["job"] as? String == "never" && $0["state"] as? String == "missed" })
    }
}

@Suite("run: the daemon", .serialized)
struct DaemonTests {
    @Test("the daemon runs slots as they come due and, on SIGTERM, lets a running attempt finish")
    func daemon() throws {
        let (dir, args) = try CLITests.workspace(
            """
            jobs:
              tick: { shell: 'echo "$ORCHESTRATOR_SCHEDULED_FOR" >> DIR/ticks; sleep 0.6; echo end >> DIR/ticks', schedule: { cron: "* * * * *" } }
            """)
        // Simulated time 5 s before a minute, at 10x: the slot comes due after half a second.
        let clock = ["ORCHESTRATOR_CLOCK": "sim=2026-11-25T14:59:55Z;real=\(Date().timeIntervalSince1970);speed=10"]
        let p = try CLITests().start(["run"] + args, environment: clock)
        usleep(900_000)
        kill(p.processIdentifier, SIGTERM)
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        let ticks = try String(contentsOfFile: dir + "/ticks", encoding: .utf8).split(separator: "\n")
        #expect(ticks == ["2026-11-25T15:00:00Z", "end"], "the attempt ran to its end before the daemon stopped")
        let history = try JSONSerialization.jsonObject(with: Data(try CLITests().run(["history", "--json"] + args).stdout.utf8)) as? [[String: Any]]
        #expect(history?.first?["state"] as? String == "succeeded")
    }
}

@Suite("overlap: replace with real processes", .serialized)
struct ReplaceTests {
    @Test("a new slot of an overlap: replace job stops the running one, which ends cancelled")
    func replace() throws {
        let (_, args) = try CLITests.workspace(
            """
            jobs:
              r: { shell: 'trap "echo got TERM; exit 143" TERM; sleep 30 & wait', schedule: { cron: "* * * * *" }, overlap: replace }
            """)
        // One simulated minute per real second.
        let clock = ["ORCHESTRATOR_CLOCK": "sim=2026-11-25T14:59:50Z;real=\(Date().timeIntervalSince1970);speed=60"]
        let p = try CLITests().start(["run", "--stop-timeout", "0.2"] + args, environment: clock)
        usleep(1_600_000)
        kill(p.processIdentifier, SIGTERM)
        p.waitUntilExit()
        let history = try #require(
            try JSONSerialization.jsonObject(with: Data(try CLITests().run(["history", "--json"] + args).stdout.utf8)) as? [[String: Any]])
        let first = try #require(history.last)
        #expect(first["scheduled_for"] as? String == "2026-11-25T15:00:00Z")
        #expect(first["state"] as? String == "cancelled", "\(history)")
        let id = try #require(first["id"] as? String)
        let log = try CLITests().run(["logs", id] + args).stdout
        #expect(log.contains("stop requested") && log.contains("got TERM"))
        #expect(history.count >= 2)
    }
}
