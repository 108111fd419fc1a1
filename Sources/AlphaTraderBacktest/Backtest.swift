public import AlphaTrader
import Foundation
public import OrchestratorCore

/// A backtest over several days' tapes, in order: one trade journal and one paper account for
/// the whole range (positions held overnight carry over), each day a `BacktestDay`.
public struct Backtest {
    public struct Options {
        public var tapes: [String]
        public var config: Config
        public var strategies: StrategiesConfig
        /// Where the journal, the account and the log are written (emptied first).
        public var directory: String
        public var cash: Double = 100_000
        public var slippageTicks = 0
        /// Each day's outcome as it finishes.
        public var dayDone: ((BacktestDay.Outcome) -> Void)?
        public init(tapes: [String], config: Config, strategies: StrategiesConfig, directory: String) {
            self.tapes = tapes; self.config = config; self.strategies = strategies; self.directory = directory
        }
    }

    public let options: Options
    public init(_ options: Options) { self.options = options }

    public var journalPath: String { options.directory + "/journal.sqlite" }
    public var logPath: String { options.directory + "/backtest.log" }

    public func run() throws -> [BacktestDay.Outcome] {
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
        for tape in options.tapes {
            var inputs = BacktestDay.Inputs(
                tapePath: tape, config: options.config, strategies: options.strategies, journal: journal,
                accountFile: options.directory + "/paper-account.json")
            inputs.cash = options.cash
            inputs.slippageTicks = options.slippageTicks
            inputs.log = { log.write($0) }
            let outcome = try BacktestDay(inputs).run()
            outcomes.append(outcome)
            options.dayDone?(outcome)
        }
        return outcomes
    }
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
