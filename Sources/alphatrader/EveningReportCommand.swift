import AlphaTrader
import ArgumentParser
import Foundation
import OrchestratorCore
import OrchestratorRuntime
import Redis

struct EveningReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evening-report",
        abstract: "The day's P&L, trades, Sharpe, Sortino, drawdown, risk events and job runs → HTML with charts, JSON and a PNG.",
        discussion: """
            Reads, never writes: the trade journal (a read-only connection), the day's P&L at the
            marks from Redis (pnl:day; without Redis the unrealized P&L is left out, said so), and
            the orchestrator's runs and services through its own JSON (orchestrator history --day D
            --json and status --json; the orchestrator binary beside this one or on PATH). Writes
            var/reports/DATE/evening.html (self-contained: inline CSS and SVG charts of the intraday
            equity and drawdown, P&L by strategy, the equity to date and the day's runs; nothing
            fetched from the network), evening.json (SPEC §12) and evening.png (the equity chart,
            by rsvg-convert from Debian's librsvg2-bin) for the evening post.

            Figures: P&L includes commissions; win rate, average win and loss, profit factor
            (gross profit / gross loss) and largest loss over the positions closed that day; the
            history runs from the first day a position closed, every trading day counted (a day
            without trades is a return of zero); daily returns on the equity of the day before,
            starting from --capital; Sharpe and Sortino annualised by √252 with a risk-free rate of
            zero, Sortino's downside deviation over every day; the maximum drawdown of the
            end-of-day equity with its dates.

            Examples:
              alphatrader evening-report                     # the clock's session
              alphatrader evening-report --date 2026-12-07 --json
            """
    )

    @OptionGroup var common: CommonOptions
    @Option(help: "The session (YYYY-MM-DD); default the clock's day, which must be a session.") var date: String?
    @Option(help: "The trade journal (read only).") var journal = "var/trading.sqlite"
    @Option(help: "The account's equity before the history's first day (the paper account starts with 100,000).") var capital = 100_000.0
    @Option(help: "Where the reports go (DATE/evening.*).") var reports = "var/reports"
    @Flag(help: "Print evening.json as well.") var json = false

    func run() throws {
        let context = try loadContext(common, module: "evening-report")
        guard capital > 0 else { throw invalidInput("--capital \(capital): expected a positive amount") }
        let calendar = context.config.calendar
        let zone = ZoneRules.of(calendar.timeZone)
        let day = try chosenDay(context, date: date)
        let session = try session(on: day, calendar)
        guard FileManager.default.fileExists(atPath: journal) else { throw failure("\(journal): no trade journal (has the execution service run?)") }
        var inputs: EveningReport.Inputs
        do {
            let j = try Journal(readingOnly: journal)
            inputs = try EveningReportReader.inputs(
                journal: j, session: session, calendar: calendar, capital: capital, unrealized: unrealized(context, session: day))
        } catch {
            throw failure("\(error)")
        }
        readRuns(into: &inputs, day: day, database: context.config.database)
        let report = EveningReport(inputs)
        let directory = "\(reports)/\(day)"
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try write(EveningRender.html(report, zone: zone), to: directory + "/evening.html")
            try write(report.document.serialized(pretty: true) + "\n", to: directory + "/evening.json")
        } catch {
            throw failure("\(directory): \(error.localizedDescription)")
        }
        let png = rasterise(EveningRender.equitySVG(report, zone: zone), to: directory + "/evening.png")
        context.log(
            "evening report written",
            ["path": directory, "trades": String(report.trades.count), "realized": String(format: "%.2f", report.realized), "png": png ?? "ok"])
        if let png { FileHandle.standardError.write(Data("warning: no evening.png: \(png)\n".utf8)) }
        if json {
            print(report.document.serialized(pretty: true))
            return
        }
        print("evening report \(day): \(directory)/evening.html, evening.json\(png == nil ? ", evening.png" : "")")
        print(
            "  realized \(String(format: "%.2f", report.realized)) over \(report.trades.count) trades; win rate \(report.winRate.map { String(format: "%.0f %%", $0 * 100) } ?? "—"); Sharpe \(report.sharpe.map { String(format: "%.2f", $0) } ?? "—") over \(report.history.count) days"
        )
    }

    /// The unrealized P&L at the marks, when Redis has the day's `pnl:day`.
    func unrealized(_ context: AlphaContext, session: LocalDate) -> Double? {
        guard let redis = try? RedisClient(url: context.redisURL, timeout: 2),
            let doc = DayPnLDocument.read((try? redis.command(["GET", DayPnLDocument.key]))?.text ?? nil), doc.session == session.description
        else { return nil }
        return doc.unrealized
    }

    /// The day's runs and services from the orchestrator's JSON; a note when it cannot be asked.
    func readRuns(into inputs: inout EveningReport.Inputs, day: LocalDate, database: String) {
        guard FileManager.default.fileExists(atPath: database) else {
            inputs.runsNote = "no run store at \(database): the day's runs are left out"
            return
        }
        guard let binary = Self.orchestratorBinary() else {
            inputs.runsNote = "the orchestrator binary was not found beside alphatrader or on PATH: the day's runs are left out"
            return
        }
        do {
            let history = try Self.output(binary, ["history", "--config", common.config, "--day", day.description, "--json", "--limit", "100000"])
            inputs.runs = try EveningReportReader.runs(fromHistoryJSON: history)
            let status = try Self.output(binary, ["status", "--config", common.config, "--json"])
            inputs.services = try? EveningReportReader.services(fromStatusJSON: status)
        } catch {
            inputs.runsNote = "the day's runs could not be read: \(error)"
        }
    }

    static func orchestratorBinary() -> String? {
        let own = ProcessControl.sibling("orchestrator")
        if FileManager.default.isExecutableFile(atPath: own) { return own }
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
        where FileManager.default.isExecutableFile(atPath: "\(dir)/orchestrator") {
            return "\(dir)/orchestrator"
        }
        return nil
    }

    struct ToolFailure: Error, CustomStringConvertible { let description: String }

    static func output(_ binary: String, _ arguments: [String]) throws -> Data {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = arguments
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errors = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            throw ToolFailure(description: "orchestrator \(arguments[0]) exited \(p.terminationStatus): \(errors.split(separator: "\n").last ?? "")")
        }
        return data
    }

    func write(_ text: String, to path: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    /// The SVG as a PNG by rsvg-convert; nil when written, else why not.
    func rasterise(_ svg: String, to path: String) -> String? {
        let tool = ["/usr/bin/rsvg-convert", "/usr/local/bin/rsvg-convert"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let tool else { return "rsvg-convert is not installed (Debian: librsvg2-bin)" }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool)
        p.arguments = ["--format", "png", "--zoom", "2", "--output", path + ".tmp"]
        let input = Pipe(), err = Pipe()
        p.standardInput = input
        p.standardError = err
        do { try p.run() } catch { return "rsvg-convert cannot run: \(error.localizedDescription)" }
        input.fileHandleForWriting.write(Data(svg.utf8))
        try? input.fileHandleForWriting.close()
        let errors = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { return "rsvg-convert failed: \(errors)" }
        guard rename(path + ".tmp", path) == 0 else { return "\(path): \(String(cString: strerror(errno)))" }
        return nil
    }
}
