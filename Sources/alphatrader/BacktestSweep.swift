import AlphaTrader
import Foundation
import OrchestratorCore

/// One axis of a parameter sweep, `--sweep KEY=V1,V2,…`: a key of the strategies file (its path
/// of mapping keys, `risk.daily_loss_limit`; a strategy's own keys may leave out `strategies.`:
/// `0dte.sizing.contracts`) and the values it takes.
struct SweepAxis: Equatable {
    var path: [String]
    var values: [String]
    var key: String { path.joined(separator: ".") }

    static func parse(_ text: String) throws -> SweepAxis {
        guard let equals = text.firstIndex(of: "=") else { throw invalidInput("--sweep \(text): expected KEY=V1,V2,… (e.g. 0dte.sizing.contracts=1,2)") }
        let key = text[..<equals].trimmingCharacters(in: .whitespaces)
        let values = text[text.index(after: equals)...].split(separator: ",", omittingEmptySubsequences: false).map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        var path = key.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard !key.isEmpty, !path.contains(where: \.isEmpty) else { throw invalidInput("--sweep \(text): the key is empty or has an empty part") }
        guard !values.isEmpty, !values.contains(where: \.isEmpty) else { throw invalidInput("--sweep \(text): a value is empty") }
        guard Set(values).count == values.count else { throw invalidInput("--sweep \(text): a value is given twice") }
        if path[0] != "risk" && path[0] != "strategies" { path.insert("strategies", at: 0) }
        return SweepAxis(path: path, values: values)
    }

    /// Every combination of the axes' values (the first axis varying slowest).
    static func combinations(_ axes: [SweepAxis]) -> [[(key: String, value: String)]] {
        axes.reduce([[]]) { partial, axis in partial.flatMap { prefix in axis.values.map { prefix + [(axis.key, $0)] } } }
    }
}

/// The strategies file with a sweep's settings in it, written back as YAML (flow style: each
/// value as the file had it, quoted where the file quoted it).
enum StrategiesVariant {
    /// `root` with the scalar at `path` set to `value` (added, with the mappings above it, when
    /// the file leaves it at its default); a path through a list or a value is invalid input.
    static func setting(_ root: YAMLValue, _ path: ArraySlice<String>, to value: String, key: String) throws -> YAMLValue {
        guard let name = path.first else { return YAMLValue(kind: .scalar(value, quoted: false), location: root.location) }
        guard case .mapping(var pairs) = root.kind else {
            throw invalidInput("--sweep \(key): \(name) is inside \(root.typeName), not a mapping of keys")
        }
        if let i = pairs.firstIndex(where: { $0.key.scalar == name }) {
            pairs[i].value = try setting(pairs[i].value, path.dropFirst(), to: value, key: key)
        } else {
            let empty = YAMLValue(kind: .mapping([]), location: root.location)
            pairs.append((YAMLValue(kind: .scalar(name, quoted: false), location: root.location), try setting(empty, path.dropFirst(), to: value, key: key)))
        }
        return YAMLValue(kind: .mapping(pairs), location: root.location)
    }

    /// The node as flow-style YAML.
    static func text(_ node: YAMLValue) -> String {
        switch node.kind {
        case .scalar(let s, let quoted):
            let plain = !s.isEmpty && s.unicodeScalars.allSatisfy { CharacterSet.alphanumerics.contains($0) || "._+-".unicodeScalars.contains($0) }
            return !quoted && plain ? s : "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        case .sequence(let items): return "[" + items.map(text).joined(separator: ", ") + "]"
        case .mapping(let pairs): return "{" + pairs.map { text($0.key) + ": " + text($0.value) }.joined(separator: ", ") + "}"
        }
    }
}

/// `backtest --sweep`: the variants of the strategies file run over the same days as separate
/// `alphatrader backtest` processes, as many at a time as the machine has cores, and ranked by
/// P&L; with `--train N --test M`, walk-forward: the best of each N days' window is run on the
/// M days after it, which it has not seen.
struct BacktestSweep {
    struct Variant {
        var index: Int
        var settings: [(key: String, value: String)]
        var file: String
        var label: String { settings.map { "\($0.key.hasPrefix("strategies.") ? String($0.key.dropFirst(11)) : $0.key)=\($0.value)" }.joined(separator: " ") }
    }

    /// One backtest's result (its `--json` line).
    struct Result {
        var variant: Int
        var days: Int
        var pnl: Double
        var sharpe: Double?
        var sortino: Double?
        var drawdown: Double
        var entries: Int
        var signals: Int
        var seconds: Double
        var json: [String: Any] {
            [
                "variant": variant, "days": days, "pnl": pnl, "sharpe": sharpe ?? NSNull(), "sortino": sortino ?? NSNull(), "maximum_drawdown": drawdown,
                "entries": entries, "signals": signals, "seconds": seconds,
            ]
        }
    }

    var executable: String
    /// Arguments every run shares (--config, --cash, --strategies).
    var shared: [String]
    var out: String
    var parallel: Int
    var quiet: Bool

    /// Runs `jobs` (variant, tapes, directory), `parallel` at a time, and returns their results in order.
    func run(_ jobs: [(variant: Variant, tapes: [String], directory: String)]) throws -> [Result] {
        let queue = Queue(count: jobs.count)
        let group = DispatchGroup()
        nonisolated(unsafe) let runner = self
        nonisolated(unsafe) let work = jobs
        for _ in 0..<max(1, min(parallel, jobs.count)) {
            group.enter()
            Thread.detachNewThread {
                defer { group.leave() }
                while let i = queue.take() {
                    do {
                        let r = try runner.backtest(work[i].variant, tapes: work[i].tapes, directory: work[i].directory)
                        queue.done(i, r)
                        if !runner.quiet {
                            print(String(format: "  %@ (%d day(s)): P&L %.2f, %d entries — %.1f s", work[i].variant.label, r.days, r.pnl, r.entries, r.seconds))
                        }
                    } catch {
                        queue.fail("\(error)")
                    }
                }
            }
        }
        group.wait()
        return try queue.finished()
    }

    /// The jobs handed out one at a time, and what they came to; none handed out after a failure.
    final class Queue: @unchecked Sendable {
        private let lock = NSLock()
        private var next = 0
        private let count: Int
        private var results: [Result?]
        private var failure: String?
        init(count: Int) {
            self.count = count
            results = Array(repeating: nil, count: count)
        }
        func take() -> Int? {
            lock.withLock {
                guard next < count, failure == nil else { return nil }
                next += 1
                return next - 1
            }
        }
        func done(_ i: Int, _ r: Result) { lock.withLock { results[i] = r } }
        func fail(_ message: String) { lock.withLock { failure = failure ?? message } }
        func finished() throws -> [Result] {
            let (results, failure) = lock.withLock { (self.results, self.failure) }
            if let failure { throw BacktestSweepFailure(failure) }
            return results.map { $0! }
        }
    }

    private func backtest(_ variant: Variant, tapes: [String], directory: String) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["backtest", "--tapes"] + tapes + shared + ["--strategies-file", variant.file, "--out", directory, "--json"]
        let pipe = Pipe()
        process.standardOutput = pipe
        let errors = directory + ".stderr"
        FileManager.default.createFile(atPath: errors, contents: nil)
        process.standardError = FileHandle(forWritingAtPath: errors)
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0,
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else {
            let text = (try? String(contentsOfFile: errors, encoding: .utf8)) ?? ""
            throw BacktestSweepFailure("variant \(variant.index) (\(variant.label)) failed (exit \(process.terminationStatus)): \(text.suffix(400))")
        }
        let days = object["days"] as? [[String: Any]] ?? []
        return Result(
            variant: variant.index, days: days.count, pnl: object["pnl"] as? Double ?? 0, sharpe: object["sharpe"] as? Double,
            sortino: object["sortino"] as? Double, drawdown: (object["maximum_drawdown"] as? [String: Any])?["amount"] as? Double ?? 0,
            entries: days.reduce(0) { $0 + ($1["entries"] as? Int ?? 0) }, signals: days.reduce(0) { $0 + ($1["signals"] as? Int ?? 0) },
            seconds: object["seconds"] as? Double ?? 0)
    }

    /// Results best first: by P&L, then by Sharpe, then by the variant's order.
    static func ranked(_ results: [Result]) -> [Result] {
        results.sorted {
            if $0.pnl != $1.pnl { return $0.pnl > $1.pnl }
            if ($0.sharpe ?? -.infinity) != ($1.sharpe ?? -.infinity) { return ($0.sharpe ?? -.infinity) > ($1.sharpe ?? -.infinity) }
            return $0.variant < $1.variant
        }
    }

    /// Walk-forward windows over `count` days: train on `train` days, test on the `test` after
    /// them, moved on by `test`; the last test window may be shorter.
    static func windows(count: Int, train: Int, test: Int) -> [(train: Range<Int>, test: Range<Int>)] {
        var out: [(Range<Int>, Range<Int>)] = []
        var start = 0
        while start + train < count {
            out.append((start..<(start + train), (start + train)..<min(start + train + test, count)))
            start += test
        }
        return out
    }
}

struct BacktestSweepFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
