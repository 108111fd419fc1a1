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

            With --from-date and --to-date, a calendar of tapes: one per session of the exchange
            calendar in the range (weekends and holidays skipped, early closes end at their
            close), each day's seed mixed from --seed and its date, and its regime drawn from that
            — calm, normal or volatile, trending up, down or not at all — every day opening where
            the premarket stand-in quotes its options. They go to --out as a directory
            (default var/tapes/), DATE.tape each; `alphatrader backtest --from … --to …` runs the
            same days.

            Examples:
              alphatrader replay-gen --date 2026-11-25 --seed 7
              alphatrader replay-gen --date 2026-11-27 --from 09:30 --to 10:00 --out /tmp/early.tape
              alphatrader replay-gen --from-date 2026-11-23 --to-date 2026-12-04 --out /tmp/tapes
            """
    )

    @OptionGroup var common: CommonOptions
    @Option(help: "Trading day (YYYY-MM-DD); default: the clock's trading day, or the next session.")
    var date: String?
    @Option(help: "Random seed.") var seed: UInt64 = TapeGenerator.defaultSeed
    @Option(help: "First session of a calendar of tapes (YYYY-MM-DD).") var fromDate: String?
    @Option(help: "Last session of a calendar of tapes (YYYY-MM-DD).") var toDate: String?
    @Option(help: "Output file; default var/tapes/<date>.tape (with --from-date: a directory, default var/tapes).") var out: String?
    @Option(help: "Only events from this exchange time (HH:MM) on.") var from: String?
    @Option(help: "Only events before this exchange time (HH:MM).") var to: String?
    @Flag(help: "Keep an existing tape instead of writing it again.") var ifMissing = false
    @Flag(help: "Print the summary as JSON.") var json = false

    func run() throws {
        let context = try loadContext(common, module: "replay-gen")
        if fromDate != nil || toDate != nil {
            try calendar(context)
            return
        }
        let session = try tapeSession(context, date: date)
        let path = out ?? defaultTapePath(session)
        let line = try write(context, session: session, path: path, calendar: false)
        print(line)
    }

    /// One tape per session from --from-date to --to-date, into the --out directory.
    private func calendar(_ context: AlphaContext) throws {
        guard date == nil else { throw invalidInput("--date and --from-date/--to-date: give one day or a range, not both") }
        guard let fromDate, let toDate else { throw invalidInput("--from-date and --to-date go together") }
        let sessions = try sessionsBetween(context, from: (fromDate, "--from-date"), to: (toDate, "--to-date"))
        let directory = out ?? "var/tapes"
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch { throw failure("\(directory): cannot create the directory: \(error.localizedDescription)") }
        var lines: [String] = []
        for (i, session) in sessions.enumerated() {
            let line = try write(context, session: session, path: "\(directory)/\(session.date).tape", calendar: true)
            if json { lines.append(line) } else { print("[\(i + 1)/\(sessions.count)] \(line)") }
        }
        if json { print("[" + lines.joined(separator: ",") + "]") }
    }

    /// Writes one session's tape (or keeps it, --if-missing) and returns its summary line.
    private func write(_ context: AlphaContext, session: Session, path: String, calendar isCalendar: Bool) throws -> String {
        let calendar = context.config.calendar
        if ifMissing, FileManager.default.fileExists(atPath: path) {
            do {
                let reader = try TapeReader(path: path, verify: false)
                context.log("tape already there", ["path": path, "date": reader.header.date])
                return json ? "{\"path\":\(quoted(path)),\"written\":false}" : "kept \(path)"
            } catch { context.log("existing tape unreadable, writing it again", ["error": error.description]) }
        }
        var fromInstant: Int64?, toInstant: Int64?
        if let from { fromInstant = try instant(from, on: session, calendar: calendar, option: "--from") }
        if let to { toInstant = try instant(to, on: session, calendar: calendar, option: "--to") }
        if let f = fromInstant, let t = toInstant, f >= t { throw invalidInput("--from \(from!) is not before --to \(to!)") }
        let started = Date()
        let summary = try writeTape(context, session: session, seed: seed, path: path, from: fromInstant, to: toInstant, calendar: isCalendar)
        let seconds = Date().timeIntervalSince(started)
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        let day = isCalendar ? calendarDay(seed, session) : (seed: seed, regime: TapeGenerator.Regime.normal)
        let early = session.isEarlyClose ? ", early close" : ""
        if json {
            let regime =
                "{\"name\":\"\(day.regime.name)\",\"trend\":\"\(day.regime.trend)\",\"volatility\":\(day.regime.volatility),\"drift\":\(String(format: "%.6f", day.regime.drift))}"
            return
                "{\"path\":\(quoted(path)),\"written\":true,\"date\":\"\(session.date)\",\"seed\":\(day.seed),\"regime\":\(regime),\"early_close\":\(session.isEarlyClose),\"events\":\(summary.total),\"trades\":\(summary.trades),\"quotes\":\(summary.quotes),\"depth\":\(summary.depth),\"bars\":\(summary.bars),\"bytes\":\(size),\"seconds\":\(String(format: "%.3f", seconds))}"
        }
        let regime = isCalendar ? " — \(day.regime)\(early)" : early
        return
            "wrote \(path): \(summary.total) events (\(summary.trades) trades, \(summary.quotes) quotes, \(summary.depth) depth updates, \(summary.bars) bars), \(size / 1_000_000) MB in \(String(format: "%.2f", seconds)) s\(regime)"
    }
}

func quoted(_ s: String) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.withoutEscapingSlashes]
    return String(data: try! encoder.encode(s), encoding: .utf8)!
}
