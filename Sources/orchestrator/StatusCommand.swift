import ArgumentParser
import Foundation
import OrchestratorCore
import OrchestratorRuntime

struct StatusCommand: GlobalOptionsCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Services, running jobs and the next slots, read from the run store.",
        discussion: """
            Reads what the daemon (`orchestrator run`) or a `run-day` last committed: each service's state, pid, uptime, restarts, last exit and last health check; the jobs running now; the next slot of each scheduled job. Safe to run at any time from another process. The daemon writes a heartbeat every second: if its process is gone, status says so and the service states are the last known ones.

            Service states: stopped, starting, running, unhealthy, backoff, failed, inactive (outside its window), stopping.

            Examples:
              orchestrator status
              orchestrator status --json | jq '.services[] | select(.state != "running")'
            """
    )

    @OptionGroup var local: GlobalOptions
    @ParentCommand var parent: Orchestrator
    @Flag(help: "One JSON document (SPEC §5's status shape).") var json = false

    func run() throws {
        // Job files that do not validate (mid-edit, say) must not hide what is running: then the
        // store alone answers, without the next slots, and the problems are pointed at.
        var workspace: Workspace?
        var invalid: String?
        do { workspace = try global.loadWorkspace() } catch let failure as CLIFailure where failure.status == 2 {
            invalid = failure.text.split(separator: "\n").last.map(String.init) ?? "errors"
        }
        let config = try workspace?.config ?? global.loadConfig()
        let zone = ZoneRules.of(config.timeZone)
        let store = try global.openStore(config)
        let now = try currentClock().now()
        let daemon = Daemon.liveDaemon(store)
        let recorded = Dictionary(uniqueKeysWithValues: try store.services().map { ($0.name, $0) })
        let names = workspace.map { Array($0.services.keys) } ?? Array(recorded.keys)
        let services = names.sorted().map { name in recorded[name] ?? ServiceRecord.never(name) }
        let running = try store.activeRuns().filter { run in
            run.state == .running && (workspace.map { $0.jobs[run.job] != nil } ?? (recorded[run.job] == nil))
        }
        let next = workspace.map { Planner.nextSlots(of: $0, after: now) } ?? []
        // With several nodes: where each attempt runs, and the nodes and leader.
        let nodeOf = Dictionary(try store.runningAttempts().compactMap { a in a.node.map { (a.runId, $0) } }, uniquingKeysWith: { a, _ in a })
        let shared = try (store as? any NodeCoordination).map { try $0.nodes() }
        if let invalid {
            FileHandle.standardError.write(Data("warning: the job files do not validate (\(invalid); see orchestrator validate): next slots unknown\n".utf8))
        }

        if json {
            let daemonJSON: JSONValue = .object([
                ("pid", daemon.map { .int(Int64($0.pid)) } ?? .null), ("alive", .bool(daemon != nil)),
                ("heartbeat", RunJSON.time(daemon?.heartbeat)),
            ])
            let servicesJSON: [JSONValue] = services.map { RunJSON.json($0, now: now) }
            let nextJSON: [JSONValue] = next.map { .object([("job", .string($0.job)), ("time", RunJSON.time(Double($0.time)))]) }
            var fields: [(String, JSONValue)] = [
                ("daemon", daemonJSON), ("services", .array(servicesJSON)),
                (
                    "running",
                    .array(
                        running.map { r in
                            guard case .object(var f) = RunJSON.json(r) else { return RunJSON.json(r) }
                            f.append(("node", .optional(nodeOf[r.id!])))
                            return .object(f)
                        })
                ),
                ("next", .array(nextJSON)),
            ]
            if let shared {
                let alive = shared.nodes.filter { $0.isAlive(deadAfter: config.nodeDeadAfter) }.map { JSONValue.string($0.name) }
                let leader: JSONValue =
                    shared.lease.flatMap { $0.expiresIn > 0 ? .object([("node", .string($0.node)), ("term", .int($0.term))]) : nil } ?? .null
                fields.append(("nodes", .object([("alive", .array(alive)), ("leader", leader)])))
            }
            printJSON(.object(fields))
            return
        }
        if let shared {
            let alive = shared.nodes.filter { $0.isAlive(deadAfter: config.nodeDeadAfter) }.map(\.name)
            let leader = shared.lease.flatMap { $0.expiresIn > 0 ? "\($0.node) (term \($0.term))" : nil } ?? "none"
            print("nodes: \(alive.isEmpty ? "none alive" : alive.joined(separator: ", ")); leader: \(leader) (orchestrator nodes for more)")
        } else if let daemon {
            print("daemon: running, pid \(daemon.pid), heartbeat \(String(format: "%.1f", max(0, Date().timeIntervalSince1970 - daemon.heartbeat)))s ago")
        } else {
            print("daemon: not running (service states below are the last recorded)")
        }
        if !services.isEmpty {
            let withNode = services.contains { $0.node != nil }
            var rows = [["SERVICE", "STATE", "PID", "UPTIME", "RESTARTS", "LAST EXIT", "HEALTH"] + (withNode ? ["NODE"] : [])]
            for s in services {
                let exit: String
                if let signal = s.lastSignal { exit = "signal \(signal)" } else if let code = s.lastExitCode { exit = "exit \(code)" } else { exit = "-" }
                var health = "-"
                if let at = s.healthCheckedAt {
                    health = "\((s.healthOk ?? false) ? "ok" : "FAIL") \(RunOutput.durationText(max(0, now - at))) ago: \(s.healthDetail ?? "")"
                }
                rows.append(
                    [
                        s.name, s.state, s.pid.map(String.init) ?? "-", RunOutput.durationText(s.startedAt.map { now - $0 }),
                        String(s.restarts), exit, health,
                    ] + (withNode ? [s.node ?? "-"] : []))
            }
            print(table(rows))
        }
        print(running.isEmpty ? "running: none" : "running:")
        for r in running {
            let slot = r.scheduledFor.map { " (\(TimeFormat.clock(Int64($0), in: zone)))" } ?? ""
            print("  #\(r.id!) \(r.job)\(slot) attempt \(r.attempts), since \(RunOutput.clock(r.startedAt, zone))\(nodeOf[r.id!].map { " on \($0)" } ?? "")")
        }
        if !next.isEmpty {
            print("next:")
            var rows: [[String]] = []
            for slot in next { rows.append(["  " + TimeFormat.local(slot.time, in: zone), slot.job]) }
            print(table(rows))
        }
    }
}
