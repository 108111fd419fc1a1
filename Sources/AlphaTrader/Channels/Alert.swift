public import Foundation

/// A failed run, as the orchestrator hands it to an `on_failure` job (`ORCHESTRATOR_FAILED_*`),
/// and how alerts go out: one message for one failure, one summary for a storm.
public struct Alert: Sendable, Equatable, Codable {
    public var id: String
    public var job: String
    public var runID: String
    public var state: String
    public var exitCode: String
    public var reason: String
    /// The failed attempt's last log lines.
    public var logTail: [String]
    /// Seconds since the epoch (the clock's).
    public var at: Double

    public init(id: String, job: String, runID: String, state: String, exitCode: String, reason: String, logTail: [String], at: Double) {
        self.id = id; self.job = job; self.runID = runID; self.state = state; self.exitCode = exitCode; self.reason = reason
        self.logTail = logTail; self.at = at
    }

    /// The failed run from the environment of an `on_failure` job; nil without
    /// `ORCHESTRATOR_FAILED_JOB`. The log's last `lines` lines are read from its file.
    public static func fromEnvironment(_ env: [String: String], at: Double, lines: Int = 15) -> Alert? {
        guard let job = env["ORCHESTRATOR_FAILED_JOB"], !job.isEmpty else { return nil }
        var tail: [String] = []
        if let path = env["ORCHESTRATOR_FAILED_LOG"], !path.isEmpty, let text = try? String(contentsOfFile: path, encoding: .utf8) {
            tail = Array(text.split(separator: "\n", omittingEmptySubsequences: true).suffix(lines).map { String($0.prefix(300)) })
        }
        let run = env["ORCHESTRATOR_FAILED_RUN_ID"] ?? ""
        return Alert(
            id: "\(job)#\(run)", job: job, runID: run, state: env["ORCHESTRATOR_FAILED_STATE"] ?? "failed",
            exitCode: env["ORCHESTRATOR_FAILED_EXIT_CODE"] ?? "", reason: env["ORCHESTRATOR_FAILED_REASON"] ?? "", logTail: tail, at: at)
    }

    public var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(self)) ?? Data("{}".utf8), as: UTF8.self)
    }

    public static func read(_ text: String) -> Alert? { try? JSONDecoder().decode(Alert.self, from: Data(text.utf8)) }

    public var headline: String { "\(job) run #\(runID) \(state)" + (exitCode.isEmpty ? "" : " (exit \(exitCode))") }

    // MARK: Messages

    /// One Discord message for these alerts: the details of one, or a summary of several.
    public static func discord(_ alerts: [Alert]) -> DiscordMessage {
        typealias F = DiscordMessage.Field
        guard alerts.count > 1, let first = alerts.first else {
            let a = alerts[0]
            var fields = [F(name: "Reason", value: clip(a.reason.isEmpty ? "—" : a.reason, 1_024))]
            if !a.logTail.isEmpty {
                fields.append(F(name: "Log (last lines)", value: clip("```\n" + a.logTail.joined(separator: "\n") + "\n```", 1_024, code: true)))
            }
            return DiscordMessage(embeds: [.init(title: clip("Failed: " + a.headline, 256), description: "", color: 0xb3261e, fields: fields)])
        }
        let lines = alerts.prefix(25).map { F(name: clip($0.headline, 256), value: clip($0.reason.isEmpty ? "—" : $0.reason, 1_024)) }
        let more = alerts.count > 25 ? " (the first 25 shown)" : ""
        return DiscordMessage(embeds: [
            .init(
                title: "\(alerts.count) runs failed", description: "Alerts held back while one was sent, now together\(more); the first at \(stamp(first.at)).",
                color: 0xb3261e, fields: Array(lines))
        ])
    }

    /// The same as MarkdownV2 for Telegram.
    public static func telegram(_ alerts: [Alert]) -> String {
        let e = TelegramClient.escape
        if alerts.count == 1 {
            let a = alerts[0]
            var out = "*\(e("Failed: " + a.headline))*\n\(e(a.reason.isEmpty ? "no reason given" : a.reason))"
            if !a.logTail.isEmpty {
                let code = a.logTail.joined(separator: "\n").replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "`", with: "\\`")
                out += "\n```\n\(code)\n```"
            }
            return out
        }
        return "*\(e("\(alerts.count) runs failed"))*\n" + alerts.prefix(40).map { "• *\(e($0.headline))*: \(e($0.reason))" }.joined(separator: "\n")
    }

    static func clip(_ s: String, _ n: Int, code: Bool = false) -> String {
        guard s.count > n else { return s }
        return code ? "```\n…" + s.suffix(n - 10) : String(s.prefix(n - 1)) + "…"
    }

    static func stamp(_ t: Double) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "America/New_York")
        f.dateFormat = "yyyy-MM-dd HH:mm:ss zzz"
        return f.string(from: Date(timeIntervalSince1970: t))
    }
}
