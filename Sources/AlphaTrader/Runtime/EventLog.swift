public import Foundation
public import OrchestratorCore

/// One line per event on stderr: `2026-11-25T14:30:00.123Z ingest: message key=value …`, the
/// time being the clock's (simulated under run-day).
public struct EventLog: Sendable {
    public let module: String
    let clock: any WallClock
    /// Where the lines go instead of stderr (a backtest's log file, or nowhere).
    let sink: (@Sendable (String) -> Void)?
    public init(module: String, clock: any WallClock, sink: (@Sendable (String) -> Void)? = nil) {
        self.module = module; self.clock = clock; self.sink = sink
    }

    public func callAsFunction(_ message: String, _ fields: KeyValuePairs<String, String> = [:]) {
        var line = Self.stamp(clock.now()) + " " + module + ": " + message
        for (k, v) in fields { line += " \(k)=\(v.contains(" ") ? "\"\(v)\"" : v)" }
        line += "\n"
        if let sink { sink(line) } else { FileHandle.standardError.write(Data(line.utf8)) }
    }

    static func stamp(_ seconds: Double) -> String {
        let whole = Int64(seconds.rounded(.down))
        let millis = Int((seconds - Double(whole)) * 1000)
        let text = TimeFormat.utc(whole)
        let digits = String(millis)
        return String(text.dropLast()) + "." + String(repeating: "0", count: 3 - digits.count) + digits + "Z"
    }
}
