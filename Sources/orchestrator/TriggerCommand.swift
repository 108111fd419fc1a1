import ArgumentParser
import Foundation
import OrchestratorCore
import OrchestratorRuntime

struct TriggerCommand: GlobalOptionsCommand {
    static let configuration = CommandConfiguration(
        commandName: "trigger",
        abstract: "Start a manual run of a job; print its id.",
        discussion: """
            The run starts now, whatever its dependencies: --with-upstream first runs every job it
            depends on (and waits for them), --with-downstream also runs every job that depends on
            it afterwards. Without --wait the runs go on in the background and the command returns;
            with --wait it follows them and exits with the run's outcome (0 succeeded, 1 failed).
            Each --param K=V reaches the job as ORCHESTRATOR_PARAM_K.

            Examples:
              orchestrator trigger parameter-discovery --wait
              orchestrator trigger morning-post --with-upstream --param CHANNEL=discord
            """
    )

    @OptionGroup var local: GlobalOptions
    @ParentCommand var parent: Orchestrator
    @Argument(help: "The job to run.") var job: String
    @Flag(help: "Also run every job it depends on, first.") var withUpstream = false
    @Flag(help: "Also run every job that depends on it, after it.") var withDownstream = false
    @Option(name: .customLong("param"), help: ArgumentHelp("A parameter for the job, as K=V (repeatable).", valueName: "K=V"))
    var params: [String] = []
    @Flag(help: "Follow the run and exit with its outcome.") var wait = false
    @Flag(help: "Print the run as JSON.") var json = false

    func run() throws {
        let workspace = try global.loadWorkspace()
        guard workspace.jobs[job] != nil else {
            if workspace.services[job] != nil {
                throw CLIFailure.invalid("\"\(job)\" is a service; trigger runs jobs")
            }
            throw CLIFailure.invalid("unknown job \"\(job)\"\(Suggestion.hint(for: job, in: workspace.jobs.keys))")
        }
        guard !(withUpstream && withDownstream) else {
            throw CLIFailure.invalid("--with-upstream and --with-downstream go one at a time")
        }
        var parameters: [String: String] = [:]
        for p in params {
            guard let eq = p.firstIndex(of: "="), eq != p.startIndex,
                p[..<eq].allSatisfy({ $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) })
            else {
                throw CLIFailure.invalid("--param \"\(p)\" is not K=V with K made of letters, digits and _")
            }
            parameters[String(p[..<eq])] = String(p[p.index(after: eq)...])
        }
        let store = try global.openStore(workspace.config)
        let clock = try currentClock()
        let now = clock.now()
        let day: LocalDate
        do {
            day = try workspace.calendar.tradingDay(of: Int64(now))
        } catch {
            throw CLIFailure.invalid(error.description)
        }
        let graph = workspace.graph
        let order = graph.topologicalOrder()
        var created: [RunRecord] = []
        let ups = withUpstream ? graph.allUpstreams(of: job) : []
        for name in order where ups.contains(name) && workspace.jobs[name] != nil {
            created.append(
                try store.createRun(
                    job: name, tradingDay: day.description, trigger: .manual,
                    state: waitsForJobs(name, among: ups, workspace) ? .pending : .queued, now: now))
        }
        let target = try store.createRun(
            job: job, tradingDay: day.description, trigger: .manual,
            state: waitsForJobs(job, among: ups, workspace) ? .pending : .queued,
            now: now, params: parameters)
        created.append(target)
        if withDownstream {
            let downs = graph.allDownstreams(of: job)
            for name in order where downs.contains(name) && workspace.jobs[name] != nil {
                created.append(try store.createRun(job: name, tradingDay: day.description, trigger: .manual, state: .pending, now: now))
            }
        }
        let ids = Set(created.map { $0.id! })
        if !wait {
            try startDetachedDriver(ids: ids, day: day, workspace: workspace, store: store)
            if json { printJSON(RunJSON.json(target)) } else { print(target.id!) }
            return
        }
        if !json { print(target.id!) }
        ProcessControl.catchStopSignals()
        let zone = ZoneRules.of(workspace.config.timeZone)
        let engine = Engine(
            workspace: workspace, store: store, clock: clock,
            onEvent: { event in
                guard !json else { return }
                FileHandle.standardError.write(
                    Data(
                        "\(RunOutput.clock(event.at, zone))  \(event.job) #\(event.runId) \(event.state.rawValue)\(event.reason.map { ": \($0)" } ?? "")\n".utf8
                    ))
            })
        try RunDriver(engine: engine).drive(ids, day: day, shouldStop: { ProcessControl.stopRequested })
        let final = try store.run(target.id!)!
        if json { printJSON(RunJSON.json(final, attempts: try store.attempts(of: final.id!))) } else { print(final.state.rawValue) }
        if final.state != .succeeded { throw ExitCode(1) }
    }

    /// Whether a created run waits (pending) for other runs created with it.
    func waitsForJobs(_ name: String, among set: Set<String>, _ workspace: Workspace) -> Bool {
        workspace.jobs[name]?.dependsOn.contains { set.contains($0) && workspace.jobs[$0] != nil } ?? false
    }

    /// Runs the new runs in a background `orchestrator _drive` so this command can return.
    func startDetachedDriver(ids: Set<Int64>, day: LocalDate, workspace: Workspace, store: any RunStore) throws {
        let cwd = FileManager.default.currentDirectoryPath
        func absolute(_ p: String) -> String { p.hasPrefix("/") || p.contains("://") ? p : cwd + "/" + p }
        var args = [
            ProcessControl.executablePath, "_drive", "--config", absolute(global.config), "--jobs", absolute(global.jobs),
            "--db", absolute(store.location), "--day", day.description,
        ]
        for id in ids.sorted() { args += ["--run", String(id)] }
        try FileManager.default.createDirectory(atPath: workspace.config.logs, withIntermediateDirectories: true)
        let logFD = open(workspace.config.logs + "/driver.log", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        defer { if logFD >= 0 { close(logFD) } }
        do {
            _ = try ProcessControl.spawn(args, environment: ProcessInfo.processInfo.environment, logFD: logFD)
        } catch {
            throw CLIFailure(text: "error: \(error)\n", status: 1)
        }
    }
}

/// Drives runs created by `trigger` in the background (not for people to run).
struct DriveCommand: GlobalOptionsCommand {
    static let configuration = CommandConfiguration(commandName: "_drive", abstract: "Run triggered runs to their end.", shouldDisplay: false)

    @OptionGroup var local: GlobalOptions
    @ParentCommand var parent: Orchestrator
    @Option var day: String
    @Option(name: .customLong("run")) var runs: [Int64]

    func run() throws {
        let workspace = try global.loadWorkspace()
        let store = try global.openStore(workspace.config)
        ProcessControl.catchStopSignals()
        let engine = Engine(workspace: workspace, store: store, clock: try currentClock())
        try RunDriver(engine: engine).drive(Set(runs), day: try parseDate(day, option: "--day"), shouldStop: { ProcessControl.stopRequested })
    }
}
