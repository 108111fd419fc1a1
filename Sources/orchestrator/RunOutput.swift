import Foundation
import OrchestratorCore
import OrchestratorRuntime

/// The JSON and human shapes of runs and attempts (SPEC §5), shared by run-day, history,
/// show and trigger.
enum RunOutput {
    static func durationText(_ seconds: Double?) -> String { TimeFormat.duration(seconds) }

    static func clock(_ t: Double?, _ zone: ZoneRules) -> String {
        t.map { TimeFormat.clockWithSeconds(Int64($0.rounded(.down)), in: zone) } ?? "-"
    }

    /// The summary table of run-day and history.
    static func table(_ runs: [RunRecord], zone: ZoneRules, withDay: Bool = false) -> String {
        var rows = [["RUN", "JOB"] + (withDay ? ["DAY"] : []) + ["SLOT", "STATE", "ATTEMPTS", "DURATION", "REASON"]]
        for r in runs {
            let slot = r.scheduledFor.map { TimeFormat.clock(Int64($0), in: zone) } ?? r.trigger.rawValue
            rows.append(
                [String(r.id!), r.job] + (withDay ? [r.tradingDay] : [])
                    + [slot, r.state.rawValue, String(r.attempts), durationText(RunJSON.duration(r)), r.reason ?? ""])
        }
        return orchestrator.table(rows)
    }

    /// Each job's slowest attempt of the day in real time (simulated seconds / `speed`), with its
    /// timeout the same way and the margin between them: under an accelerated clock a timeout of
    /// minutes is a fraction of a second of real time, so this is how close a job came to it.
    static func slowestAttempts(
        _ attempts: [(job: String, attempt: AttemptRecord)], timeouts: [String: Double],
        speed: Double, zone: ZoneRules
    ) -> String {
        var slowest: [String: (seconds: Double, at: Double, count: Int)] = [:]
        for (job, a) in attempts {
            guard let finished = a.finishedAt else { continue }
            let seconds = (finished - a.startedAt) / speed
            let previous = slowest[job]
            if previous == nil || seconds > previous!.seconds {
                slowest[job] = (seconds, a.startedAt, (previous?.count ?? 0) + 1)
            } else {
                slowest[job]!.count += 1
            }
        }
        guard !slowest.isEmpty else { return "" }
        var rows = [["JOB", "SLOWEST (REAL)", "AT", "ATTEMPTS", "TIMEOUT (REAL)", "MARGIN"]]
        for job in slowest.keys.sorted() {
            let s = slowest[job]!
            let timeout = timeouts[job].map { $0 / speed }
            rows.append([
                job, realDuration(s.seconds), clock(s.at, zone), String(s.count), timeout.map(realDuration) ?? "-",
                timeout.map { s.seconds > 0 ? String(format: "%.1f×", $0 / s.seconds) : "-" } ?? "-",
            ])
        }
        return "slowest attempt of each job, in real time"
            + (speed == 1 ? "" : " (the clock ran \(speed == speed.rounded() ? String(Int(speed)) : String(speed))× faster)") + ":\n"
            + orchestrator.table(rows)
    }

    /// A real duration, in milliseconds below ten seconds.
    static func realDuration(_ seconds: Double) -> String {
        seconds < 10 ? String(format: "%.0f ms", seconds * 1000) : durationText(seconds)
    }

    /// The last non-empty line of a log file (read from its last 8 KiB), nil when there is none.
    static func lastLine(ofFile path: String) -> String? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        guard let end = try? handle.seekToEnd() else { return nil }
        try? handle.seek(toOffset: end > 8192 ? end - 8192 : 0)
        guard let data = try? handle.readToEnd() else { return nil }
        return String(decoding: data, as: UTF8.self).split(separator: "\n").last { !$0.allSatisfy(\.isWhitespace) }.map(String.init)
    }
}
