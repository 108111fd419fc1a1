import ArgumentParser
import Foundation
import OrchestratorCore
import OrchestratorRuntime

struct ShowCommand: GlobalOptionsCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "One run with all its attempts: exit codes, signals, durations, log paths.",
        discussion: "Example:\n  orchestrator show 42 --json"
    )

    @OptionGroup var local: GlobalOptions
    @ParentCommand var parent: Orchestrator
    @Argument(help: "The run id.") var runText: String
    @Flag(help: "Print the run as JSON with an \"attempts_detail\" array.") var json = false

    func run() throws {
        let config = try global.loadConfig()
        let zone = ZoneRules.of(config.timeZone)
        let store = try global.openStore(config)
        let record = try loadRun(runText, store: store)
        let attempts = try store.attempts(of: record.id!)
        if json {
            printJSON(RunJSON.json(record, attempts: attempts))
            return
        }
        print("run \(record.id!)  \(record.job)  \(record.state.rawValue)\(record.reason.map { " (\($0))" } ?? "")")
        print(
            "trading day \(record.tradingDay), trigger \(record.trigger.rawValue)"
                + (record.scheduledFor.map { ", slot \(TimeFormat.local(Int64($0), in: zone))" } ?? ""))
        if let p = record.causeRunId { print("triggered by the failure of run \(p)") }
        if !record.parameters.isEmpty {
            print("params: " + record.parameters.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))
        }
        var rows = [["ATTEMPT", "PID", "STARTED", "DURATION", "OUTCOME", "EXIT", "LOG"]]
        for a in attempts {
            rows.append([
                String(a.number), a.pid.map(String.init) ?? "-", RunOutput.clock(a.startedAt, zone),
                RunOutput.durationText(a.finishedAt.map { $0 - a.startedAt }), a.outcome.rawValue,
                a.signal.map { "signal \($0)" } ?? a.exitCode.map(String.init) ?? "-", a.log,
            ])
        }
        print(attempts.isEmpty ? "no attempts" : table(rows))
    }
}
