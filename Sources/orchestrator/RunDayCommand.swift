import ArgumentParser
import Foundation
import OrchestratorCore
import OrchestratorRuntime

struct RunDayCommand: GlobalOptionsCommand {
    static let configuration = CommandConfiguration(
        commandName: "run-day",
        abstract: "Run one whole trading day of the declared jobs on a simulated clock.",
        discussion: """
            The clock starts at the day's 00:00 (or --from) in the configured time zone and runs
            --speed times real time; timeouts, delays and deadlines follow it, and every attempt gets
            ORCHESTRATOR_CLOCK so it reads the same simulated now. Prints one line per state change,
            then a summary table; exits 1 if any run failed. Running it again for the same day
            resumes: no slot runs twice. Services are supervised from the next release on; until
            then a job that depends on a service does not start.

            Examples:
              orchestrator run-day --date 2026-11-27 --speed 3600
              orchestrator run-day --from 09:00 --speed 600 --json
              orchestrator run-day --date 2026-11-25 --from 09:20 --until 10:00 --speed 10
            """
    )

    @OptionGroup var local: GlobalOptions
    @ParentCommand var parent: Orchestrator
    @Option(help: ArgumentHelp("The trading day (YYYY-MM-DD); default today.", valueName: "date")) var date: String?
    @Option(help: ArgumentHelp("Simulated seconds per real second (default 1: real time; 600 = ten minutes a second).", valueName: "x"))
    var speed: Double = 1
    @Option(name: .customLong("from"), help: ArgumentHelp("Start the clock at this local time (HH:MM) and skip earlier slots.", valueName: "HH:MM"))
    var fromTime: String?
    @Option(
        name: .customLong("until"),
        help: ArgumentHelp("Stop the day at this local time (HH:MM): later slots are not run, running jobs and services are stopped.", valueName: "HH:MM"))
    var untilTime: String?
    @Flag(help: "Print the day's runs as a JSON array at the end (no progress lines).") var json = false

    func run() throws {
        let workspace = try global.loadWorkspace()
        let zone = ZoneRules.of(workspace.config.timeZone)
        guard speed > 0, speed <= SimulatedClock.maximumSpeed else {
            throw CLIFailure.invalid("--speed must be above 0 and at most \(Int(SimulatedClock.maximumSpeed)), found \(speed)")
        }
        let from = try fromTime.map { text -> TimeOfDay in
            guard let t = TimeOfDay(parsing: text) else { throw CLIFailure.invalid("--from \"\(text)\" is not a time such as 09:00") }
            return t
        }
        let until = try untilTime.map { text -> TimeOfDay in
            guard let t = TimeOfDay(parsing: text) else { throw CLIFailure.invalid("--until \"\(text)\" is not a time such as 16:00") }
            if let from, t.secondsOfDay <= from.secondsOfDay { throw CLIFailure.invalid("--until \(text) is not after --from \(fromTime!)") }
            return t
        }
        let day = try date.map { try parseDate($0, option: "--date") } ?? (try today(in: zone))
        let store = try global.openStore(workspace.config)
        var runDay: RunDay
        do {
            runDay = try RunDay(workspace: workspace, store: store, day: day, speed: speed, from: from)
            runDay.until = until
        } catch {
            throw CLIFailure.invalid(error.description)
        }
        ProcessControl.catchStopSignals()
        let interactive = isatty(1) != 0 && !json
        if !json {
            print("run-day \(day) at \(speed == 1 ? "real time" : "\(formatSpeed(speed))× speed"), store \(store.location)")
        }
        // On a terminal, a status line under the events: the simulated time and runs by state.
        var states: [Int64: RunState] = [:]
        let runs = try runDay.run(
            onEvent: { event in
                guard !json else { return }
                let slot = event.scheduledFor.map { " (\(TimeFormat.clock(Int64($0), in: zone)))" } ?? ""
                let attempt = event.state == .running ? " attempt \(event.attempt)" : ""
                let reason = event.reason.map { ": \($0)" } ?? ""
                let line = "\(RunOutput.clock(event.at, zone))  \(event.job)\(slot) #\(event.runId) \(event.state.rawValue)\(attempt)\(reason)"
                if interactive {
                    states[event.runId] = event.state
                    let counts = Dictionary(grouping: states.values, by: { $0 }).mapValues(\.count)
                    let summary = [RunState.running, .queued, .pending, .retrying, .succeeded, .failed]
                        .compactMap { st in counts[st].map { "\($0) \(st.rawValue)" } }.joined(separator: " · ")
                    print("\u{1B}[2K\r" + line)
                    print("\u{1B}[2K\u{1B}[7m \(RunOutput.clock(event.at, zone))  \(summary) \u{1B}[0m", terminator: "\r")
                } else {
                    print(line)
                }
                fflush(nil)
            },
            onServiceEvent: { event in
                guard !json else { return }
                print(
                    "\(interactive ? "\u{1B}[2K\r" : "")\(RunOutput.clock(event.at, zone))  service \(event.service) \(event.kind.rawValue) [\(event.state.rawValue)]: \(event.detail)"
                )
                fflush(nil)
            }, shouldStop: { ProcessControl.stopRequested })
        if interactive { print("\u{1B}[2K", terminator: "") }
        if json {
            printJSON(.array(runs.map { RunJSON.json($0) }))
        } else {
            print("")
            print(runs.isEmpty ? "no runs" : RunOutput.table(runs, zone: zone))
            let failed = runs.filter(\.state.isFailure).count
            print("\(runs.count) run\(runs.count == 1 ? "" : "s"), \(runs.filter { $0.state == .succeeded }.count) succeeded, \(failed) failed")
            let attempts = try runs.filter { workspace.jobs[$0.job] != nil }.flatMap { r in try store.attempts(of: r.id!).map { (job: r.job, attempt: $0) } }
            let timeouts = workspace.jobs.compactMapValues { $0.timeout?.seconds }
            let slowest = RunOutput.slowestAttempts(attempts, timeouts: timeouts, speed: speed, zone: zone)
            if !slowest.isEmpty { print("\n" + slowest) }
            let lastWords = try runs.filter { workspace.services[$0.job] != nil }.compactMap { r -> [String]? in
                guard let log = try store.attempts(of: r.id!).last?.log, let line = RunOutput.lastLine(ofFile: log) else { return nil }
                return [r.job, line]
            }
            if !lastWords.isEmpty { print("\neach service's last log line:\n" + table(lastWords)) }
        }
        if ProcessControl.stopRequested {
            throw CLIFailure(text: "run-day interrupted; run it again to resume the day\n", status: 1)
        }
        if runs.contains(where: \.state.isFailure) { throw ExitCode(1) }
    }

    func formatSpeed(_ s: Double) -> String { s == s.rounded() ? String(Int(s)) : String(s) }
}
