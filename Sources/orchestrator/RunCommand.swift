import ArgumentParser
import Foundation
import Logging
import OrchestratorCore
import OrchestratorRuntime
import ServiceLifecycle
import UnixSignals

struct RunCommand: GlobalOptionsCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "The daemon: schedule jobs and supervise services until SIGTERM or SIGINT.",
        discussion: """
            Runs every slot due from its start on (earlier ones are catch-up's), with retries, dependencies, pools and deadlines, and supervises the services of jobs/*.yaml: their windows by the exchange calendar, restarts with backoff and start limits, health checks. One line per state change on stdout; `orchestrator status` reads the same store.

            SIGTERM or SIGINT: nothing new starts, running attempts get --stop-timeout to finish, and services stop in reverse dependency order within their stop_timeout (SIGTERM to their process group, then SIGKILL) — no process is left behind. SIGHUP reloads jobs/: the new files are validated first, and if any is invalid every problem is printed with its position and the running configuration stays.

            Several nodes: with `database: postgres://user@host:port/db`, start `orchestrator run --node NAME` on each machine (or several on one). Every node claims and runs jobs (each slot once: the database decides); one node, the leader, holds a lease and runs the services. A node not heard from for `node_dead_after` (config, default 10s; by the database's clock) is dead: its lease lapses, another node leads and takes its services over, and its running attempts are adopted (same host) or marked lost and retried. `orchestrator nodes` shows them.

            Example:
              orchestrator run >> var/logs/orchestrator.log 2>&1 &
              kill -HUP %1      # after editing jobs/*.yaml
              PGPASSWORD=… orchestrator run --db postgres://orch@db:5432/runs --node trader-1 --labels gpu
            """
    )

    @OptionGroup var local: GlobalOptions
    @ParentCommand var parent: Orchestrator
    @Option(help: ArgumentHelp("Seconds running attempts get to finish on shutdown.", valueName: "seconds"))
    var stopTimeout: Double = 10
    @Option(
        help: ArgumentHelp(
            "This node's name, when several run against one PostgreSQL store (default: the host's name). One live process per name.",
            valueName: "name"))
    var node: String?
    @Option(help: ArgumentHelp("This node's labels, comma-separated: jobs with `node: LABEL` run only on a node that has it.", valueName: "labels"))
    var labels: String = ""

    func run() throws {
        let options = global
        let workspace = try options.loadWorkspace()
        let zone = ZoneRules.of(workspace.config.timeZone)
        // A node started while its PostgreSQL (re)starts waits for it, as a running node does.
        let store = try options.openStore(workspace.config, node: node, patience: RunStores.isPostgres(workspace.config.database) ? 30 : 0)
        let nodes = store as? any NodeCoordination
        if nodes == nil, node != nil || !labels.isEmpty {
            throw CLIFailure.invalid("--node and --labels are for several nodes on one PostgreSQL store; \(store.location) is a SQLite file")
        }
        if let node, node.isEmpty || node.contains(where: { $0.isWhitespace || $0 == "," }) {
            throw CLIFailure.invalid("--node \"\(node)\": a node's name is one word")
        }
        if nodes == nil, let other = Daemon.liveDaemon(store) {
            throw CLIFailure.invalid("another orchestrator run (pid \(other.pid)) is already the daemon of \(store.location)")
        }
        let engine = Engine(
            workspace: workspace, store: store, clock: try currentClock(),
            onEvent: { event in
                let slot = event.scheduledFor.map { " (\(TimeFormat.clock(Int64($0), in: zone)))" } ?? ""
                print(
                    "\(TimeFormat.local(Int64(event.at), in: zone))  \(event.job)\(slot) #\(event.runId) \(event.state.rawValue)\(event.reason.map { ": \($0)" } ?? "")"
                )
                fflush(nil)
            })
        let serviceEvent = { (event: ServiceEvent) in
            print("\(TimeFormat.local(Int64(event.at), in: zone))  service \(event.service) \(event.kind.rawValue) [\(event.state.rawValue)]: \(event.detail)")
            fflush(nil)
        }
        // With several nodes the services run on the leader alone, from when it leads.
        if nodes == nil { engine.superviseServices(onEvent: serviceEvent) }
        let labelList = labels.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        engine.labels = Set(labelList)
        let membership = nodes.map { NodeMembership(store: $0, labels: labelList, deadAfter: workspace.config.nodeDeadAfter) }
        let files = WorkspaceFiles(configPath: options.config, jobsDirectory: options.jobs)
        let database = options.db
        let reload = {
            files.load().map { loaded -> Workspace in
                var w = loaded
                if let database { w.config.database = database }
                return w
            }
        }
        let daemon = Daemon(
            engine: engine, stopTimeout: stopTimeout, reload: reload, membership: membership, onServiceEvent: serviceEvent,
            log: { [engine] line in
                // On the engine's clock, as the events: leadership and outages placed among them.
                print("\(TimeFormat.local(Int64(engine.now), in: zone))  orchestrator run: \(line)")
                fflush(nil)
            })
        print(
            "orchestrator run: \(workspace.jobs.count) jobs, \(workspace.services.count) services, store \(store.location)\(nodes.map { ", node \($0.node)" } ?? ""), pid \(getpid())"
        )
        fflush(nil)
        var logger = Logger(label: "orchestrator")
        logger.logLevel = .warning
        let group = ServiceGroup(
            configuration: .init(
                services: [DaemonService(daemon: daemon)],
                gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        // The group runs on the concurrency pool; this thread waits for it.
        let outcome = Outcome()
        let done = DispatchSemaphore(value: 0)
        Task {
            do { try await group.run() } catch { outcome.set(error) }
            done.signal()
        }
        done.wait()
        if let running = outcome.error as? Daemon.AlreadyRunning { throw CLIFailure.invalid(running.description) }
        if let taken = outcome.error as? NodeMembership.NameTaken { throw CLIFailure.invalid(taken.description) }
        if let error = outcome.error { throw CLIFailure(text: "orchestrator run: \(error)\n", status: 1) }
        print("orchestrator run: stopped")
    }
}

/// An error handed from the group's task to the waiting thread.
final class Outcome: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: (any Error)?
    func set(_ error: any Error) { lock.withLock { stored = error } }
    var error: (any Error)? { lock.withLock { stored } }
}

/// The daemon as a ServiceLifecycle service: its blocking loop on a thread of its own, a
/// graceful shutdown that asks it to stop, and SIGHUP asking it to reload.
struct DaemonService: Service {
    let daemon: Daemon

    func run() async throws {
        let daemon = self.daemon
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask {
                for await _ in await UnixSignalsSequence(trapping: .sighup) { daemon.requestReload() }
            }
            tasks.addTask {
                try await withGracefulShutdownHandler {
                    try await withCheckedThrowingContinuation { (done: CheckedContinuation<Void, any Error>) in
                        Thread {
                            do { try daemon.run(); done.resume() } catch { done.resume(throwing: error) }
                        }.start()
                    }
                } onGracefulShutdown: {
                    daemon.requestStop()
                }
            }
            // The loop ending (stopped, or failed) ends the service; the SIGHUP listener with it.
            try await tasks.next()
            tasks.cancelAll()
        }
    }
}
