import Foundation

/// Turns job files into `JobSpec`s and `ServiceSpec`s, then checks what spans files: unique
/// names, dependencies, pools, `on_failure` targets and cycles. Collects every problem.
///
/// One parser reads one file (files are read concurrently); `merge` folds them together in file
/// order, so the first declaration of a name wins and later ones are reported.
struct JobFileParser: Sendable {
    let config: Config
    var reader = NodeReader()
    var jobs: [String: JobSpec] = [:]
    var services: [String: ServiceSpec] = [:]
    /// Names with where they were declared, to report duplicates across files.
    var declared: [String: SourceLocation] = [:]
    var declarationOrder: [(name: String, at: SourceLocation)] = []
    /// Every declared name's kind, valid or not, so that cycles through a broken job are found.
    var declaredKinds: [String: JobGraph.Kind] = [:]
    /// References to check once every file is read.
    var dependencyRefs: [(from: String, name: String, at: SourceLocation)] = []
    var failureRefs: [(from: String, name: String, at: SourceLocation)] = []
    var poolRefs: [(from: String, name: String, at: SourceLocation)] = []

    init(config: Config) { self.config = config }

    /// Reads one parsed job file (or records its YAML error).
    mutating func add(_ parsed: Result<YAMLValue, Diagnostic>) {
        let root: YAMLValue
        switch parsed {
        case .success(let v): root = v
        case .failure(let d):
            reader.diagnostics.append(d)
            return
        }
        guard let top = reader.mapping(root, "a job file (it holds a jobs: and/or a services: mapping)", allowed: ["jobs", "services"]) else { return }
        for (key, _, value) in top {
            for (name, at, body) in reader.mapping(value, key) ?? [] {
                guard checkName(name, at: at, kind: key == "jobs" ? .job : .service) else { continue }
                if key == "jobs" {
                    if let job = parseJob(name, body, at: at) { jobs[name] = job }
                } else if let service = parseService(name, body, at: at) {
                    services[name] = service
                }
            }
        }
    }

    mutating func checkName(_ name: String, at: SourceLocation, kind: JobGraph.Kind) -> Bool {
        let allowed = name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == ".") }
        guard !name.isEmpty, allowed, name.first != ".", name.first != "-" else {
            reader.error(at, "\"\(name)\" is not a valid name: use letters, digits, \"-\", \"_\" and \".\", starting with a letter or digit")
            return false
        }
        if let first = declared[name] {
            reader.error(at, "\"\(name)\" is already declared at \(first); job and service names are unique across all files")
            return false
        }
        declared[name] = at
        declarationOrder.append((name, at))
        declaredKinds[name] = kind
        return true
    }

    /// Adds another file's results after this one's.
    mutating func merge(_ other: JobFileParser) {
        reader.diagnostics += other.reader.diagnostics
        for (name, at) in other.declarationOrder {
            guard checkName(name, at: at, kind: other.declaredKinds[name] ?? .job) else { continue }
            if let job = other.jobs[name] { jobs[name] = job }
            if let service = other.services[name] { services[name] = service }
        }
        dependencyRefs += other.dependencyRefs
        failureRefs += other.failureRefs
        poolRefs += other.poolRefs
    }

    // MARK: - Jobs

    mutating func parseJob(_ name: String, _ body: YAMLValue, at: SourceLocation) -> JobSpec? {
        let what = "job \"\(name)\""
        let before = reader.diagnostics.count
        guard case .mapping(let raw) = body.kind else {
            reader.error(body.location, "\(what) must be a mapping, found \(body.typeName)")
            return nil
        }
        // Service settings on a job get their own message rather than a guess at a job key.
        let serviceOnly = Set(ServiceSpec.keys).subtracting(JobSpec.keys)
        for (k, _) in raw {
            if let key = k.scalar, serviceOnly.contains(key) {
                reader.error(k.location, "\"\(key)\" is a service setting; \(what) is declared under jobs: (move it under services: to supervise it)")
            }
        }
        let stripped = YAMLValue(kind: .mapping(raw.filter { !serviceOnly.contains($0.key.scalar ?? "") }), location: body.location)
        guard let pairs = reader.mapping(stripped, what, allowed: JobSpec.keys),
            let command = parseCommand(pairs, what, at: at)
        else { return nil }
        var job = JobSpec(name: name, command: command, location: at)
        var scheduleNode: YAMLValue?
        for (key, _, value) in pairs {
            switch key {
            case "description": job.description = reader.string(value, "description")
            case "unavailable": job.unavailable = reader.nonEmptyString(value, "unavailable")
            case "command", "shell": break
            case "schedule": scheduleNode = value
            case "timezone":
                if let tz = reader.timeZone(value, "timezone") { job.timeZoneIdentifier = tz.identifier }
            case "depends_on": job.dependsOn = references(value, "depends_on", from: name, into: \.dependencyRefs)
            case "timeout":
                if let d = reader.duration(value, "timeout") { job.timeout = positive(d, value, "timeout") }
            case "retries": if let n = reader.int(value, "retries", min: 0) { job.retries = n }
            case "retry_delay": if let d = reader.duration(value, "retry_delay") { job.retryDelay = d }
            case "max_retry_delay": if let d = reader.duration(value, "max_retry_delay") { job.maxRetryDelay = d }
            case "overlap": if let o = reader.choice(value, "overlap", JobSpec.Overlap.self) { job.overlap = o }
            case "catch_up": if let c = reader.choice(value, "catch_up", JobSpec.CatchUp.self) { job.catchUp = c }
            case "deadline":
                if let d = reader.duration(value, "deadline", allowNegative: true) {
                    if d.isNegative {
                        reader.error(value.textLocation, "deadline must not be shorter than zero, found \"\(value.scalar ?? "")\"")
                    } else {
                        job.deadline = d
                    }
                }
            case "pool":
                if let p = reader.nonEmptyString(value, "pool") {
                    job.pool = p
                    poolRefs.append((name, p, value.textLocation))
                }
            case "env": job.env = parseEnv(value)
            case "node":
                if let label = reader.nonEmptyString(value, "node") {
                    if label.contains(where: { $0.isWhitespace || $0 == "," }) {
                        reader.error(value.textLocation, "node must be one label (a word a node is started with: --labels), found \"\(label)\"")
                    } else {
                        job.node = label
                    }
                }
            case "on_failure": job.onFailure = references(value, "on_failure", from: name, into: \.failureRefs)
            default: break
            }
        }
        if let node = scheduleNode {
            job.schedule = parseSchedule(node)
        }
        if reader.diagnostics.count == before {
            checkCap(job.retryDelay, job.maxRetryDelay, "retry_delay", "max_retry_delay", pairs, at: at)
        }
        return reader.diagnostics.count == before ? job : nil
    }

    /// A first delay longer than its cap is a contradiction, whichever of the two was written.
    mutating func checkCap(
        _ delay: TimeSpan, _ cap: TimeSpan, _ delayKey: String, _ capKey: String,
        _ pairs: [(key: String, keyAt: SourceLocation, value: YAMLValue)], at: SourceLocation
    ) {
        guard delay > cap else { return }
        let place = pairs.first { $0.key == delayKey }?.value.textLocation ?? pairs.first { $0.key == capKey }?.value.textLocation ?? at
        reader.error(place, "\(delayKey) \(delay) is longer than \(capKey) \(cap)")
    }

    /// An offset from a market event: whole seconds, less than a day either way.
    mutating func marketOffset(_ node: YAMLValue, _ what: String) -> TimeSpan? {
        guard let d = reader.duration(node, what, allowNegative: true) else { return nil }
        guard d.milliseconds % 1000 == 0, abs(d.milliseconds) < 86_400_000 else {
            reader.error(node.textLocation, "\(what) must be whole seconds and less than a day either way, found \"\(node.scalar ?? "")\"")
            return nil
        }
        return d
    }

    mutating func positive(_ d: TimeSpan, _ node: YAMLValue, _ what: String) -> TimeSpan? {
        guard d.milliseconds > 0 else {
            reader.error(node.textLocation, "\(what) must be longer than zero")
            return nil
        }
        return d
    }

    mutating func parseCommand(_ pairs: [(key: String, keyAt: SourceLocation, value: YAMLValue)], _ what: String, at: SourceLocation) -> Command? {
        let command = pairs.first { $0.key == "command" }
        let shell = pairs.first { $0.key == "shell" }
        switch (command, shell) {
        case (nil, nil):
            reader.error(at, "\(what) needs a command: (an argv list) or a shell: (a script for /bin/sh -c)")
            return nil
        case (.some(let c), .some):
            reader.error(c.keyAt, "\(what) has both command: and shell:; keep one")
            return nil
        case (.some(let c), nil):
            if case .scalar(let s, _) = c.value.kind, !c.value.isNull {
                reader.error(
                    c.value.location,
                    "command must be a list such as [alphatrader, discover] (it runs with no shell); to run \"\(s)\" through /bin/sh write shell: instead")
                return nil
            }
            guard let argv = reader.stringList(c.value, "command") else { return nil }
            guard !argv.isEmpty else {
                reader.error(c.value.location, "command must not be empty")
                return nil
            }
            return .argv(argv.map(\.0))
        case (nil, .some(let s)):
            guard let script = reader.nonEmptyString(s.value, "shell") else { return nil }
            return .shell(script)
        }
    }

    mutating func parseEnv(_ node: YAMLValue) -> [String: String] {
        var env: [String: String] = [:]
        for (key, at, value) in reader.mapping(node, "env") ?? [] {
            let valid =
                key.first.map { $0 == "_" || $0.isLetter } == true
                && key.allSatisfy { $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) }
            if !valid {
                reader.error(at, "\"\(key)\" is not a valid environment variable name")
                continue
            }
            if key.hasPrefix("ORCHESTRATOR_") {
                reader.error(at, "\(key): ORCHESTRATOR_* variables are set by the orchestrator for each attempt")
                continue
            }
            guard case .scalar(let s, _) = value.kind else {
                reader.error(value.location, "env \(key) must be a string, found \(value.typeName)")
                continue
            }
            env[key] = value.isNull ? "" : s
        }
        return env
    }

    mutating func references(
        _ node: YAMLValue, _ what: String, from: String,
        into list: WritableKeyPath<JobFileParser, [(from: String, name: String, at: SourceLocation)]>
    ) -> [String] {
        guard let names = reader.stringList(node, what) else { return [] }
        for (n, at) in names { self[keyPath: list].append((from, n, at)) }
        return names.map(\.0)
    }

    // MARK: - Schedules

    mutating func parseSchedule(_ node: YAMLValue) -> Schedule? {
        guard let pairs = reader.mapping(node, "schedule", allowed: ["cron", "market", "offset", "every", "during", "at", "days"]) else { return nil }
        guard let form = reader.exactlyOne(of: ["cron", "market", "every", "at"], in: pairs, at: node.location, "schedule", "form") else { return nil }
        let extras: [String: [String]] = ["cron": [], "market": ["offset"], "every": ["during"], "at": ["days"]]
        for (key, at, _) in pairs where key != form.key && !(extras[form.key] ?? []).contains(key) {
            reader.error(at, "\"\(key)\" does not go with a \(form.key): schedule")
        }
        let value = form.value
        switch form.key {
        case "cron":
            guard let text = reader.nonEmptyString(value, "cron") else { return nil }
            do {
                return .cron(try CronExpression(parsing: text))
            } catch {
                reader.error(value.textLocation.advanced(by: error.offset), error.message)
                return nil
            }
        case "market":
            guard let event = reader.choice(value, "market", Schedule.MarketEvent.self) else { return nil }
            var offset = TimeSpan.zero
            if let o = pairs.first(where: { $0.key == "offset" }) {
                guard let d = marketOffset(o.value, "offset") else { return nil }
                offset = d
            }
            return .market(event, offset: offset)
        case "every":
            guard let span = reader.duration(value, "every") else { return nil }
            guard span.milliseconds >= 1000, span.milliseconds % 1000 == 0 else {
                reader.error(value.textLocation, "every must be whole seconds, at least 1s, found \"\(value.scalar ?? "")\"")
                return nil
            }
            guard let during = pairs.first(where: { $0.key == "during" }) else {
                reader.error(form.keyAt, "every: needs during: (session, premarket, postmarket or day)")
                return nil
            }
            guard let window = reader.choice(during.value, "during", Schedule.DayWindow.self) else { return nil }
            return .every(span, during: window)
        default:
            guard let time = reader.timeOfDay(value, "at") else { return nil }
            var days = Schedule.DayFilter.trading
            if let d = pairs.first(where: { $0.key == "days" }) {
                guard let filter = reader.choice(d.value, "days", Schedule.DayFilter.self) else { return nil }
                days = filter
            }
            return .at(time, days: days)
        }
    }

    // MARK: - Services

    mutating func parseService(_ name: String, _ body: YAMLValue, at: SourceLocation) -> ServiceSpec? {
        let what = "service \"\(name)\""
        guard case .mapping(let raw) = body.kind else {
            reader.error(body.location, "\(what) must be a mapping, found \(body.typeName)")
            return nil
        }
        // A schedule on a service is a misunderstanding worth its own message.
        for (k, _) in raw where k.scalar == "schedule" {
            reader.error(
                k.location, "\(what) cannot have a schedule: services run continuously (use active: {from: …, to: …} for a window, or declare it under jobs:)")
        }
        let stripped = YAMLValue(kind: .mapping(raw.filter { $0.key.scalar != "schedule" }), location: body.location)
        let before = reader.diagnostics.count
        guard let pairs = reader.mapping(stripped, what, allowed: ServiceSpec.keys),
            let command = parseCommand(pairs, what, at: at)
        else { return nil }
        var service = ServiceSpec(name: name, command: command, location: at)
        for (key, _, value) in pairs {
            switch key {
            case "description": service.description = reader.string(value, "description")
            case "unavailable": service.unavailable = reader.nonEmptyString(value, "unavailable")
            case "command", "shell": break
            case "active": service.active = parseActive(value)
            case "timezone":
                if let tz = reader.timeZone(value, "timezone") { service.timeZoneIdentifier = tz.identifier }
            case "depends_on": service.dependsOn = references(value, "depends_on", from: name, into: \.dependencyRefs)
            case "restart": if let r = reader.choice(value, "restart", ServiceSpec.Restart.self) { service.restart = r }
            case "restart_delay": if let d = reader.duration(value, "restart_delay") { service.restartDelay = d }
            case "max_restart_delay": if let d = reader.duration(value, "max_restart_delay") { service.maxRestartDelay = d }
            case "start_limit":
                for (k, _, v) in reader.mapping(value, "start_limit", allowed: ["burst", "interval"]) ?? [] {
                    if k == "burst" {
                        if let n = reader.int(v, "start_limit.burst", min: 1) { service.startLimit.burst = n }
                    } else if let d = reader.duration(v, "start_limit.interval"), let p = positive(d, v, "start_limit.interval") {
                        service.startLimit.interval = p
                    }
                }
            case "health": service.health = parseHealth(value)
            case "stop_timeout": if let d = reader.duration(value, "stop_timeout") { service.stopTimeout = d }
            case "env": service.env = parseEnv(value)
            case "on_failure": service.onFailure = references(value, "on_failure", from: name, into: \.failureRefs)
            case "cpu_scheduling": service.cpuScheduling = parseCPUScheduling(value)
            default: break
            }
        }
        if reader.diagnostics.count == before {
            checkCap(service.restartDelay, service.maxRestartDelay, "restart_delay", "max_restart_delay", pairs, at: at)
        }
        return reader.diagnostics.count == before ? service : nil
    }

    mutating func parseCPUScheduling(_ node: YAMLValue) -> CPUScheduling? {
        guard let pairs = reader.mapping(node, "cpu_scheduling", allowed: CPUScheduling.keys) else { return nil }
        guard let policyPair = pairs.first(where: { $0.key == "policy" }) else {
            reader.error(node.location, "cpu_scheduling needs policy: (other, batch, idle, fifo or rr)")
            return nil
        }
        guard let policy = reader.choice(policyPair.value, "cpu_scheduling.policy", CPUScheduling.Policy.self) else { return nil }
        let before = reader.diagnostics.count
        var result = CPUScheduling(policy: policy)
        for (key, keyAt, value) in pairs {
            switch key {
            case "priority":
                guard policy.isRealTime else {
                    reader.error(
                        keyAt,
                        "cpu_scheduling.priority applies to the real-time policies fifo and rr, not \(policy.rawValue)\(policy == .idle ? "" : " (use nice: to weigh an ordinary process)")"
                    )
                    continue
                }
                if let n = reader.int(value, "cpu_scheduling.priority", min: 1) {
                    if n > 99 { reader.error(value.textLocation, "cpu_scheduling.priority must be from 1 to 99, found \(n)") } else { result.priority = n }
                }
            case "nice":
                guard policy == .other || policy == .batch else {
                    reader.error(
                        keyAt,
                        "cpu_scheduling.nice applies to the policies other and batch, not \(policy.rawValue)\(policy.isRealTime ? " (a real-time process is ranked by priority:)" : "")"
                    )
                    continue
                }
                if let n = reader.int(value, "cpu_scheduling.nice", min: -20) {
                    if n > 19 { reader.error(value.textLocation, "cpu_scheduling.nice must be from -20 to 19, found \(n)") } else { result.nice = n }
                }
            case "reset_on_fork":
                if case .scalar(let text, false) = value.kind, text == "true" || text == "false" {
                    result.resetOnFork = text == "true"
                } else {
                    reader.error(
                        value.textLocation,
                        "cpu_scheduling.reset_on_fork takes true or false, found \(value.typeName)\(value.scalar.map { " \"\($0)\"" } ?? "")")
                }
            default: break
            }
        }
        if policy.isRealTime && result.priority == nil && !pairs.contains(where: { $0.key == "priority" }) {
            reader.error(policyPair.keyAt, "cpu_scheduling.policy \(policy.rawValue) needs priority: (1 to 99, higher runs first)")
        }
        return reader.diagnostics.count == before ? result : nil
    }

    mutating func parseActive(_ node: YAMLValue) -> ActiveWindow? {
        guard let pairs = reader.mapping(node, "active", allowed: ["from", "to", "days"]) else { return nil }
        var from: ActiveWindow.Bound?
        var to: ActiveWindow.Bound?
        var days = Schedule.DayFilter.trading
        for (key, _, value) in pairs {
            switch key {
            case "days": if let d = reader.choice(value, "active.days", Schedule.DayFilter.self) { days = d }
            default:
                let bound = parseBound(value, "active.\(key)")
                if key == "from" { from = bound } else { to = bound }
            }
        }
        for (key, bound) in [("from", from), ("to", to)] where bound == nil && !pairs.contains(where: { $0.key == key }) {
            reader.error(node.location, "active needs \(key): (a time such as \"09:00\", or {market: open, offset: -30m})")
        }
        guard let from, let to else { return nil }
        if case .market = from, let d = pairs.first(where: { $0.key == "days" }) {
            reader.error(d.keyAt, "active.days applies to windows of plain times; a window from a market event runs on trading days")
            return nil
        }
        if case .market = to, let d = pairs.first(where: { $0.key == "days" }) {
            reader.error(d.keyAt, "active.days applies to windows of plain times; a window to a market event runs on trading days")
            return nil
        }
        return ActiveWindow(from: from, to: to, days: days)
    }

    mutating func parseBound(_ node: YAMLValue, _ what: String) -> ActiveWindow.Bound? {
        if case .scalar = node.kind {
            return reader.timeOfDay(node, what).map { .time($0) }
        }
        guard let pairs = reader.mapping(node, what, allowed: ["market", "offset"]) else { return nil }
        guard let market = pairs.first(where: { $0.key == "market" }) else {
            reader.error(node.location, "\(what) needs market: open or market: close")
            return nil
        }
        guard let event = reader.choice(market.value, "\(what).market", Schedule.MarketEvent.self) else { return nil }
        var offset = TimeSpan.zero
        if let o = pairs.first(where: { $0.key == "offset" }) {
            guard let d = marketOffset(o.value, "\(what).offset") else { return nil }
            offset = d
        }
        return .market(event, offset: offset)
    }

    mutating func parseHealth(_ node: YAMLValue) -> HealthCheck? {
        guard let pairs = reader.mapping(node, "health", allowed: HealthCheck.keys) else { return nil }
        guard let probeNode = reader.exactlyOne(of: ["redis_key", "tcp", "command", "redis_ping"], in: pairs, at: node.location, "health", "check") else {
            return nil
        }
        var probe: HealthCheck.Probe?
        switch probeNode.key {
        case "redis_key":
            if let key = reader.nonEmptyString(probeNode.value, "health.redis_key") {
                if let age = pairs.first(where: { $0.key == "max_age" }) {
                    if let d = reader.duration(age.value, "health.max_age"), let p = positive(d, age.value, "health.max_age") {
                        probe = .redisKey(key, maxAge: p)
                    }
                } else {
                    reader.error(probeNode.keyAt, "health.redis_key needs max_age: (how old the heartbeat may be, such as 15s)")
                }
            }
        case "tcp":
            if let text = reader.nonEmptyString(probeNode.value, "health.tcp") {
                if let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
                    (1...65535).contains(port), colon != text.startIndex
                {
                    probe = .tcp(host: String(text[..<colon]), port: port)
                } else {
                    reader.error(probeNode.value.textLocation, "health.tcp must be host:port with a port from 1 to 65535, found \"\(text)\"")
                }
            }
        case "redis_ping":
            if case .scalar(let text, _) = probeNode.value.kind, text == "true" {
                probe = .redisPing
            } else {
                reader.error(probeNode.value.textLocation, "health.redis_ping takes true (the configured redis.url must answer PING)")
            }
        default:
            if let argv = reader.stringList(probeNode.value, "health.command") {
                if argv.isEmpty { reader.error(probeNode.value.location, "health.command must not be empty") } else { probe = .command(argv.map(\.0)) }
            }
        }
        if probeNode.key != "redis_key", let age = pairs.first(where: { $0.key == "max_age" }) {
            reader.error(age.keyAt, "max_age goes with redis_key:, not \(probeNode.key):")
        }
        guard let probe else { return nil }
        var check = HealthCheck(probe: probe)
        for (key, _, value) in pairs {
            switch key {
            case "interval": if let d = reader.duration(value, "health.interval"), let p = positive(d, value, "health.interval") { check.interval = p }
            case "timeout": if let d = reader.duration(value, "health.timeout"), let p = positive(d, value, "health.timeout") { check.timeout = p }
            case "unhealthy_after": if let n = reader.int(value, "health.unhealthy_after", min: 1) { check.unhealthyAfter = n }
            case "start_period": if let d = reader.duration(value, "health.start_period") { check.startPeriod = d }
            default: break
            }
        }
        return check
    }

    // MARK: - Across files

    /// Checks every reference now that all names are known, and builds the graph.
    func resolve() -> (JobGraph, [Diagnostic]) {
        var problems: [Diagnostic] = []
        let allNames = Array(declared.keys)
        for ref in dependencyRefs where declared[ref.name] == nil {
            problems.append(
                Diagnostic(ref.at, "\"\(ref.from)\" depends on unknown job or service \"\(ref.name)\"\(Suggestion.hint(for: ref.name, in: allNames))"))
        }
        for ref in dependencyRefs where ref.name == ref.from {
            problems.append(Diagnostic(ref.at, "\"\(ref.from)\" depends on itself"))
        }
        for ref in failureRefs where jobs[ref.name] == nil {
            if services[ref.name] != nil {
                problems.append(Diagnostic(ref.at, "on_failure of \"\(ref.from)\" names \"\(ref.name)\", which is a service; on_failure triggers jobs"))
            } else if declared[ref.name] == nil {
                problems.append(
                    Diagnostic(ref.at, "on_failure of \"\(ref.from)\" names unknown job \"\(ref.name)\"\(Suggestion.hint(for: ref.name, in: Array(jobs.keys)))")
                )
            }
        }
        for ref in poolRefs where config.pools[ref.name] == nil {
            let known = config.pools.keys.sorted()
            problems.append(
                Diagnostic(
                    ref.at,
                    "job \"\(ref.from)\" uses unknown pool \"\(ref.name)\" (pools are declared in the configuration: \(known.isEmpty ? "none yet" : known.joined(separator: ", ")))\(Suggestion.hint(for: ref.name, in: known))"
                ))
        }
        // The graph holds every declared name, valid or not, so a cycle through a job with some
        // other error is still reported.
        var ups: [String: [String]] = [:]
        for ref in dependencyRefs { ups[ref.from, default: []].append(ref.name) }
        // Services wait for their upstream services; a service cannot wait for a batch job.
        for ref in dependencyRefs where services[ref.from] != nil && jobs[ref.name] != nil {
            problems.append(Diagnostic(ref.at, "service \"\(ref.from)\" depends on job \"\(ref.name)\"; services can depend only on services"))
        }
        let graph = JobGraph(kinds: declaredKinds, upstreams: ups)
        for cycle in graph.cycles() where cycle.count > 2 {
            let at =
                dependencyRefs.first { $0.from == cycle[0] && $0.name == cycle[1] }?.at
                ?? declared[cycle[0]] ?? SourceLocation(file: "?", line: 1, column: 1)
            problems.append(Diagnostic(at, "dependency cycle: \(cycle.joined(separator: " -> "))"))
        }
        // on_failure loops would trigger each other for ever once the engine runs them.
        var failureEdges: [String: [String]] = [:]
        for ref in failureRefs where declaredKinds[ref.name] == .job { failureEdges[ref.from, default: []].append(ref.name) }
        for cycle in JobGraph(kinds: declaredKinds, upstreams: failureEdges).cycles() {
            let at = failureRefs.first { $0.from == cycle[0] && $0.name == cycle[1] }?.at ?? declared[cycle[0]]!
            let message =
                cycle.count == 2
                ? "on_failure of \"\(cycle[0])\" names itself"
                : "on_failure cycle: \(cycle.joined(separator: " -> "))"
            problems.append(Diagnostic(at, message))
        }
        return (graph, problems)
    }
}
