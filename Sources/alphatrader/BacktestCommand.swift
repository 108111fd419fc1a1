import AlphaTrader
import AlphaTraderBacktest
import ArgumentParser
import Foundation
import OrchestratorCore

struct BacktestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backtest",
        abstract: "Runs the live strategies, risk checks and order path over tapes against the paper broker, at full speed.",
        discussion: """
            Each day's tape drives the same ingestion state, analytics, discovery (every 15
            minutes of the session), strategies, risk manager, order path and position management
            as the live day, against tws-sim's paper broker in the same process — on a virtual
            clock that moves from second to second, so a day takes seconds. The journal, the
            paper account and the log are written to --out.

            Examples:
              alphatrader backtest --tapes var/tapes/2026-12-07.tape
            """
    )

    @OptionGroup var common: CommonOptions
    @Option(parsing: .upToNextOption, help: "Tapes to run, one per day, in order.") var tapes: [String] = []
    @Option(help: "The strategies file.") var strategiesFile = StrategiesConfig.file
    @Option(help: "Where the journal, the account, the log and the reports go.") var out = "var/backtest"
    @Flag(help: "Print the result as JSON.") var json = false

    func run() throws {
        let context = try loadContext(common, module: "backtest")
        let strategies = try loadStrategies(context, file: strategiesFile)
        guard !tapes.isEmpty else { throw invalidInput("--tapes: give at least one tape") }
        var options = Backtest.Options(tapes: tapes, config: context.config, strategies: strategies, directory: out)
        options.dayDone = { o in
            FileHandle.standardError.write(
                Data(
                    "\(o.session.date): \(o.events) events, \(o.steps) steps, \(o.report.signals) signals, \(o.report.entries) entries, \(o.report.closed) closed, realized \(String(format: "%.2f", o.report.realized)), \(String(format: "%.2f", o.seconds)) s (\(o.phases.map { "\($0.name) \(String(format: "%.2f", $0.seconds))" }.joined(separator: ", ")))\n"
                        .utf8))
        }
        do { _ = try Backtest(options).run() } catch { throw failure("\(error)") }
    }
}
