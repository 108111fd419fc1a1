public import OrchestratorCore

/// The JSON shapes of runs, attempts and services (SPEC §5), shared by the command line
/// (run-day, history, show, trigger, status) and `serve`'s API.
public enum RunJSON {
    public static func time(_ t: Double?) -> JSONValue {
        t.map { .string(TimeFormat.utc(Int64($0.rounded(.down)))) } ?? .null
    }

    public static func json(_ r: RunRecord, attempts: [AttemptRecord]? = nil) -> JSONValue {
        var fields: [(String, JSONValue)] = [
            ("id", .string(String(r.id!))), ("job", .string(r.job)), ("trading_day", .string(r.tradingDay)),
            ("scheduled_for", time(r.scheduledFor)), ("trigger", .string(r.trigger.rawValue)), ("state", .string(r.state.rawValue)),
            ("attempts", .int(Int64(r.attempts))), ("started_at", time(r.startedAt)), ("finished_at", time(r.finishedAt)),
            ("duration", duration(r).map { .number(($0 * 1000).rounded() / 1000) } ?? .null),
            ("exit_code", r.exitCode.map { .int(Int64($0)) } ?? .null),
            ("reason", .optional(r.reason)),
        ]
        if let attempts { fields.append(("attempts_detail", .array(attempts.map(json)))) }
        return .object(fields)
    }

    public static func json(_ a: AttemptRecord) -> JSONValue {
        .object([
            ("number", .int(Int64(a.number))), ("pid", a.pid.map { .int(Int64($0)) } ?? .null),
            ("started_at", time(a.startedAt)), ("finished_at", time(a.finishedAt)),
            ("exit_code", a.exitCode.map { .int(Int64($0)) } ?? .null), ("signal", a.signal.map { .int(Int64($0)) } ?? .null),
            ("outcome", .string(a.outcome.rawValue)), ("log", .string(a.log)), ("node", .optional(a.node)),
        ])
    }

    public static func duration(_ r: RunRecord) -> Double? {
        guard let s = r.startedAt, let f = r.finishedAt else { return nil }
        return f - s
    }

    /// A service as `status --json` shows it.
    public static func json(_ s: ServiceRecord, now: Double) -> JSONValue {
        var lastExit: JSONValue = .null
        if s.lastExitAt != nil {
            lastExit = .object([
                ("code", s.lastExitCode.map { .int(Int64($0)) } ?? .null),
                ("signal", s.lastSignal.map { .int(Int64($0)) } ?? .null), ("at", time(s.lastExitAt)),
            ])
        }
        var health: JSONValue = .null
        if s.healthCheckedAt != nil {
            health = .object([
                ("ok", .bool(s.healthOk ?? false)), ("checked_at", time(s.healthCheckedAt)),
                ("detail", .optional(s.healthDetail)),
            ])
        }
        let uptime: JSONValue = s.startedAt.map { .number(((now - $0) * 1000).rounded() / 1000) } ?? .null
        return .object([
            ("name", .string(s.name)), ("state", .string(s.state)), ("pid", s.pid.map { .int(Int64($0)) } ?? .null),
            ("uptime", uptime), ("restarts", .int(Int64(s.restarts))), ("last_exit", lastExit), ("health", health),
            ("run", s.runId.map { .string(String($0)) } ?? .null), ("reason", .optional(s.reason)), ("node", .optional(s.node)),
        ])
    }
}
