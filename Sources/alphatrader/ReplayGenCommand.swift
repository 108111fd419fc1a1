import AlphaTrader
import ArgumentParser
import Foundation
import OrchestratorCore

struct ReplayGen: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay-gen",
        abstract: "Writes a realistic replay tape for one trading day of the configured symbols.",
        discussion: """
            The tape holds trades, NBBO quotes, level-2 depth updates per exchange (ARCA, BATS,
            ISLAND, IEX) with market-maker ids for the level-2 symbols, and 5-second bars: intraday
            U-shaped activity, volatility clustering, correlated symbols, heavy-tailed clustered
            trade sizes, sweeps; in the last hour, index ETFs drawn to the strike where the dealers of
            the Alpha Vantage stand-in's open interest are longest gamma (a pin). The same date and
            seed give the same tape. The file is written
            next to its destination and renamed into place. Format: README, "The replay tape".

            Examples:
              alphatrader replay-gen --date 2026-11-25 --seed 7
              alphatrader replay-gen --date 2026-11-27 --from 09:30 --to 10:00 --out /tmp/early.tape
            """
    )

    @OptionGroup var common: CommonOptions
    @Option(help: "Trading day (YYYY-MM-DD); default: the clock's trading day, or the next session.")
    var date: String?
    @Option(help: "Random seed.") var seed: UInt64 = TapeGenerator.defaultSeed
    @Option(help: "Output file; default var/tapes/<date>.tape.") var out: String?
    @Option(help: "Only events from this exchange time (HH:MM) on.") var from: String?
    @Option(help: "Only events before this exchange time (HH:MM).") var to: String?
    @Flag(help: "Keep an existing tape instead of writing it again.") var ifMissing = false
    @Flag(help: "Print the summary as JSON.") var json = false

    func run() throws {
        let context = try loadContext(common, module: "replay-gen")
        let session = try tapeSession(context, date: date)
        let calendar = context.config.calendar
        let path = out ?? defaultTapePath(session)
        if ifMissing, FileManager.default.fileExists(atPath: path) {
            do {
                let reader = try TapeReader(path: path, verify: false)
                context.log("tape already there", ["path": path, "date": reader.header.date])
                if json { print("{\"path\":\(quoted(path)),\"written\":false}") }
                return
            } catch { context.log("existing tape unreadable, writing it again", ["error": error.description]) }
        }
        var fromInstant: Int64?, toInstant: Int64?
        if let from { fromInstant = try instant(from, on: session, calendar: calendar, option: "--from") }
        if let to { toInstant = try instant(to, on: session, calendar: calendar, option: "--to") }
        if let f = fromInstant, let t = toInstant, f >= t { throw invalidInput("--from \(from!) is not before --to \(to!)") }
        let started = Date()
        let summary = try writeTape(context, session: session, seed: seed, path: path, from: fromInstant, to: toInstant)
        let seconds = Date().timeIntervalSince(started)
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        if json {
            print(
                "{\"path\":\(quoted(path)),\"written\":true,\"date\":\"\(session.date)\",\"seed\":\(seed),\"events\":\(summary.total),\"trades\":\(summary.trades),\"quotes\":\(summary.quotes),\"depth\":\(summary.depth),\"bars\":\(summary.bars),\"bytes\":\(size),\"seconds\":\(String(format: "%.3f", seconds))}"
            )
        } else {
            print(
                "wrote \(path): \(summary.total) events (\(summary.trades) trades, \(summary.quotes) quotes, \(summary.depth) depth updates, \(summary.bars) bars), \(size / 1_000_000) MB in \(String(format: "%.2f", seconds)) s"
            )
        }
    }
}

func quoted(_ s: String) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.withoutEscapingSlashes]
    return String(data: try! encoder.encode(s), encoding: .utf8)!
}
