import ArgumentParser
import Foundation

/// The trading system's executable (SPEC §8): every subcommand it declares works.
struct AlphaTrader: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alphatrader",
        abstract: "AlphaTrader's jobs and services, one subcommand each, run by the orchestrator.",
        discussion: """
            Each subcommand reads config/config.yaml, honours ORCHESTRATOR_CLOCK (the simulated clock
            of run-day), logs one line per event to stderr and exits 0 (success), 1 (failed) or 2
            (invalid input). Services stop cleanly on SIGTERM.

            Examples:
              alphatrader replay-gen --date 2026-11-25 --seed 7
              alphatrader ingest --source replay --tape var/tapes/2026-11-25.tape
            """,
        subcommands: [
            Ingest.self, Analytics.self, Discover.self, Premarket.self, ReplayGen.self, TWSSim.self,
            PlaceOrder.self, ListOrders.self, ListPositions.self, CancelOrders.self, Emergency.self, StrategiesCommand.self, Signals.self,
            Execute.self, MarketOpen.self, MOC.self, Day.self, MorningAnalysisCommand.self, PostCommand.self, Distribute.self, BackupCommand.self,
            RestoreCommand.self, RedisCompact.self, EveningReportCommand.self, DashboardCommand.self, BacktestCommand.self,
        ]
    )
}

// Entry point: parse, run, and turn every error into SPEC §8's exit status (0 success, 1
// failed, 2 invalid input). ArgumentParser's own usage errors would exit 64; they are invalid
// input, so 2.
do {
    var command = try AlphaTrader.parseAsRoot()
    try command.run()
} catch let code as ExitCode {
    exit(code.rawValue)
} catch {
    let code = AlphaTrader.exitCode(for: error)
    if code == .success {
        print(AlphaTrader.fullMessage(for: error))
        exit(0)
    }
    FileHandle.standardError.write(Data(("alphatrader: " + AlphaTrader.fullMessage(for: error) + "\n").utf8))
    exit(code == .validationFailure ? 2 : code.rawValue)
}
