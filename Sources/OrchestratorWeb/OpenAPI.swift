public import OrchestratorCore

/// The API's machine-readable description (OpenAPI 3.1), served at `/api/openapi.json`: every
/// path, its parameters and the shapes of SPEC §5 it answers with.
public enum OpenAPI {
    static func ref(_ name: String) -> JSONValue { .object([("$ref", .string("#/components/schemas/\(name)"))]) }
    static func array(_ items: JSONValue) -> JSONValue { .object([("type", "array"), ("items", items)]) }
    static func nullable(_ type: String, _ extra: [(String, JSONValue)] = []) -> JSONValue {
        .object([("type", .array([.string(type), "null"]))] + extra)
    }
    static let time = nullable("string", [("format", "date-time")])

    static func object(_ properties: [(String, JSONValue)], required: [String] = []) -> JSONValue {
        var fields: [(String, JSONValue)] = [("type", "object"), ("properties", .object(properties))]
        if !required.isEmpty { fields.append(("required", .array(required.map { .string($0) }))) }
        return .object(fields)
    }

    static func parameter(_ name: String, in place: String = "query", _ description: String, schema: JSONValue = .object([("type", "string")])) -> JSONValue {
        .object([
            ("name", .string(name)), ("in", .string(place)), ("required", .bool(place == "path")), ("description", .string(description)),
            ("schema", schema),
        ])
    }

    static func get(
        _ summary: String, _ parameters: [JSONValue], _ schema: JSONValue, type: String = "application/json", errors: [Int] = [400, 404, 503]
    )
        -> JSONValue
    {
        var responses: [(String, JSONValue)] = [
            ("200", .object([("description", "OK"), ("content", .object([(type, .object([("schema", schema)]))]))]))
        ]
        for code in errors {
            responses.append(
                (
                    String(code),
                    .object([
                        (
                            "description",
                            .string(
                                code == 400
                                    ? "a parameter is not valid" : code == 404 ? "no such thing" : "the run store cannot be read (missing, locked, newer)")
                        ),
                        ("content", .object([("application/json", .object([("schema", ref("Problem"))]))])),
                    ])
                ))
        }
        return .object([("get", .object([("summary", .string(summary)), ("parameters", .array(parameters)), ("responses", .object(responses))]))])
    }

    static let runFilters: [JSONValue] = [
        parameter("state", "a run state", schema: .object([("type", "string"), ("enum", .array(RunState.allCases.map { .string($0.rawValue) }))])),
        parameter(
            "trigger", "how the run was started", schema: .object([("type", "string"), ("enum", .array(RunTrigger.allCases.map { .string($0.rawValue) }))])),
        parameter("day", "a trading day, YYYY-MM-DD", schema: .object([("type", "string"), ("format", "date")])),
        parameter("limit", "at most this many (1…10000, default 50)", schema: .object([("type", "integer"), ("minimum", .int(1)), ("maximum", .int(10000))])),
    ]

    static let schemas: JSONValue = .object([
        ("Problem", object([("error", .object([("type", "string")]))], required: ["error"])),
        (
            "Run",
            object(
                [
                    ("id", .object([("type", "string")])), ("job", .object([("type", "string")])),
                    ("trading_day", .object([("type", "string"), ("format", "date")])),
                    ("scheduled_for", time), ("trigger", .object([("type", "string")])), ("state", .object([("type", "string")])),
                    ("attempts", .object([("type", "integer")])), ("started_at", time), ("finished_at", time), ("duration", nullable("number")),
                    ("exit_code", nullable("integer")), ("reason", nullable("string")),
                ], required: ["id", "job", "trading_day", "trigger", "state", "attempts"])
        ),
        (
            "Attempt",
            object([
                ("number", .object([("type", "integer")])), ("pid", nullable("integer")), ("started_at", time), ("finished_at", time),
                ("exit_code", nullable("integer")), ("signal", nullable("integer")), ("outcome", .object([("type", "string")])),
                ("log", .object([("type", "string")])),
            ])
        ),
        (
            "Service",
            object([
                ("name", .object([("type", "string")])), ("state", .object([("type", "string")])), ("pid", nullable("integer")), ("uptime", nullable("number")),
                ("restarts", .object([("type", "integer")])), ("last_exit", nullable("object")), ("health", nullable("object")), ("run", nullable("string")),
            ])
        ),
    ])

    public static let document: JSONValue = .object([
        ("openapi", "3.1.0"),
        (
            "info",
            .object([
                ("title", "orchestrator serve"), ("version", "1"),
                (
                    "description",
                    "Read-only views of the run store: every page of the web UI has its JSON here. Times are ISO-8601 UTC with Z, durations in seconds."
                ),
            ])
        ),
        (
            "paths",
            .object([
                (
                    "/api/changes",
                    get(
                        "A mark that moves whenever a run or a service changes state: poll it, refetch when it moved", [],
                        object([("mark", .object([("type", "string")]))]))
                ),
                (
                    "/api/today",
                    get(
                        "A trading day's runs, session, service windows and counts by state", [parameter("day", "YYYY-MM-DD, default today's trading day")],
                        object([
                            ("day", .object([("type", "string")])), ("session", nullable("object")), ("counts", .object([("type", "object")])),
                            ("windows", array(.object([("type", "object")]))), ("runs", array(ref("Run"))),
                        ]))
                ),
                (
                    "/api/grid",
                    get(
                        "Jobs × the last trading days: runs, the state most needing a look, seconds run",
                        [parameter("days", "how many trading days (1…120, default 14)", schema: .object([("type", "integer")]))],
                        object([("days", array(.object([("type", "string")]))), ("jobs", array(.object([("type", "object")])))]))
                ),
                (
                    "/api/schedule",
                    get(
                        "Every job's next slot from the exchange calendar and its last run", [],
                        array(
                            object([
                                ("job", .object([("type", "string")])), ("schedule", .object([("type", "string")])), ("next", time),
                                ("in_seconds", nullable("number")),
                                ("last_run", .object([("oneOf", .array([ref("Run"), .object([("type", "null")])]))])),
                            ])))
                ),
                (
                    "/api/jobs/{name}",
                    get(
                        "A job's definition and its runs, newest first", [parameter("name", in: "path", "the job")] + runFilters,
                        object([("job", .object([("type", "object")])), ("runs", array(ref("Run")))]))
                ),
                ("/api/runs", get("Runs, newest first", [parameter("job", "one job")] + runFilters, array(ref("Run")))),
                (
                    "/api/runs/{id}",
                    get(
                        "One run with its attempts and the names of its environment", [parameter("id", in: "path", "the run id")],
                        .object([
                            (
                                "allOf",
                                .array([
                                    ref("Run"), object([("attempts_detail", array(ref("Attempt"))), ("environment", array(.object([("type", "string")])))]),
                                ])
                            )
                        ]))
                ),
                (
                    "/api/runs/{id}/attempts/{n}/log",
                    get(
                        "An attempt's captured output from a byte offset (X-Log-Size: the file's size then)",
                        [
                            parameter("id", in: "path", "the run id"), parameter("n", in: "path", "the attempt number"),
                            parameter("offset", "the first byte (default 0)", schema: .object([("type", "integer")])),
                        ], .object([("type", "string")]), type: "text/plain", errors: [403, 404, 503])
                ),
                (
                    "/runs/{id}/attempts/{n}/log/events",
                    get(
                        "Server-sent events: each new line of the log as `data:` (its id the byte offset after it), `event: end` when the attempt has ended",
                        [
                            parameter("id", in: "path", "the run id"), parameter("n", in: "path", "the attempt number"),
                            parameter("offset", "the byte to follow from (or the Last-Event-ID header)", schema: .object([("type", "integer")])),
                        ], .object([("type", "string")]), type: "text/event-stream", errors: [403, 404, 503])
                ),
                ("/api/services", get("Every service as its supervisor last recorded it", [], array(ref("Service")))),
                (
                    "/api/services/{name}",
                    get(
                        "A service with its recent events and its current run's starts", [parameter("name", in: "path", "the service")],
                        .object([
                            (
                                "allOf",
                                .array([ref("Service"), object([("events", array(.object([("type", "object")]))), ("attempts", array(ref("Attempt")))])])
                            )
                        ]))
                ),
                (
                    "/api/status",
                    get(
                        "orchestrator status --json: the daemon, services, running runs, next slots", [],
                        object([
                            ("daemon", .object([("type", "object")])), ("services", array(ref("Service"))), ("running", array(ref("Run"))),
                            ("next", array(.object([("type", "object")]))),
                        ]))
                ),
                ("/metrics", get("Prometheus text exposition", [], .object([("type", "string")]), type: "text/plain", errors: [503])),
            ])
        ),
        ("components", .object([("schemas", schemas), ("securitySchemes", .object([("token", .object([("type", "http"), ("scheme", "bearer")]))]))])),
    ])
}
