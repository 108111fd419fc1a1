import Foundation
import OrchestratorCore
import OrchestratorRuntime
import TestSupport
import Testing

/// Supervised services with real processes, a real redis-server and the real daemon.
@Suite("Services supervised by the daemon", .serialized)
struct ServiceTests {
    let cli = CLITests()

    /// Polls until `condition` holds or `seconds` pass; returns whether it held.
    func eventually(_ seconds: Double = 10, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try condition() { return true }
            usleep(50_000)
        }
        return try condition()
    }

    /// Starts the daemon with its stdout in DIR/out.log.
    /// `wrapper`: a program and its arguments that run the daemon (for instance setpriv).
    func daemon(_ dir: String, _ args: [String], environment: [String: String] = [:], wrapper: [String] = []) throws -> Process {
        let p = Process()
        let argv = wrapper + [CLITests.binary, "run"] + args
        p.executableURL = URL(fileURLWithPath: argv[0])
        p.arguments = Array(argv.dropFirst())
        p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        _ = FileManager.default.createFile(atPath: dir + "/out.log", contents: nil)
        p.standardOutput = FileHandle(forWritingAtPath: dir + "/out.log")
        p.standardError = p.standardOutput
        try p.run()
        return p
    }

    func status(_ args: [String]) throws -> [String: Any] {
        let out = try cli.run(["status", "--json"] + args)
        return try #require(try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any])
    }

    func service(_ args: [String], _ name: String) throws -> [String: Any]? {
        (try status(args)["services"] as? [[String: Any]])?.first { $0["name"] as? String == name }
    }

    func stop(_ p: Process) {
        kill(p.processIdentifier, SIGTERM)
        p.waitUntilExit()
    }

    @Test("a flapping service hits its start limit, ends failed, and its on_failure job gets the failed run's details")
    func startLimit() throws {
        let (dir, args) = try CLITests.workspace(
            """
            services:
              flap: { shell: "echo crash; exit 3", restart_delay: 10ms, start_limit: { burst: 2, interval: 1m }, on_failure: [alert] }
            jobs:
              alert: { shell: 'echo "$ORCHESTRATOR_FAILED_JOB $ORCHESTRATOR_FAILED_STATE" > DIR/alert' }
            """)
        let p = try daemon(dir, args, environment: ["ORCHESTRATOR_CLOCK": "sim=2026-11-25T15:00:00Z;real=\(Date().timeIntervalSince1970);speed=1"])
        defer { stop(p) }
        #expect(eventually { FileManager.default.fileExists(atPath: dir + "/alert") })
        #expect(try String(contentsOfFile: dir + "/alert", encoding: .utf8) == "flap failed\n")
        let flap = try #require(try service(args, "flap"))
        #expect(flap["state"] as? String == "failed")
        #expect(flap["restarts"] as? Int == 2)
        #expect((flap["last_exit"] as? [String: Any])?["code"] as? Int == 3)
        let history = try #require(try JSONSerialization.jsonObject(with: Data(cli.run(["history", "flap", "--json"] + args).stdout.utf8)) as? [[String: Any]])
        #expect(history.first?["state"] as? String == "failed")
        #expect(history.first?["attempts"] as? Int == 3, "three starts: the first and two restarts")
        #expect((history.first?["reason"] as? String)?.contains("start limit") == true)
    }

    @Test("orchestrator restart gives a failed service a fresh start limit through the running daemon")
    func manualRestart() throws {
        let (dir, args) = try CLITests.workspace(
            """
            services:
              flap: { shell: 'test -f DIR/fixed && exec sleep 60; echo crash; exit 3', restart_delay: 10ms, start_limit: { burst: 1, interval: 1m } }
            """)
        let p = try daemon(dir, args, environment: ["ORCHESTRATOR_CLOCK": "sim=2026-11-25T15:00:00Z;real=\(Date().timeIntervalSince1970);speed=1"])
        defer { stop(p) }
        #expect(eventually { (try? self.service(args, "flap"))??["state"] as? String == "failed" })
        // The cause is fixed; the operator asks for a restart.
        FileManager.default.createFile(atPath: dir + "/fixed", contents: Data())
        let r = try cli.run(["restart", "flap", "--wait"] + args)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("restart of flap requested") && r.stdout.contains("flap running, pid"))
        let flap = try #require(try service(args, "flap"))
        #expect(flap["state"] as? String == "running")
        // Not a service, and no daemon: clear refusals.
        #expect(try cli.run(["restart", "nope"] + args).status == 2)
    }

    @Test("cpu_scheduling puts the service's process under its policy, nice value and reset-on-fork, and its start event says so")
    func cpuScheduling() throws {
        let (dir, args) = try CLITests.workspace(
            """
            services:
              batchy: { command: [sleep, "300"], cpu_scheduling: { policy: batch, nice: 7, reset_on_fork: true }, stop_timeout: 2s }
              realtime: { shell: 'exec sleep 300', cpu_scheduling: { policy: fifo, priority: 3 }, stop_timeout: 2s }
            """)
        let p = try daemon(dir, args)
        defer { stop(p) }
        func pid(_ name: String) -> pid_t? { ((try? self.service(args, name))??["pid"] as? Int).map { pid_t($0) } }
        #expect(eventually { pid("batchy") != nil && pid("realtime") != nil })
        let batchy = try #require(pid("batchy")), realtime = try #require(pid("realtime"))
        let resetOnFork: Int32 = 0x4000_0000
        #expect(sched_getscheduler(batchy) == 3 | resetOnFork, "SCHED_BATCH with SCHED_RESET_ON_FORK")
        #expect(getpriority(__priority_which_t(PRIO_PROCESS.rawValue), id_t(batchy)) == 7)
        let out = try String(contentsOfFile: dir + "/out.log", encoding: .utf8)
        #expect(out.contains("service batchy start [running]: pid \(batchy), batch nice 7, reset on fork"), "\(out)")
        // A real-time policy needs the privilege (CI runs as root; the next test covers its absence).
        if geteuid() == 0 {
            var param = sched_param()
            #expect(sched_getscheduler(realtime) == 1 && sched_getparam(realtime, &param) == 0 && param.sched_priority == 3, "SCHED_FIFO 3")
            #expect(out.contains("service realtime start [running]: pid \(realtime), fifo priority 3"))
        }
    }

    @Test("a real-time policy the daemon may not give is said in the service's log and start event, and the service runs under the default policy")
    func cpuSchedulingNotPermitted() throws {
        let (dir, args) = try CLITests.workspace(
            """
            services:
              realtime: { shell: 'exec sleep 300', cpu_scheduling: { policy: fifo, priority: 3 }, stop_timeout: 2s }
            """)
        // As root, a daemon without CAP_SYS_NICE (setpriv, util-linux); otherwise as we are.
        let p = try daemon(dir, args, wrapper: geteuid() == 0 ? ["/usr/bin/setpriv", "--bounding-set=-sys_nice", "--inh-caps=-sys_nice"] : [])
        defer { stop(p) }
        #expect(eventually { (try? self.service(args, "realtime"))??["state"] as? String == "running" })
        let pid = try #require(try service(args, "realtime")?["pid"] as? Int)
        #expect(sched_getscheduler(pid_t(pid)) == 0, "SCHED_OTHER, as inherited")
        let logs = try FileManager.default.contentsOfDirectory(atPath: dir + "/logs/realtime")
        let log = try String(contentsOfFile: dir + "/logs/realtime/" + logs[0], encoding: .utf8)
        #expect(
            log.contains(
                "orchestrator: cpu_scheduling fifo priority 3 not applied: Operation not permitted (a real-time policy needs root, CAP_SYS_NICE or an RLIMIT_RTPRIO of at least 3); running under the orchestrator's own policy"
            ), "\(log)")
        let out = try String(contentsOfFile: dir + "/out.log", encoding: .utf8)
        #expect(out.contains("service realtime start [running]: pid \(pid), cpu_scheduling fifo priority 3 not applied: Operation not permitted"), "\(out)")
    }

    @Test("kill -9 of the daemon: the next daemon adopts the service still running, starts no second copy, and stops it at the end")
    func adoptionAfterKill() throws {
        let (dir, args) = try CLITests.workspace(
            """
            services:
              steady: { shell: 'echo $$ >> DIR/pids; exec sleep 300', restart_delay: 10ms, stop_timeout: 2s }
            """)
        let first = try daemon(dir, args)
        #expect(eventually { (try? self.service(args, "steady"))??["state"] as? String == "running" })
        let pid = try #require(try service(args, "steady")?["pid"] as? Int)
        kill(first.processIdentifier, SIGKILL)
        first.waitUntilExit()
        #expect(kill(pid_t(pid), 0) == 0, "the service outlives its daemon")

        let second = try daemon(dir, args)
        #expect(
            eventually {
                (try? self.status(args))?["daemon"].flatMap { ($0 as? [String: Any])?["alive"] as? Bool } == true
                    && (try? self.service(args, "steady"))??["pid"] as? Int == pid
            })
        usleep(500_000)
        let pids = try String(contentsOfFile: dir + "/pids", encoding: .utf8).split(separator: "\n")
        #expect(pids.count == 1, "adopted, not started again: \(pids)")
        #expect(try service(args, "steady")?["state"] as? String == "running")
        stop(second)
        #expect(eventually(5) { kill(pid_t(pid), 0) != 0 }, "the adopted service is stopped with the daemon")
    }

    @Test("SIGTERM stops services in reverse dependency order, kills a hung one after stop_timeout, and leaves no process behind")
    func gracefulStop() throws {
        let (dir, args) = try CLITests.workspace(
            """
            services:
              base: { command: [\(EngineTests.helper), grandchild, DIR/grandchild, "60"], stop_timeout: 300ms }
              top: { command: [sleep, "60"], depends_on: [base] }
            """)
        let p = try daemon(dir, args)
        #expect(try eventually { try service(args, "top")?["state"] as? String == "running" })
        let status = try self.status(args)
        #expect((status["daemon"] as? [String: Any])?["alive"] as? Bool == true)
        let base = try #require(try service(args, "base"))
        let basePid = try #require(base["pid"] as? Int)
        #expect(base["uptime"] is Double && base["restarts"] as? Int == 0 && base["health"] is NSNull)
        let grandchild = try #require(Int32(try String(contentsOfFile: dir + "/grandchild", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        let started = Date()
        stop(p)
        #expect(p.terminationStatus == 0)
        #expect(Date().timeIntervalSince(started) >= 0.3, "base ignores SIGTERM: it is killed only after its stop_timeout")
        usleep(100_000)
        #expect(CLITests.gone(grandchild) && CLITests.gone(Int32(basePid)), "nothing of base's process group survives")
        let store = try SQLiteRunStore(path: dir + "/s.sqlite")
        let stops = try store.serviceEvents().reversed().filter { $0.kind == "stop" || $0.kind == "kill" }.map { "\($0.kind) \($0.service)" }
        #expect(stops == ["stop top", "stop base", "kill base"])
        #expect(try self.status(args)["daemon"].flatMap { ($0 as? [String: Any])?["alive"] as? Bool } == false)
        #expect(try service(args, "top")?["state"] as? String == "stopped")
    }

    @Test("a redis_key heartbeat going stale makes the service unhealthy, and it is restarted")
    func staleHeartbeat() throws {
        let redis = try RedisServer()
        defer { redis.stop() }
        let (dir, args) = try CLITests.workspace(
            """
            services:
              feed:
                shell: 'while [ -e DIR/beat ]; do redis-cli -p \(redis.port) set hb "$(date +%s)" > /dev/null; sleep 0.1; done; exec sleep 60'
                health: { redis_key: hb, max_age: 1s, interval: 200ms, timeout: 500ms, unhealthy_after: 2 }
                restart_delay: 100ms
            """)
        try "redis:\n  url: \(redis.url)\n".write(toFile: dir + "/c.yaml", atomically: false, encoding: .utf8)
        try String(contentsOfFile: dir + "/c.yaml", encoding: .utf8).appending("database: \(dir)/s.sqlite\nlogs: \(dir)/logs\n")
            .write(toFile: dir + "/c.yaml", atomically: true, encoding: .utf8)
        FileManager.default.createFile(atPath: dir + "/beat", contents: nil)
        let p = try daemon(dir, args)
        defer { stop(p) }
        #expect(try eventually { try service(args, "feed")?["state"] as? String == "running" })
        let health = try #require(try service(args, "feed")?["health"] as? [String: Any])
        #expect(health["ok"] as? Bool == true && (health["detail"] as? String)?.contains("heartbeat") == true)
        try FileManager.default.removeItem(atPath: dir + "/beat")
        #expect(try eventually { (try service(args, "feed")?["restarts"] as? Int ?? 0) >= 1 })
        let store = try SQLiteRunStore(path: dir + "/s.sqlite")
        let unhealthy = try #require(try store.serviceEvents(service: "feed").first { $0.kind == "unhealthy" })
        #expect(unhealthy.detail?.contains("old, older than 1s") == true)
    }

    @Test("redis_ping: a real redis-server answering PING is healthy; the same check against nothing is a failed one")
    func redisPing() throws {
        let server = try RedisServer()
        defer { server.stop() }
        let (dir, args) = try CLITests.workspace(
            """
            services:
              cache: { command: [sleep, "60"], health: { redis_ping: true, interval: 200ms, timeout: 500ms } }
            """)
        try "redis: { url: \"\(server.url)\" }\ndatabase: \(dir)/s.sqlite\nlogs: \(dir)/logs\n".write(
            toFile: dir + "/c.yaml", atomically: true, encoding: .utf8)
        let p = try daemon(dir, args)
        defer { stop(p) }
        #expect(try eventually { try service(args, "cache")?["state"] as? String == "running" })
        let health = try #require(try service(args, "cache")?["health"] as? [String: Any])
        #expect(health["ok"] as? Bool == true && health["detail"] as? String == "PONG")
        server.kill()
        #expect(try eventually { try service(args, "cache")?["state"] as? String != "running" })
    }

    @Test("a Redis that is down is a failed check with its reason, not a crash")
    func redisDown() throws {
        let port = try FreePort.pick()
        let (dir, args) = try CLITests.workspace(
            """
            services:
              feed: { command: [sleep, "60"], health: { redis_key: hb, max_age: 5s, interval: 200ms, timeout: 300ms }, restart: never }
            """)
        try "redis: { url: \"redis://127.0.0.1:\(port)/0\" }\ndatabase: \(dir)/s.sqlite\nlogs: \(dir)/logs\n"
            .write(toFile: dir + "/c.yaml", atomically: true, encoding: .utf8)
        let p = try daemon(dir, args)
        defer { stop(p) }
        #expect(try eventually { try service(args, "feed")?["state"] as? String == "unhealthy" })
        let health = try #require(try service(args, "feed")?["health"] as? [String: Any])
        #expect((health["detail"] as? String)?.contains("127.0.0.1:\(port): cannot connect") == true, "\(health)")
        #expect(p.isRunning)
    }

    @Test("a window starts and stops a service by the calendar: on the early close (13:00) it stops at 13:15 simulated")
    func earlyCloseWindow() throws {
        let (_, args) = try CLITests.workspace(
            """
            services:
              feed: { command: [sleep, "100000"], active: { from: { market: open, offset: -30m }, to: { market: close, offset: 15m } } }
            """)
        let out = try cli.run(["run-day", "--date", "2026-11-27", "--from", "08:50", "--speed", "3600", "--json"] + args)
        #expect(out.status == 0, "\(out.stderr)")
        let runs = try #require(try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [[String: Any]])
        let feed = try #require(runs.first { $0["job"] as? String == "feed" })
        #expect(feed["state"] as? String == "succeeded")
        let start = try #require((feed["started_at"] as? String).flatMap { TimeFormat.parseInstant($0, zone: ZoneRules.named("UTC")!) })
        let end = try #require((feed["finished_at"] as? String).flatMap { TimeFormat.parseInstant($0, zone: ZoneRules.named("UTC")!) })
        // 09:00 and 13:15 New York are 14:00Z and 18:15Z; at 3600x a real millisecond is 3.6 s.
        #expect(abs(start - TimeFormat.parseInstant("2026-11-27T14:00:00Z", zone: ZoneRules.named("UTC")!)!) <= 60)
        #expect(abs(end - TimeFormat.parseInstant("2026-11-27T18:15:00Z", zone: ZoneRules.named("UTC")!)!) <= 60)
    }

    @Test("SIGHUP with a broken job file keeps the running configuration and prints the error with its position")
    func reload() throws {
        let (dir, args) = try CLITests.workspace(
            """
            services:
              keep: { command: [sleep, "60"] }
            """)
        let p = try daemon(dir, args)
        defer { stop(p) }
        #expect(try eventually { try service(args, "keep")?["state"] as? String == "running" })
        let pid = try service(args, "keep")?["pid"] as? Int
        try "jobs:\n  bad: { command: [true], retries: many }\n".write(toFile: dir + "/jobs/k.yaml", atomically: true, encoding: .utf8)
        kill(p.processIdentifier, SIGHUP)
        #expect(eventually { ((try? String(contentsOfFile: dir + "/out.log", encoding: .utf8)) ?? "").contains("reload refused") })
        let log = try String(contentsOfFile: dir + "/out.log", encoding: .utf8)
        #expect(log.contains("k.yaml:2:") && log.contains("retries"), "\(log)")
        // status still answers from the store, and says why the next slots are missing.
        let broken = try cli.run(["status", "--json"] + args)
        #expect(broken.status == 0 && broken.stderr.contains("the job files do not validate"), "\(broken.stderr)")
        let keep = try #require(try service(args, "keep"))
        #expect(keep["pid"] as? Int == pid && keep["state"] as? String == "running", "the service kept running untouched")
        try "jobs:\n  good: { command: [true] }\n".write(toFile: dir + "/jobs/k.yaml", atomically: true, encoding: .utf8)
        kill(p.processIdentifier, SIGHUP)
        #expect(eventually { ((try? String(contentsOfFile: dir + "/out.log", encoding: .utf8)) ?? "").contains("reloaded: 1 jobs, 1 services") })
        #expect(p.isRunning)
    }
}
