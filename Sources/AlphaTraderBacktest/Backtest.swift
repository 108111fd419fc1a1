public import AlphaTrader
import Foundation
public import OrchestratorCore

/// A backtest over several days' tapes, in order: one trade journal and one paper account for
/// the whole range (positions held overnight carry over), each day a `BacktestDay`.
public struct Backtest {
    /// A day to run: a tape that exists, or one written for the day before it runs (and deleted
    /// after, unless kept).
    public enum Day {
        case tape(String)
        case generated(date: LocalDate, write: (_ path: String) throws -> Void)
    }

    public struct Options {
        public var days: [Day]
        /// Generated tapes are kept in `directory/tapes`.
        public var keepTapes = false
        public var config: Config
        public var strategies: StrategiesConfig
        /// Where the journal, the account and the log are written (emptied first).
        public var directory: String
        public var cash: Double = 100_000
        public var slippageTicks = 0
        /// Each day's outcome as it finishes.
        public var dayDone: ((BacktestDay.Outcome) -> Void)?
        public init(tapes: [String], config: Config, strategies: StrategiesConfig, directory: String) {
            self.init(days: tapes.map { .tape($0) }, config: config, strategies: strategies, directory: directory)
        }
        public init(days: [Day], config: Config, strategies: StrategiesConfig, directory: String) {
            self.days = days; self.config = config; self.strategies = strategies; self.directory = directory
        }
    }

    public let options: Options
    public init(_ options: Options) { self.options = options }

    public var journalPath: String { options.directory + "/journal.sqlite" }
    public var logPath: String { options.directory + "/backtest.log" }

    public func run() throws -> [BacktestDay.Outcome] {
        // Every tape whole and readable before anything is written: a damaged one is named
        // with its byte offset, and no day runs.
        for case .tape(let path) in options.days { _ = try TapeReader(path: path, verify: true) }
        let fm = FileManager.default
        try fm.createDirectory(atPath: options.directory, withIntermediateDirectories: true)
        for name in ["journal.sqlite", "journal.sqlite-wal", "journal.sqlite-shm", "paper-account.json", "backtest.log"] {
            try? fm.removeItem(atPath: options.directory + "/" + name)
        }
        fm.createFile(atPath: logPath, contents: nil)
        guard let logFile = FileHandle(forWritingAtPath: logPath) else { throw BacktestError("\(logPath): cannot be written") }
        defer { try? logFile.close() }
        let log = LogFile(logFile)
        let journal = try Journal(path: journalPath)
        var outcomes: [BacktestDay.Outcome] = []
        // A generated day's tape is written on the other core while the day before it runs.
        var pending: TapeWriting?
        func start(_ index: Int) throws -> TapeWriting? {
            guard index < options.days.count, case .generated(let date, let write) = options.days[index] else { return nil }
            try fm.createDirectory(atPath: options.directory + "/tapes", withIntermediateDirectories: true)
            return TapeWriting(path: options.directory + "/tapes/\(date).tape", write: write)
        }
        pending = try start(0)
        for (index, day) in options.days.enumerated() {
            let tape: String
            var generated: String?
            switch day {
            case .tape(let path): tape = path
            case .generated:
                guard let writing = pending else { throw BacktestError("day \(index + 1): its tape was not written") }
                try writing.wait()
                tape = writing.path
                generated = tape
            }
            pending = try start(index + 1)
            defer { if let generated, !options.keepTapes { try? fm.removeItem(atPath: generated) } }
            var inputs = BacktestDay.Inputs(
                tapePath: tape, config: options.config, strategies: options.strategies, journal: journal,
                accountFile: options.directory + "/paper-account.json")
            inputs.cash = options.cash
            inputs.slippageTicks = options.slippageTicks
            inputs.log = { log.write($0) }
            let outcome = try BacktestDay(inputs).run()
            log.flush()
            try report(outcome.session, journal: journal, into: options.directory + "/\(outcome.session.date)", title: "Backtest — \(outcome.session.date)")
            outcomes.append(outcome)
            options.dayDone?(outcome)
        }
        if let last = outcomes.last {
            // The range: the last day's report holds every day's equity since the first trade.
            let first = outcomes[0].session.date
            let title = outcomes.count == 1 ? "Backtest — \(first)" : "Backtest — \(first) … \(last.session.date) (\(outcomes.count) sessions)"
            try report(last.session, journal: journal, into: options.directory, title: title)
            try trades(journal).write(toFile: options.directory + "/trades.csv", atomically: true, encoding: .utf8)
        }
        return outcomes
    }

    /// The evening report of `session` (its figures, and the history of every day before it):
    /// `report.json` and `report.html` with the equity curve as SVG.
    func report(_ session: Session, journal: Journal, into directory: String, title: String) throws {
        let zone = ZoneRules.of(options.config.calendar.timeZone)
        let inputs = try EveningReportReader.inputs(
            journal: journal, session: session, calendar: options.config.calendar, capital: options.cash, unrealized: nil)
        let report = EveningReport(inputs)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try (report.document.serialized(pretty: true) + "\n").write(toFile: directory + "/report.json", atomically: true, encoding: .utf8)
        try EveningRender.html(report, zone: zone, title: title).write(toFile: directory + "/report.html", atomically: true, encoding: .utf8)
    }

    /// Every position the backtest opened, one CSV row each, in the order they opened.
    func trades(_ journal: Journal) throws -> String {
        func field(_ text: String) -> String {
            text.contains(where: { ",\"\n".contains($0) }) ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
        }
        func time(_ t: Double?) -> String { t.map { TimeFormat.utc(Int64($0)) } ?? "" }
        var csv = "id,strategy,symbol,instrument,opened_at,closed_at,close_reason,realized_pnl\n"
        for p in try journal.positionOutcomes() {
            csv +=
                [
                    p.id, p.strategy, p.symbol, p.instrument, time(p.openedAt), time(p.closedAt), p.closeReason ?? "",
                    p.realizedPnL.map { String(format: "%.2f", $0) } ?? "",
                ].map(field).joined(separator: ",") + "\n"
        }
        return csv
    }
}

/// A tape being written on a thread of its own.
final class TapeWriting: @unchecked Sendable {
    let path: String
    private let done = DispatchSemaphore(value: 0)
    private var failure: (any Error)?

    init(path: String, write: @escaping (String) throws -> Void) {
        self.path = path
        let box = UncheckedBox(write)
        let thread = Thread { [self] in
            do { try box.value(path) } catch { failure = error }
            done.signal()
        }
        thread.start()
    }

    /// Waits for the tape; rethrows what writing it threw.
    func wait() throws {
        done.wait()
        done.signal()
        if let failure { throw failure }
    }
}

/// A value handed to one other thread, which alone uses it from then on.
struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

/// The backtest's log lines, buffered (a day writes thousands).
final class LogFile: @unchecked Sendable {
    private let handle: FileHandle
    private var buffer: [UInt8] = []
    init(_ handle: FileHandle) { self.handle = handle }
    func write(_ line: String) {
        buffer += Array(line.utf8)
        if buffer.count > 1 << 16 { flush() }
    }
    func flush() {
        guard !buffer.isEmpty else { return }
        handle.write(Data(buffer))
        buffer.removeAll(keepingCapacity: true)
    }
    deinit { flush() }
}
