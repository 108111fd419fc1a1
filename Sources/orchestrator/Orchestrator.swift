import ArgumentParser

/// The `orchestrator` command: subcommands of SPEC §5.
struct Orchestrator: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "orchestrator",
        abstract: "A market-aware job orchestrator: schedules, dependencies and the exchange calendar.",
        discussion: """
            Jobs and services are declared in jobs/*.yaml; settings in config/config.yaml.
            Exit status: 0 success, 1 a job or run failed, 2 invalid input.

            Examples:
              orchestrator validate
              orchestrator plan --date 2026-11-27
              orchestrator calendar --from 2026-11-23 --to 2026-11-30
              orchestrator cron "*/15 9-16 * * 1-5" --after 2026-11-25T14:00:00Z --count 4
            """,
        subcommands: [
            ValidateCommand.self, PlanCommand.self, CalendarCommand.self, CronCommand.self, RunCommand.self, RunDayCommand.self, StatusCommand.self,
            TriggerCommand.self, RestartCommand.self, CatchUpCommand.self, HistoryCommand.self, ShowCommand.self, LogsCommand.self,
            DriveCommand.self, RestoreCommand.self, ServeCommand.self, NodesCommand.self,
        ]
    )

    /// Global options written before the subcommand.
    @OptionGroup var global: GlobalOptions
}

/// A subcommand that takes the global options, before or after its name.
protocol GlobalOptionsCommand: ParsableCommand {
    var local: GlobalOptions { get }
    var parent: Orchestrator { get }
}

extension GlobalOptionsCommand {
    var global: GlobalOptions { local.over(parent.global) }
}
