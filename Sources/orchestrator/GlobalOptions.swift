import ArgumentParser
import Foundation
import OrchestratorCore
import OrchestratorRuntime

#if PostgreSQL
    import OrchestratorPostgres
#endif

/// Options every command takes (SPEC §2), before or after the subcommand's name
/// (`orchestrator --config c.yaml plan` or `orchestrator plan --config c.yaml`); they override
/// the configuration file's values.
struct GlobalOptions: ParsableArguments {
    @Option(name: .customLong("config"), help: ArgumentHelp("The configuration file (default: config/config.yaml).", valueName: "path"))
    var configOption: String?

    @Option(name: .customLong("jobs"), help: ArgumentHelp("The directory of job files, *.yaml (default: jobs).", valueName: "dir"))
    var jobsOption: String?

    @Option(name: .long, help: ArgumentHelp("The run store (SQLite file); overrides `database:` of the configuration.", valueName: "path"))
    var db: String?

    var config: String { configOption ?? "config/config.yaml" }
    var jobs: String { jobsOption ?? "jobs" }

    /// These options, with those given before the subcommand filling what is not given after it.
    func over(_ parent: GlobalOptions) -> GlobalOptions {
        var merged = self
        merged.configOption = configOption ?? parent.configOption
        merged.jobsOption = jobsOption ?? parent.jobsOption
        merged.db = db ?? parent.db
        return merged
    }

    /// The validated workspace, or exit 2 with every diagnostic.
    func loadWorkspace() throws -> Workspace {
        switch WorkspaceFiles(configPath: config, jobsDirectory: jobs).load() {
        case .success(var w):
            if let db { w.config.database = db }
            return w
        case .failure(let d): throw CLIFailure.diagnostics(d)
        }
    }

    /// The run store named by --db or the configuration's `database:`, or exit 2 with why.
    /// `patience`: seconds to wait for a store that is unavailable (a server restarting), saying
    /// so once — a daemon started with its database is not invalid input.
    func openStore(_ config: Config, node: String? = nil, patience: Double = 0) throws -> any RunStore {
        let deadline = Date().addingTimeInterval(patience)
        var said = false
        while true {
            do {
                return try RunStores.open(db ?? config.database, node: node, postgres: postgresStores)
            } catch  where error.code == .unavailable && Date() < deadline {
                if !said {
                    FileHandle.standardError.write(Data("orchestrator: \(error.description); waiting up to \(Int(patience)) s for it\n".utf8))
                    said = true
                }
                Thread.sleep(forTimeInterval: 0.5)
            } catch {
                throw CLIFailure.invalid(error.description)
            }
        }
    }

    /// The configuration alone (for commands that need no jobs), or exit 2.
    func loadConfig() throws -> Config {
        switch WorkspaceFiles(configPath: config, jobsDirectory: jobs).loadConfig() {
        case .success(var c):
            if let db { c.database = db }
            return c
        case .failure(let d): throw CLIFailure.diagnostics(d)
        }
    }
}

/// Parses `YYYY-MM-DD` for an option, or exits 2 naming the option.
func parseDate(_ text: String, option: String) throws -> LocalDate {
    guard let d = LocalDate(parsing: text) else {
        throw CLIFailure.invalid("\(option) \"\(text)\" is not a date; write YYYY-MM-DD, such as 2026-11-27")
    }
    return d
}

/// Now, by `ORCHESTRATOR_CLOCK` when it is set (a run-day child sees the simulated day), else
/// the system clock; a malformed value is invalid input.
func currentTime() throws -> Int64 {
    let now: Double
    do {
        now = try SimulatedClock.fromEnvironment(ProcessInfo.processInfo.environment).now()
    } catch {
        throw CLIFailure.invalid(error.description)
    }
    // Years 1 to 9999: anything else is a clock mapping gone wrong, not a date.
    guard let seconds = Int64(exactly: now.rounded(.down)), seconds > -62_135_596_800, seconds < 253_402_300_800 else {
        throw CLIFailure.invalid("\(SimulatedClock.environmentKey) maps now outside the years 1-9999")
    }
    return seconds
}

/// The clock commands run on: simulated under ORCHESTRATOR_CLOCK, else the system's.
func currentClock() throws -> any WallClock {
    do {
        return try SimulatedClock.fromEnvironment(ProcessInfo.processInfo.environment)
    } catch {
        throw CLIFailure.invalid(error.description)
    }
}

/// Today's date in a zone.
func today(in zone: ZoneRules) throws -> LocalDate {
    zone.localDate(of: try currentTime())
}

/// Writes a JSON document to stdout.
func printJSON(_ value: JSONValue) {
    print(value.serialized(pretty: true))
}

/// Left-aligned columns, two spaces apart.
func table(_ rows: [[String]]) -> String { TextTable.render(rows) }

/// How this build opens a PostgreSQL store: through OrchestratorPostgres with the `PostgreSQL`
/// trait (the default), not at all without it.
#if PostgreSQL
    let postgresStores: RunStores.Opener? = PostgresRunStore.opener
#else
    let postgresStores: RunStores.Opener? = nil
#endif
