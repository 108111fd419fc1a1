import ArgumentParser
import Foundation
import OrchestratorCore
import OrchestratorRuntime

struct NodesCommand: GlobalOptionsCommand {
    static let configuration = CommandConfiguration(
        commandName: "nodes",
        abstract: "The orchestrator nodes sharing the run store, the leader, and what each runs.",
        discussion: """
            With several nodes on one PostgreSQL store (`orchestrator run --node NAME`): each node's host, pid, labels and how long since its heartbeat (by the database's clock); alive, dead (silent longer than `node_dead_after`) or stopped; the leader's lease with its term and how long it has left; the attempts and services running on each node.

            On a SQLite store there is one node, this machine's daemon, if it runs.

            Examples:
              orchestrator nodes
              orchestrator nodes --json | jq '.nodes[] | select(.state == "dead")'
            """
    )

    @OptionGroup var local: GlobalOptions
    @ParentCommand var parent: Orchestrator
    @Flag(help: "One JSON document: nodes, leader, and what each runs.") var json = false

    func run() throws {
        let config = try global.loadConfig()
        let store = try global.openStore(config)
        let running = try store.runningAttempts()
        let runs = Dictionary(uniqueKeysWithValues: try store.activeRuns().map { ($0.id!, $0) })
        let services = try store.services().filter { $0.state != "stopped" && $0.state != "inactive" && $0.pid != nil }
        var nodes: [NodeRecord] = []
        var lease: Lease?
        if let shared = store as? any NodeCoordination {
            (nodes, lease) = try shared.nodes()
        } else if let daemon = Daemon.liveDaemon(store) {
            let host = ProcessInfo.processInfo.hostName
            nodes = [
                NodeRecord(
                    name: host, host: host, pid: daemon.pid, processStart: nil, labels: [], startedAt: daemon.heartbeat, heartbeatAt: daemon.heartbeat,
                    silence: max(0, Date().timeIntervalSince1970 - daemon.heartbeat), stopped: false)
            ]
        }
        let deadAfter = config.nodeDeadAfter
        func state(_ n: NodeRecord) -> String { n.stopped ? "stopped" : n.isAlive(deadAfter: deadAfter) ? "alive" : "dead" }
        // On SQLite attempts and services carry no node: they are the one node's.
        func owner(_ node: String?) -> String? { store is any NodeCoordination ? node : nodes.first?.name }
        func attempts(of name: String) -> [AttemptRecord] { running.filter { owner($0.node) == name } }
        func servicesOf(_ name: String) -> [ServiceRecord] { services.filter { owner($0.node) == name } }
        let leader = lease.flatMap { $0.expiresIn > 0 ? $0 : nil }

        if json {
            let nodesJSON: [JSONValue] = nodes.map { n in
                .object([
                    ("name", .string(n.name)), ("host", .string(n.host)), ("pid", .int(Int64(n.pid))),
                    ("labels", .array(n.labels.map { .string($0) })), ("state", .string(state(n))),
                    ("heartbeat", RunJSON.time(n.heartbeatAt)), ("silence", .number((n.silence * 1000).rounded() / 1000)),
                    ("started_at", RunJSON.time(n.startedAt)), ("leader", .bool(leader?.node == n.name)),
                    (
                        "attempts",
                        .array(
                            attempts(of: n.name).map { a in
                                .object([
                                    ("run", .string(String(a.runId))), ("job", .optional(runs[a.runId]?.job)), ("attempt", .int(Int64(a.number))),
                                    ("pid", a.pid.map { .int(Int64($0)) } ?? .null), ("started_at", RunJSON.time(a.startedAt)),
                                ])
                            })
                    ),
                    ("services", .array(servicesOf(n.name).map { .string($0.name) })),
                ])
            }
            let leaseJSON: JSONValue =
                lease.map {
                    .object([
                        ("node", .string($0.node)), ("term", .int($0.term)), ("expires_in", .number(($0.expiresIn * 1000).rounded() / 1000)),
                        ("held", .bool($0.expiresIn > 0)),
                    ])
                } ?? .null
            printJSON(
                .object([("store", .string(store.location)), ("node_dead_after", .number(deadAfter)), ("nodes", .array(nodesJSON)), ("lease", leaseJSON)]))
            return
        }
        guard !nodes.isEmpty else {
            print(
                store is any NodeCoordination
                    ? "no node has joined \(store.location) yet (orchestrator run --node NAME)" : "no daemon runs on \(store.location)")
            return
        }
        var rows = [["NODE", "HOST", "PID", "STATE", "HEARTBEAT", "LABELS", "RUNS"]]
        for n in nodes {
            let mine = attempts(of: n.name).compactMap { runs[$0.runId].map { "\($0.job) #\($0.id!)" } } + servicesOf(n.name).map { "service \($0.name)" }
            rows.append([
                n.name + (leader?.node == n.name ? " (leader)" : ""), n.host, String(n.pid), state(n),
                String(format: "%.1fs ago", n.silence), n.labels.isEmpty ? "-" : n.labels.joined(separator: ","),
                mine.isEmpty ? "-" : mine.joined(separator: ", "),
            ])
        }
        print(table(rows))
        if let lease {
            print(
                lease.expiresIn > 0
                    ? "leader: \(lease.node), term \(lease.term), lease \(String(format: "%.1f", lease.expiresIn))s left"
                    : "leader: none (the lease of \(lease.node), term \(lease.term), expired \(String(format: "%.1f", -lease.expiresIn))s ago)")
        } else if store is any NodeCoordination {
            print("leader: none yet")
        }
    }
}
