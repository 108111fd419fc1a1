public import Foundation

/// `config/config.yaml` (SPEC §2), after `${VAR}` substitution and validation.
///
/// Secrets are not part of it: API keys and tokens are read from the environment by the clients
/// that need them, so a printed or stored `Config` can never carry one.
public struct Config: Sendable {
    public var timeZone: TimeZone
    public var calendarCode: String
    public var database: String
    public var logs: String
    public var maxParallel: Int
    public var pools: [String: Int]
    public var redisURL: String
    public var symbols: Symbols
    public var endpoints: Endpoints
    /// `backup:` (SPEC §12): where backups go, how many to keep, where to copy them.
    public var backup = Backup()
    /// `node_dead_after:` (issue 21, several nodes on PostgreSQL): a node not heard from for this
    /// long, by the database's clock, is dead — its leader's lease lapses after as long, its
    /// attempts are adopted or lost, its services start on the leader.
    public var nodeDeadAfter: Double = 10

    public struct Backup: Sendable, Equatable {
        public var directory = "var/backups"
        public var keepDaily = 7, keepWeekly = 4, keepMonthly = 12
        /// Another disk or a mounted share that receives a checked copy of each backup.
        public var copyTo: String?
        public init() {}
    }

    public struct Symbols: Sendable, Equatable {
        public var level2: [String]
        public var standard: [String]
        public var all: [String] { level2 + standard }
    }

    public struct Endpoints: Sendable, Equatable {
        public var ibkrHost: String
        public var ibkrPort: Int
        public var ibkrClientID: Int
        public var alphaVantage: String
        public var openAI: String
        /// Empty when the channel is off.
        public var discord: String
        public var telegram: String
        public var x: String
    }

    /// The values used when a key is absent (SPEC §2's example file).
    public static let defaults = Config(
        timeZone: TimeZone(identifier: "America/New_York")!,
        calendarCode: "XNYS",
        database: "var/orchestrator.sqlite",
        logs: "var/logs",
        maxParallel: 8,
        pools: [:],
        redisURL: "redis://127.0.0.1:6379/0",
        symbols: Symbols(
            level2: ["SPY", "QQQ", "IWM"],
            standard: ["AAPL", "TSLA", "NVDA", "META", "AMZN", "MSFT", "GOOGL", "AMD", "VXX"]),
        endpoints: Endpoints(
            ibkrHost: "127.0.0.1", ibkrPort: 7497, ibkrClientID: 1,
            alphaVantage: "https://www.alphavantage.co/query",
            openAI: "https://api.openai.com/v1", discord: "",
            telegram: "https://api.telegram.org", x: "https://api.x.com/2"))

    /// The exchange calendar the configuration names.
    public var calendar: any ExchangeCalendar { ExchangeCalendars.named(calendarCode)! }

    static let keys = ["timezone", "calendar", "database", "logs", "max_parallel", "pools", "redis", "symbols", "endpoints", "backup", "node_dead_after"]
    static let endpointKeys = ["ibkr", "alphavantage", "openai", "discord", "telegram", "x"]

    /// Parses and validates the configuration file's text; every problem becomes a diagnostic.
    public static func load(_ text: String, file: String, environment: [String: String]) -> Result<Config, Diagnostics> {
        let (config, problems) = loadPartially(text, file: file, environment: environment)
        return problems.isEmpty ? .success(config) : .failure(Diagnostics(problems))
    }

    /// Every value that could be read, with the defaults elsewhere, and the problems: so that job
    /// files are still checked against the pools that were declared when another key is wrong.
    static func loadPartially(_ text: String, file: String, environment: [String: String]) -> (Config, [Diagnostic]) {
        var config = Config.defaults
        let root: YAMLValue
        switch YAMLValue.parse(text, file: file) {
        case .success(let v): root = v
        case .failure(let d): return (config, [d])
        }
        var reader = NodeReader()
        let substituted = substitute(root, environment: environment, reader: &reader)
        guard let pairs = reader.mapping(substituted, "the configuration", allowed: keys) else {
            return (config, reader.diagnostics)
        }
        for (key, _, value) in pairs {
            switch key {
            case "timezone":
                if let tz = reader.timeZone(value, "timezone") { config.timeZone = tz }
            case "calendar":
                if let code = reader.string(value, "calendar") {
                    if ExchangeCalendars.named(code) != nil {
                        config.calendarCode = code.uppercased() == "NYSE" ? "XNYS" : code.uppercased()
                    } else {
                        reader.error(value.textLocation, "unknown exchange calendar \"\(code)\" (known: \(ExchangeCalendars.known.joined(separator: ", ")))")
                    }
                }
            case "database":
                if let s = reader.nonEmptyString(value, "database") { config.database = s }
            case "logs":
                if let s = reader.nonEmptyString(value, "logs") { config.logs = s }
            case "max_parallel":
                if let n = reader.int(value, "max_parallel", min: 1) { config.maxParallel = n }
            case "pools":
                var pools: [String: Int] = [:]
                for (name, _, size) in reader.mapping(value, "pools") ?? [] {
                    if let n = reader.int(size, "the size of pool \"\(name)\"", min: 1) { pools[name] = n }
                }
                config.pools = pools
            case "redis":
                for (k, _, v) in reader.mapping(value, "redis", allowed: ["url"]) ?? [] where k == "url" {
                    if let url = reader.nonEmptyString(v, "redis.url") {
                        if ["redis://", "rediss://", "unix://"].contains(where: url.hasPrefix) {
                            config.redisURL = url
                        } else {
                            // The value is not quoted back: a URL may carry a password.
                            reader.error(v.textLocation, "redis.url must start with redis://, rediss:// or unix://")
                        }
                    }
                }
            case "symbols":
                for (k, _, v) in reader.mapping(value, "symbols", allowed: ["level2", "standard"]) ?? [] {
                    guard let list = reader.stringList(v, "symbols.\(k)") else { continue }
                    if k == "level2" { config.symbols.level2 = list.map(\.0) } else { config.symbols.standard = list.map(\.0) }
                }
            case "endpoints":
                readEndpoints(value, into: &config.endpoints, reader: &reader)
            case "node_dead_after":
                if let span = reader.duration(value, "node_dead_after") {
                    if span.milliseconds >= 2000 {
                        config.nodeDeadAfter = Double(span.milliseconds) / 1000
                    } else {
                        reader.error(value.textLocation, "node_dead_after must be at least 2s (a node heartbeats every second)")
                    }
                }
            case "backup":
                for (k, _, v) in reader.mapping(value, "backup", allowed: ["directory", "keep", "copy_to"]) ?? [] {
                    switch k {
                    case "directory": if let s = reader.nonEmptyString(v, "backup.directory") { config.backup.directory = s }
                    case "copy_to": if let s = reader.nonEmptyString(v, "backup.copy_to") { config.backup.copyTo = s }
                    default:
                        for (rule, _, n) in reader.mapping(v, "backup.keep", allowed: ["daily", "weekly", "monthly"]) ?? [] {
                            guard let count = reader.int(n, "backup.keep.\(rule)", min: 0) else { continue }
                            switch rule {
                            case "daily": config.backup.keepDaily = count
                            case "weekly": config.backup.keepWeekly = count
                            default: config.backup.keepMonthly = count
                            }
                        }
                    }
                }
            default:
                break
            }
        }
        return (config, reader.diagnostics)
    }

    static func readEndpoints(_ node: YAMLValue, into endpoints: inout Endpoints, reader: inout NodeReader) {
        for (key, _, value) in reader.mapping(node, "endpoints", allowed: endpointKeys) ?? [] {
            switch key {
            case "ibkr":
                for (k, _, v) in reader.mapping(value, "endpoints.ibkr", allowed: ["host", "port", "client_id"]) ?? [] {
                    switch k {
                    case "host": if let h = reader.nonEmptyString(v, "endpoints.ibkr.host") { endpoints.ibkrHost = h }
                    case "port":
                        if let p = reader.int(v, "endpoints.ibkr.port", min: 1) {
                            if p > 65535 {
                                reader.error(v.textLocation, "endpoints.ibkr.port must be at most 65535, found \(p)")
                            } else {
                                endpoints.ibkrPort = p
                            }
                        }
                    default:
                        if let n = reader.int(v, "endpoints.ibkr.client_id", min: 0) { endpoints.ibkrClientID = n }
                    }
                }
            default:
                guard let url = reader.string(value, "endpoints.\(key)") else { continue }
                if !url.isEmpty, !(url.hasPrefix("http://") || url.hasPrefix("https://")) {
                    // The value is not quoted back: webhook URLs carry tokens.
                    reader.error(value.textLocation, "endpoints.\(key) must be an http:// or https:// URL")
                    continue
                }
                switch key {
                case "alphavantage": endpoints.alphaVantage = url
                case "openai": endpoints.openAI = url
                case "discord": endpoints.discord = url
                case "telegram": endpoints.telegram = url
                default: endpoints.x = url
                }
            }
        }
    }

    /// Substitutes `${VAR}` in every scalar, reporting each bad reference at its position.
    static func substitute(_ node: YAMLValue, environment: [String: String], reader: inout NodeReader) -> YAMLValue {
        switch node.kind {
        case .scalar(let s, let quoted):
            switch Substitution.apply(s, environment: environment) {
            // A value read from the environment is text to be typed like a plain scalar: quotes
            // around "${PORT:-7497}" only protected the reference. An empty result stays an
            // empty string, not YAML's null.
            case .success(let out):
                let plain = out != s && !out.isEmpty
                return YAMLValue(kind: .scalar(out, quoted: plain ? false : quoted), location: node.location, inlineQuoted: node.inlineQuoted)
            case .failure(let f):
                reader.error(node.textLocation.advanced(by: f.offset), f.message)
                return node
            }
        case .sequence(let items):
            return YAMLValue(kind: .sequence(items.map { substitute($0, environment: environment, reader: &reader) }), location: node.location)
        case .mapping(let pairs):
            return YAMLValue(kind: .mapping(pairs.map { ($0.key, substitute($0.value, environment: environment, reader: &reader)) }), location: node.location)
        }
    }
}
