import Foundation
import OrchestratorCore
import TestSupport
import Testing

/// Several `orchestrator run` nodes on one PostgreSQL (issue 21): every slot run once, one
/// leader running the services, failover when the leader dies, and a paused leader that wakes
/// after losing its lease changing nothing.
@Suite("Several orchestrator nodes on one PostgreSQL", .serialized)
struct PostgresNodesTests {
    let cli = CLITests()

    struct Cluster {
        let server: PostgresServer
        let dir: String
        let args: [String]
        let clock: String
        var nodes: [String: Process] = [:]
    }

    /// A workspace with an every-second job and an always-on service, on a new PostgreSQL.
    func cluster(deadAfter: String = "2s") throws -> Cluster {
        let server = try PostgresServer()
        let dir = try cli.scratch([:])
        try cli.scratch(
            [
                "c.yaml": "database: \(server.url)\nlogs: \(dir)/logs\nmax_parallel: 4\nnode_dead_after: \(deadAfter)\n",
                "jobs/j.yaml": """
                jobs:
                  tick: { shell: 'echo "$ORCHESTRATOR_SCHEDULED_FOR $ORCHESTRATOR_NODE $$" >> \(dir)/ticks', schedule: { every: 1s, during: session } }
                services:
                  svc: { shell: 'echo "$$ $ORCHESTRATOR_NODE" >> \(dir)/svc; exec sleep 300', stop_timeout: 2s }
                """,
            ], in: dir)
        // One simulated clock for every node: a session on a trading day, at real speed.
        let clock = "sim=2026-11-25T15:00:00Z;real=\(Date().timeIntervalSince1970);speed=1"
        return Cluster(server: server, dir: dir, args: ["--config", dir + "/c.yaml", "--jobs", dir + "/jobs"], clock: clock)
    }

    func start(_ c: inout Cluster, _ name: String) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: CLITests.binary)
        p.arguments = ["run", "--node", name] + c.args
        p.environment = ProcessInfo.processInfo.environment.merging(["ORCHESTRATOR_CLOCK": c.clock]) { $1 }
        let log = c.dir + "/\(name).log"
        if !FileManager.default.fileExists(atPath: log) { _ = FileManager.default.createFile(atPath: log, contents: nil) }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        handle.seekToEndOfFile()
        p.standardOutput = handle
        p.standardError = handle
        try p.run()
        c.nodes[name] = p
    }

    func nodes(_ c: Cluster) throws -> [String: Any] {
        let out = try cli.run(["nodes", "--json"] + c.args)
        return try #require(try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any], "\(out.stderr)")
    }

    func leader(_ c: Cluster) -> String? {
        guard let lease = (try? nodes(c))?["lease"] as? [String: Any], lease["held"] as? Bool == true else { return nil }
        return lease["node"] as? String
    }

    /// The service's row: its state, node and pid.
    func service(_ c: Cluster) -> (state: String, node: String?, pid: Int32?)? {
        guard let out = try? cli.run(["status", "--json"] + c.args),
            let status = try? JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any],
            let svc = (status["services"] as? [[String: Any]])?.first(where: { $0["name"] as? String == "svc" }),
            let state = svc["state"] as? String
        else { return nil }
        return (state, svc["node"] as? String, (svc["pid"] as? Int).map { Int32($0) })
    }

    /// The `sleep 300` processes of the service alive now (its own marker in the workspace).
    func servicePids(_ c: Cluster) -> [Int32] {
        let lines = (try? String(contentsOfFile: c.dir + "/svc", encoding: .utf8)) ?? ""
        return lines.split(separator: "\n").compactMap { Int32($0.split(separator: " ").first ?? "") }.filter { kill($0, 0) == 0 }
    }

    func eventually(_ seconds: Double = 15, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try condition() { return true }
            usleep(50_000)
        }
        return try condition()
    }

    /// Every node stopped (SIGTERM), and whatever service process is left killed.
    func stopAll(_ c: Cluster) {
        for p in c.nodes.values where p.isRunning { kill(p.processIdentifier, SIGCONT); kill(p.processIdentifier, SIGTERM) }
        for p in c.nodes.values { p.waitUntilExit() }
        for pid in servicePids(c) { kill(pid, SIGKILL) }
    }

    /// Each second's tick: how many times it ran (by its slot), and on which nodes.
    func ticks(_ c: Cluster) -> [String: [String]] {
        let text = (try? String(contentsOfFile: c.dir + "/ticks", encoding: .utf8)) ?? ""
        var bySlot: [String: [String]] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count >= 2 { bySlot[String(parts[0]), default: []].append(String(parts[1])) }
        }
        return bySlot
    }

    @Test(
        "three nodes: every second's slot run once, by whichever node claims it; one leader runs the service; kill -9 of the leader moves it within 2 × node_dead_after + 1 s"
    )
    func failover() throws {
        var c = try cluster()
        defer {
            stopAll(c)
            c.server.stop()
        }
        for name in ["n1", "n2", "n3"] { try start(&c, name) }
        #expect(eventually { ((try? nodes(c))?["nodes"] as? [[String: Any]])?.filter { $0["state"] as? String == "alive" }.count == 3 })
        #expect(eventually { leader(c) != nil && service(c)?.state == "running" })
        let first = try #require(leader(c))
        #expect(service(c)?.node == first)
        // Which node claims a slot is a race each second; that each runs once is what counts.
        #expect(eventually(5) { ticks(c).count >= 3 }, "the every-second job runs")

        let killed = try #require(c.nodes[first])
        let killedAt = Date()
        kill(killed.processIdentifier, SIGKILL)
        killed.waitUntilExit()
        #expect(eventually { (service(c).map { $0.state == "running" && $0.node != first && $0.node != nil }) ?? false })
        let failover = Date().timeIntervalSince(killedAt)
        #expect(failover < 2 * 2 + 1, "failover took \(failover) s")
        let second = try #require(leader(c))
        #expect(second != first)
        #expect(servicePids(c).count == 1, "the service runs once: adopted or restarted, never twice")
        let dead = ((try nodes(c))["nodes"] as? [[String: Any]])?.first { $0["name"] as? String == first }
        #expect(dead?["state"] as? String == "dead")

        // The killed node comes back under its name and follows.
        try start(&c, first)
        #expect(eventually { ((try? nodes(c))?["nodes"] as? [[String: Any]])?.filter { $0["state"] as? String == "alive" }.count == 3 })
        usleep(2_000_000)
        #expect(leader(c) == second, "the lease stays where it is")
        stopAll(c)
        let bySlot = ticks(c)
        #expect(bySlot.count >= 5, "\(bySlot.count) slots ran")
        #expect(bySlot.values.allSatisfy { $0.count == 1 }, "a slot ran twice: \(bySlot.filter { $0.value.count > 1 })")
        #expect(try c.server.psql("SELECT count(*) FROM attempt WHERE outcome = 'running';").trimmingCharacters(in: .whitespacesAndNewlines) == "0")
    }

    @Test("a leader paused (SIGSTOP) past its lease changes nothing when it wakes: another node leads, the service never runs twice, the paused one follows")
    func pausedLeader() throws {
        var c = try cluster()
        defer {
            stopAll(c)
            c.server.stop()
        }
        for name in ["n1", "n2"] { try start(&c, name) }
        #expect(eventually { leader(c) != nil && service(c)?.state == "running" })
        let first = try #require(leader(c))
        let paused = try #require(c.nodes[first])
        kill(paused.processIdentifier, SIGSTOP)
        #expect(eventually { leader(c).map { $0 != first } ?? false })
        #expect(eventually { (service(c).map { $0.state == "running" && $0.node != first }) ?? false })
        usleep(1_000_000)
        kill(paused.processIdentifier, SIGCONT)
        // It wakes, finds its lease gone, and gives the service up without stopping the one
        // the new leader adopted.
        #expect(eventually { (try? String(contentsOfFile: c.dir + "/\(first).log", encoding: .utf8))?.contains("no longer the leader") ?? false })
        usleep(1_500_000)
        #expect(servicePids(c).count == 1)
        #expect(service(c)?.node != first && service(c)?.state == "running")
        #expect(leader(c) != first)
        #expect(paused.isRunning, "the woken node carries on as a follower")
        stopAll(c)
        #expect(c.nodes.values.allSatisfy { $0.terminationStatus == 0 }, "every node stopped cleanly")
        #expect(ticks(c).values.allSatisfy { $0.count == 1 })
    }

    @Test("a second process under a live node's name is refused (exit 2); --node on a SQLite store is refused")
    func nameTaken() throws {
        var c = try cluster()
        defer {
            stopAll(c)
            c.server.stop()
        }
        try start(&c, "n1")
        #expect(eventually { ((try? nodes(c))?["nodes"] as? [[String: Any]])?.count == 1 })
        let again = try cli.run(["run", "--node", "n1"] + c.args, environment: ["ORCHESTRATOR_CLOCK": c.clock])
        #expect(again.status == 2 && again.stderr.contains("node n1 is already running"), "\(again.stderr)")
        let (_, sqlite) = try CLITests.workspace("jobs:\n  a: { shell: 'true' }\n")
        let refused = try cli.run(["run", "--node", "x"] + sqlite)
        #expect(refused.status == 2 && refused.stderr.contains("SQLite"))
    }

    @Test("a node started while its PostgreSQL is down says so once, waits for it, then joins and runs the jobs")
    func startsBeforeTheServer() throws {
        var c = try cluster()
        defer {
            stopAll(c)
            c.server.stop()
        }
        let server = c.server
        let restarting = Thread { try? server.restart(down: 3) }
        restarting.start()
        Thread.sleep(forTimeInterval: 0.5)
        try start(&c, "n1")
        #expect(eventually(20) { ticks(c).values.contains { $0.contains("n1") } }, "the node joined once the server was back")
        #expect(c.nodes["n1"]!.isRunning)
        let log = try String(contentsOfFile: c.dir + "/n1.log", encoding: .utf8)
        #expect(log.components(separatedBy: "waiting up to 30 s").count == 2, "said once: \(log)")
    }
}
