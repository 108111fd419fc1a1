import AlphaTrader
import ArgumentParser
import Foundation
import OrchestratorCore

struct Analytics: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "VPIN, order-book imbalance, hidden orders and sweeps per symbol → analytics:{sym}:*.",
        discussion: """
            Reads each symbol's stream market:{sym}:stream (written by ingest) from the session's
            first entry, so that every trade is seen exactly once and in order, and keeps per symbol:
              analytics:{sym}:vpin    VPIN over the last 50 volume buckets (bulk-volume classification)
              analytics:{sym}:obi     order-book imbalance, −1…1 (top five levels for level-2 symbols)
              analytics:{sym}:hidden  prints inside the spread or beyond the displayed size
              analytics:{sym}:sweeps  sweeps across levels and exchanges
            The VPIN bucket size comes from discovery (discovery:{sym}:params) once it has run.
            Writes module:heartbeat:analytics every market second; runs until SIGTERM.

            Example:
              alphatrader analytics --config config/config.yaml
            """
    )

    @OptionGroup var common: CommonOptions

    func run() throws {
        StopSignal.install()
        let context = try loadContext(common, module: "analytics")
        let symbols = context.config.symbols
        _ = AnalyticsService(context: context, symbols: symbols.all, level2: symbols.level2).run()
    }
}
