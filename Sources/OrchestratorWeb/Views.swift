import Foundation
public import OrchestratorCore
public import OrchestratorRuntime

/// What every view reads from: the store (read-only), the declared jobs and services when the
/// files load, and one "now" for the whole request.
public struct ViewContext: Sendable {
    public let store: any RunStore
    public let workspace: Workspace?
    /// Where attempts' logs must lie to be served.
    public let logs: String
    public let now: Double

    public init(store: any RunStore, workspace: Workspace?, logs: String, now: Double) {
        self.store = store
        self.workspace = workspace
        self.logs = logs
        self.now = now
    }

    var config: Config { workspace?.config ?? Config.defaults }
    var zone: ZoneRules { ZoneRules.of(config.timeZone) }

    /// The trading day of now (SPEC §4: a Saturday belongs to Friday).
    var today: LocalDate {
        (try? config.calendar.tradingDay(of: Int64(now))) ?? zone.localDate(of: Int64(now))
    }
}

/// The data of each page, built once and shown either as HTML or as the JSON behind it (every
/// view has its `/api/...` twin with the same content).
public struct TodayView: Sendable {
    public let day: LocalDate
    public let session: Session?
    public let closure: String?
    public let runs: [RunRecord]
    /// The attempts of runs that had more than one (a retried run's bar shows each).
    public let retried: [Int64: [AttemptRecord]]
    public let windows: [PlannedWindow]

    public init(_ c: ViewContext, day: LocalDate?) throws {
        let day = day ?? c.today
        self.day = day
        runs = try c.store.runs(tradingDays: [day.description])
        retried = runs.contains { $0.attempts > 1 } ? try c.store.attempts(tradingDay: day.description).filter { $0.value.count > 1 } : [:]
        session = try? c.config.calendar.session(on: day)
        closure = c.config.calendar.closureReason(on: day) ?? (day.isWeekend ? "a weekend" : nil)
        windows = c.workspace.flatMap { try? Planner.windows(of: $0, on: day) } ?? []
    }

    public var counts: [(RunState, Int)] {
        var counts: [RunState: Int] = [:]
        for r in runs { counts[r.state, default: 0] += 1 }
        return RunState.allCases.compactMap { s in counts[s].map { (s, $0) } }
    }

    public var json: JSONValue {
        .object([
            ("day", .string(day.description)),
            (
                "session",
                session.map { s in
                    .object([("open", RunJSON.time(Double(s.open))), ("close", RunJSON.time(Double(s.close))), ("early_close", .bool(s.isEarlyClose))])
                } ?? .null
            ),
            ("closed", .optional(session == nil ? closure ?? "closed" : nil)),
            ("counts", .object(counts.map { ($0.0.rawValue, .int(Int64($0.1))) })),
            (
                "windows",
                .array(
                    windows.map { w in
                        .object([
                            ("service", .string(w.service)), ("start", RunJSON.time(w.start.map(Double.init))), ("end", RunJSON.time(w.end.map(Double.init))),
                        ])
                    })
            ),
            ("runs", .array(runs.map { RunJSON.json($0) })),
        ])
    }
}

/// Jobs × recent trading days (Airflow's grid): each cell the day's runs of a job, shown by the
/// state that most needs a look.
public struct GridView: Sendable {
    public struct Cell: Sendable {
        public var runs: [RunRecord] = []
        /// The state that most needs attention among the cell's runs.
        public var state: RunState? {
            runs.map(\.state).max { GridView.severity($0) < GridView.severity($1) }
        }
        public var seconds: Double { runs.compactMap(RunJSON.duration).reduce(0, +) }
    }

    public let days: [LocalDate]
    public let jobs: [String]
    public let cells: [String: [LocalDate: Cell]]
    /// Rows that are services (their runs are their activations, hours long).
    public let services: Set<String>

    /// Higher needs a look sooner.
    static func severity(_ s: RunState) -> Int {
        switch s {
        case .failed: 10
        case .upstreamFailed: 9
        case .missed: 8
        case .cancelled: 7
        case .retrying: 6
        case .running: 5
        case .queued: 4
        case .pending: 3
        case .skipped: 2
        case .succeeded: 1
        }
    }

    public init(_ c: ViewContext, count: Int) throws {
        // The last `count` sessions up to today (newest last); weekends and holidays are not columns.
        var days: [LocalDate] = []
        var d = c.today
        var looked = 0
        while days.count < count && looked < count * 2 + 10 && c.config.calendar.validRange.contains(d) {
            if (try? c.config.calendar.isSession(d)) == true { days.append(d) }
            d = d.adding(days: -1)
            looked += 1
        }
        self.days = days.reversed()
        let runs = try c.store.runs(tradingDays: days.map(\.description))
        var cells: [String: [LocalDate: Cell]] = [:]
        for r in runs {
            guard let day = LocalDate(parsing: r.tradingDay) else { continue }
            cells[r.job, default: [:]][day, default: Cell()].runs.append(r)
        }
        for job in c.workspace?.jobs.keys.map({ $0 }) ?? [] where cells[job] == nil { cells[job] = [:] }
        self.cells = cells
        jobs = cells.keys.sorted()
        services = Set(c.workspace?.services.keys.map { $0 } ?? []).intersection(cells.keys)
    }

    public var json: JSONValue {
        .object([
            ("days", .array(days.map { .string($0.description) })),
            (
                "jobs",
                .array(
                    jobs.map { job in
                        .object([
                            ("job", .string(job)),
                            (
                                "days",
                                .array(
                                    days.map { day in
                                        let cell = cells[job]?[day] ?? Cell()
                                        return .object([
                                            ("day", .string(day.description)), ("state", .optional(cell.state?.rawValue)),
                                            ("runs", .int(Int64(cell.runs.count))), ("seconds", .number((cell.seconds * 1000).rounded() / 1000)),
                                        ])
                                    })
                            ),
                        ])
                    })
            ),
        ])
    }
}

/// Every job with its next slot from the exchange calendar and its last run:
/// `systemctl list-timers` for the market.
public struct ScheduleView: Sendable {
    public struct Row: Sendable {
        public let job: JobSpec
        public let next: Int64?
        public let last: RunRecord?
    }

    public let rows: [Row]
    public let now: Double

    public init(_ c: ViewContext) throws {
        now = c.now
        guard let workspace = c.workspace else {
            rows = []
            return
        }
        let next = Dictionary(uniqueKeysWithValues: Planner.nextSlots(of: workspace, after: c.now).map { ($0.job, $0.time) })
        var rows: [Row] = []
        for job in workspace.jobs.values {
            rows.append(Row(job: job, next: next[job.name], last: try c.store.history(job: job.name, limit: 1).first))
        }
        self.rows = rows.sorted { ($0.next ?? Int64.max, $0.job.name) < ($1.next ?? Int64.max, $1.job.name) }
    }

    public static func when(_ job: JobSpec) -> String {
        if let schedule = job.schedule { return schedule.description }
        if !job.dependsOn.isEmpty { return "after " + job.dependsOn.joined(separator: ", ") }
        return "manual (orchestrator trigger)"
    }

    public var json: JSONValue {
        .array(
            rows.map { r in
                .object([
                    ("job", .string(r.job.name)), ("schedule", .string(Self.when(r.job))), ("next", RunJSON.time(r.next.map(Double.init))),
                    ("in_seconds", r.next.map { .number((Double($0) - now).rounded()) } ?? .null),
                    ("last_run", r.last.map { RunJSON.json($0) } ?? .null),
                ])
            })
    }
}

/// A job's definition and its runs, filtered by state, day and trigger (the filters live in the
/// page's URL).
public struct JobView: Sendable {
    public struct Filters: Sendable, Equatable {
        public var state: RunState?
        public var day: LocalDate?
        public var trigger: RunTrigger?
        public var limit = 50

        public init() {}

        /// From a query string; a value that is not one is named.
        public init(query: (String) -> String?) throws(WebError) {
            if let text = query("state"), !text.isEmpty {
                guard let s = RunState(rawValue: text) else {
                    throw .badRequest("state \(text): not a run state (\(RunState.allCases.map(\.rawValue).joined(separator: ", ")))")
                }
                state = s
            }
            if let text = query("day"), !text.isEmpty {
                guard let d = LocalDate(parsing: text) else { throw .badRequest("day \(text): expected YYYY-MM-DD") }
                day = d
            }
            if let text = query("trigger"), !text.isEmpty {
                guard let t = RunTrigger(rawValue: text) else {
                    throw .badRequest("trigger \(text): not a trigger (\(RunTrigger.allCases.map(\.rawValue).joined(separator: ", ")))")
                }
                trigger = t
            }
            if let text = query("limit"), !text.isEmpty {
                guard let n = Int(text), (1...10_000).contains(n) else { throw .badRequest("limit \(text): expected 1…10000") }
                limit = n
            }
        }
    }

    public let name: String
    public let spec: JobSpec?
    public let filters: Filters
    public let runs: [RunRecord]

    public init(_ c: ViewContext, job: String, filters: Filters) throws(WebError) {
        name = job
        spec = c.workspace?.jobs[job]
        self.filters = filters
        do {
            runs = try c.store.history(job: job, state: filters.state, day: filters.day?.description, trigger: filters.trigger, limit: filters.limit)
        } catch {
            throw .unavailable("\(error)")
        }
        if spec == nil && runs.isEmpty && filters == Filters() { throw .notFound("no job \(job)") }
    }

    public var json: JSONValue {
        var job: [(String, JSONValue)] = [("name", .string(name))]
        if let spec {
            job += [
                ("description", .optional(spec.description)), ("schedule", .string(ScheduleView.when(spec))),
                ("depends_on", .array(spec.dependsOn.map { .string($0) })), ("retries", .int(Int64(spec.retries))),
                ("timeout", spec.timeout.map { .number($0.seconds) } ?? .null), ("pool", .optional(spec.pool)),
                ("overlap", .string(spec.overlap.rawValue)), ("catch_up", .string(spec.catchUp.rawValue)),
            ]
        }
        return .object([("job", .object(job)), ("runs", .array(runs.map { RunJSON.json($0) }))])
    }
}

/// A run with its attempts and the names (never the values) of the environment its processes
/// were given.
public struct RunView: Sendable {
    public let run: RunRecord
    public let attempts: [AttemptRecord]
    public let environment: [String]

    public init(_ c: ViewContext, id: Int64) throws(WebError) {
        let found: RunRecord?
        do { found = try c.store.run(id) } catch { throw .unavailable("\(error)") }
        guard let found else { throw .notFound("no run \(id)") }
        run = found
        do { attempts = try c.store.attempts(of: id) } catch { throw .unavailable("\(error)") }
        var names = [
            "ORCHESTRATOR_JOB", "ORCHESTRATOR_RUN_ID", "ORCHESTRATOR_ATTEMPT", "ORCHESTRATOR_SCHEDULED_FOR", "ORCHESTRATOR_TRADING_DAY",
            "ORCHESTRATOR_TRIGGER",
        ]
        let declared = c.workspace?.jobs[found.job]?.env ?? c.workspace?.services[found.job]?.env ?? [:]
        names += declared.keys.sorted()
        if let data = found.params.data(using: .utf8), let params = try? JSONSerialization.jsonObject(with: data) as? [String: Any] {
            names += params.keys.sorted().map { "ORCHESTRATOR_PARAM_" + $0.uppercased() }
        }
        environment = names
    }

    public var json: JSONValue {
        guard case .object(var fields) = RunJSON.json(run, attempts: attempts) else { return .null }
        fields.append(("environment", .array(environment.map { .string($0) })))
        return .object(fields)
    }
}

/// A service: its state as its supervisor last recorded it, its recent events, and the attempts
/// (starts) of its current run, whose logs are one click away.
public struct ServiceView: Sendable {
    public let record: ServiceRecord
    public let spec: ServiceSpec?
    public let events: [ServiceEventRecord]
    public let attempts: [AttemptRecord]
    public let now: Double

    public init(_ c: ViewContext, name: String) throws(WebError) {
        let records: [ServiceRecord]
        do { records = try c.store.services() } catch { throw .unavailable("\(error)") }
        spec = c.workspace?.services[name]
        guard let record = records.first(where: { $0.name == name }) ?? (spec != nil ? ServiceRecord.never(name) : nil) else {
            throw .notFound("no service \(name)")
        }
        self.record = record
        do {
            events = try c.store.serviceEvents(service: name, run: nil, limit: 50)
            attempts = try record.runId.map { try c.store.attempts(of: $0) } ?? []
        } catch { throw .unavailable("\(error)") }
        now = c.now
    }

    /// Every declared or recorded service, by name.
    public static func all(_ c: ViewContext) throws -> [ServiceRecord] {
        let recorded = Dictionary(uniqueKeysWithValues: try c.store.services().map { ($0.name, $0) })
        let names = Set(recorded.keys).union(c.workspace?.services.keys.map { $0 } ?? [])
        return names.sorted().map { recorded[$0] ?? ServiceRecord.never($0) }
    }

    public var json: JSONValue {
        guard case .object(var fields) = RunJSON.json(record, now: now) else { return .null }
        fields.append(("description", .optional(spec?.description)))
        fields.append(
            (
                "events",
                .array(
                    events.map { e in
                        .object([
                            ("at", RunJSON.time(e.at)), ("kind", .string(e.kind)), ("state", .string(e.state)), ("pid", e.pid.map { .int(Int64($0)) } ?? .null),
                            ("detail", .optional(e.detail)),
                        ])
                    })
            ))
        fields.append(("attempts", .array(attempts.map { RunJSON.json($0) })))
        return .object(fields)
    }
}

/// Why a view could not be shown, as its HTTP status.
public enum WebError: Error, Sendable, CustomStringConvertible {
    case badRequest(String)
    case notFound(String)
    case forbidden(String)
    case unavailable(String)

    public var description: String {
        switch self {
        case .badRequest(let m), .notFound(let m), .forbidden(let m), .unavailable(let m): m
        }
    }
}
