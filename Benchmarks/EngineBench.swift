import Foundation
import GRDB
import OrchestratorCore
import OrchestratorRuntime

/// Issue 4's figures: the engine on a DAG against make, scheduler lag, catch-up decisions and
/// history queries on a large store.
enum EngineBench {
    static func scratch(_ name: String) -> String {
        let dir = "/tmp/orchestrator-bench-\(name)-\(getpid())"
        try? FileManager.default.removeItem(atPath: dir)
        try! FileManager.default.createDirectory(atPath: dir + "/jobs", withIntermediateDirectories: true)
        return dir
    }

    static func load(_ dir: String, config: String, jobs: String) -> Workspace {
        try! config.write(toFile: dir + "/config.yaml", atomically: true, encoding: .utf8)
        try! jobs.write(toFile: dir + "/jobs/j.yaml", atomically: true, encoding: .utf8)
        return try! WorkspaceFiles(configPath: dir + "/config.yaml", jobsDirectory: dir + "/jobs").load().get()
    }

    /// 10 layers of 100 `/bin/true` jobs, each depending on 2 of the layer before (fixed seed),
    /// run to completion by the engine (every state change committed), then by `make -j2`.
    static func dag() {
        let parallel = Int(option("--parallel", default: "2"))!
        var rng = UInt64(42)
        func next() -> Int { rng = rng &* 6364136223846793005 &+ 1442695040888963407; return Int(rng >> 33) }
        var deps: [String: [String]] = [:]
        for layer in 0..<10 {
            for i in 0..<100 {
                let name = "j\(layer)-\(i)"
                if layer > 0 {
                    let a = next() % 100
                    var b = next() % 100
                    if b == a { b = (a + 1) % 100 }
                    deps[name] = ["j\(layer - 1)-\(a)", "j\(layer - 1)-\(b)"]
                } else {
                    deps[name] = []
                }
            }
        }
        let names = deps.keys.sorted()
        let dir = scratch("dag")
        var yaml = "jobs:\n"
        for n in names {
            yaml += "  \(n): { command: [/bin/true]\(deps[n]!.isEmpty ? "" : ", depends_on: [\(deps[n]!.joined(separator: ", "))]") }\n"
        }
        // --database postgres://…: the same graph on a PostgreSQL store (issue 21).
        let database = option("--database", default: dir + "/s.sqlite")
        let ws = load(dir, config: "database: \(database)\nlogs: \(dir)/logs\nmax_parallel: \(parallel)\n", jobs: yaml)
        let store = StoreBench.open(database, node: "bench")
        // Runs that ended, counted from the engine's events: the loop asks the store nothing,
        // so the figure is the engine's alone.
        final class Ended { var count = 0 }
        let ended = Ended()
        let engine = Engine(
            workspace: ws, store: store, clock: SystemClock(), executable: orchestratorBinary,
            onEvent: { if $0.state.isFinal { ended.count += 1 } })
        let day = try! ws.calendar.tradingDay(of: Int64(Date().timeIntervalSince1970))
        let t0 = now()
        for n in names where deps[n]!.isEmpty {
            _ = try! store.createRun(job: n, tradingDay: day.description, trigger: .manual, state: .queued, now: engine.now)
        }
        while true {
            try! engine.step(day: day, slots: [])
            if ended.count == names.count { break }
            if !engine.hasRunningAttempts, case let counts = try! store.counts(tradingDay: day.description), counts.active == 0 {
                // Nothing moves and some jobs never got a run: an upstream failed (for instance
                // no orchestrator-attempt next to --binary). Say so instead of waiting forever.
                let stuck = try! store.runs(tradingDays: [day.description]).first { $0.state != .succeeded }
                FileHandle.standardError.write(
                    Data(
                        "orchestrator-bench dag: stopped after \(counts.all) of \(names.count) runs; \(stuck.map { "run \($0.id!) \($0.job) \($0.state.rawValue): \($0.reason ?? "")" } ?? "")\n"
                            .utf8))
                exit(1)
            }
            engine.wait(realSeconds: 0.05)
        }
        let ours = Double(now() - t0) / 1e9
        let runs = try! store.runs(tradingDays: [day.description])
        precondition(runs.allSatisfy { $0.state == .succeeded }, "every job must succeed")

        // make -j2 on the same graph.
        var mk = ".PHONY: all \(names.joined(separator: " "))\nall: \(names.joined(separator: " "))\n"
        for n in names { mk += "\(n): \(deps[n]!.joined(separator: " "))\n\t@/bin/true\n" }
        try! mk.write(toFile: dir + "/dag.mk", atomically: true, encoding: .utf8)
        let t1 = now()
        let status = spawnWait(["/usr/bin/make", "-j\(parallel)", "-f", dir + "/dag.mk", "all"])
        let make = Double(now() - t1) / 1e9
        precondition(status == 0, "make failed")

        // The floor (Benchmarks/dag_floor.c, built by run.sh): the same graph under the least any
        // engine can do and keep the issue's requirements, in C; with a supervisor started ahead
        // per slot (ours' design), and with the engine spawning the jobs itself.
        var floors = ""
        let floorBinary = option("--floor", default: "")
        if !floorBinary.isEmpty {
            for mode in ["reused", "direct"] {
                let t = now()
                let status = spawnWait([floorBinary, dir + "/dag.mk", dir, String(parallel), mode])
                precondition(status == 0, "dag_floor \(mode) failed")
                floors += ",\"floor_\(mode)_s\":\(Double(now() - t) / 1e9)"
            }
        }

        // A bare posix_spawn + waitpid of /bin/true, 1000 times, one at a time.
        let t2 = now()
        for _ in 0..<1000 { _ = spawnWait(["/bin/true"]) }
        let bare = Double(now() - t2) / 1e9
        print(
            "{\"jobs\":\(names.count),\"parallel\":\(parallel),\"orchestrator_s\":\(ours),\"make_s\":\(make),\"ratio\":\(ours / make),"
                + "\"bare_spawn_s\":\(bare),\"per_job_overhead_ms\":\((ours * Double(parallel) - bare) / Double(names.count) * 1000)\(floors)}")
    }

    /// The orchestrator executable whose `_attempt` supervises each attempt.
    static var orchestratorBinary: String {
        let path = option("--binary", default: ".build-release/release/orchestrator")
        return path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }

    /// posix_spawn + waitpid, the child's stdout to /dev/null.
    static func spawnWait(_ argv: [String]) -> Int32 {
        var cArgs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) } }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        var pid: pid_t = 0
        guard posix_spawn(&pid, argv[0], &actions, nil, &cArgs, environ) == 0 else { return -1 }
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        return status
    }

    /// Lag from a slot's due instant to the engine having committed and launched its attempt,
    /// over `slots` one-second slots of a run-day at `speed`.
    static func lag() {
        let count = Int(option("--slots", default: "1000"))!
        let speed = Double(option("--speed", default: "60"))!
        let dir = scratch("lag")
        let ws = load(
            dir, config: "database: \(dir)/s.sqlite\nlogs: \(dir)/logs\nmax_parallel: 8\n",
            jobs: "jobs:\n  tick: { command: [/bin/true], schedule: { every: 1s, during: day }, overlap: queue }\n")
        let store = try! SQLiteRunStore(path: dir + "/s.sqlite")
        let day = LocalDate(parsing: option("--date", default: "2026-11-25"))!
        let zone = ZoneRules.of(ws.config.timeZone)
        let from = TimeOfDay(hour: 10, minute: 0)!
        let end = Double(zone.instant(of: day, secondsOfDay: from.secondsOfDay)) + Double(count)
        var lags: [Double] = []
        let runDay = try! RunDay(workspace: ws, store: store, day: day, speed: speed, from: from)
        var stop = false
        _ = try! runDay.run(
            executable: orchestratorBinary,
            onEvent: { e in
                if e.state == .running, let slot = e.scheduledFor, slot < end {
                    lags.append((e.at - slot) / speed * 1000)
                }
                if e.at >= end { stop = true }
            }, shouldStop: { stop })
        lags.sort()
        func pct(_ p: Double) -> Double { lags[min(lags.count - 1, Int(Double(lags.count) * p))] }
        print("{\"slots\":\(lags.count),\"speed\":\(speed),\"p50_ms\":\(pct(0.5)),\"p99_ms\":\(pct(0.99)),\"max_ms\":\(lags.last ?? 0)}")
    }

    /// catch-up after a 7-day outage of the AlphaTrader day: planning and claiming every missed
    /// slot (the decisions), without the jobs' own run time.
    static func catchUp() {
        let root = option("--root", default: FileManager.default.currentDirectoryPath)
        let dir = scratch("catchup")
        let ws = try! WorkspaceFiles(configPath: root + "/config/config.yaml", jobsDirectory: root + "/jobs").load(environment: [:]).get()
        let store = try! SQLiteRunStore(path: dir + "/s.sqlite")
        let to = TimeFormat.parseInstant("2026-11-25T17:00:00Z", zone: ZoneRules.named("UTC")!)!
        let from = to - 7 * 86_400
        let t0 = now()
        let plan = try! CatchUpPlanner.plan(ws, from: from, to: to, claimed: [])
        let t1 = now()
        var claimed = 0
        for item in plan {
            if try! store.claimSlot(
                job: item.job, tradingDay: item.tradingDay.description, scheduledFor: Double(item.time),
                trigger: .catchUp, state: item.state, now: Double(to), reason: item.reason) != nil
            {
                claimed += 1
            }
        }
        let t2 = now()
        print(
            "{\"slots\":\(plan.count),\"claimed\":\(claimed),\"plan_ms\":\(Double(t1 - t0) / 1e6),\"claims_ms\":\(Double(t2 - t1) / 1e6),\"total_ms\":\(Double(t2 - t0) / 1e6)}"
        )
    }

    /// `history --limit 50` and `history JOB --day D` on a store of `runs` runs.
    static func history() {
        let count = Int(option("--runs", default: "1000000"))!
        let dir = scratch("history")
        let path = dir + "/s.sqlite"
        _ = try! SQLiteRunStore(path: path)
        let jobs = [
            "premarket-data", "morning-analysis", "morning-post", "market-open", "parameter-discovery", "moc",
            "evening-report", "evening-post", "backup", "alert",
        ]
        let t0 = now()
        let queue = try! DatabaseQueue(path: path)
        try! queue.write { db in
            let insert = try db.makeStatement(
                sql: """
                    INSERT INTO run (job, trading_day, scheduled_for, trigger, state, attempts, created_at, started_at, finished_at, exit_code)
                    VALUES (?, ?, ?, 'schedule', 'succeeded', 1, ?, ?, ?, 0)
                    """)
            for i in 0..<count {
                let t = 1_000_000_000.0 + Double(i) * 60
                let day = LocalDate(daysSinceEpoch: Int(t) / 86_400).description
                try insert.execute(arguments: [jobs[i % jobs.count], day, t, t, t, t + 1])
            }
        }
        let fill = Double(now() - t0) / 1e9
        let store = try! SQLiteRunStore(path: path)
        let sample = try! store.history(limit: 1).first!
        func time(_ body: () -> Void) -> Double {
            var best = Double.infinity
            for _ in 0..<20 {
                let t = now()
                body()
                best = min(best, Double(now() - t) / 1e6)
            }
            return best
        }
        let latest = time { precondition(try! store.history(limit: 50).count == 50) }
        let byDay = time { _ = try! store.history(job: "parameter-discovery", day: sample.tradingDay, limit: 50) }
        // Through the executable, process start included.
        let config = dir + "/config.yaml"
        try! "database: \(path)\npools: { alphavantage: 1 }\n".write(toFile: config, atomically: true, encoding: .utf8)
        let binary = orchestratorBinary
        let root = option("--root", default: FileManager.default.currentDirectoryPath)
        let t3 = now()
        _ = spawnWait([binary, "history", "--limit", "50", "--config", config, "--jobs", root + "/jobs", "--json"])
        let cli = Double(now() - t3) / 1e6
        print("{\"runs\":\(count),\"fill_s\":\(fill),\"history_limit50_ms\":\(latest),\"history_job_day_ms\":\(byDay),\"history_cli_ms\":\(cli)}")
    }
}
