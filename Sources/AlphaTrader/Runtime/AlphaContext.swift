public import Foundation
public import OrchestratorCore
public import Redis

/// What every `alphatrader` subcommand starts from: the configuration (SPEC §2), the clock
/// (`ORCHESTRATOR_CLOCK`, so a job under `run-day` reads the same simulated now), the Redis URL
/// and a logger that writes one line per event to stderr.
public struct AlphaContext: Sendable {
    public let config: Config
    public let clock: any WallClock
    public let redisURL: RedisURL
    public let log: EventLog
    public let environment: [String: String]

    /// Invalid input (a configuration or clock that cannot be read): exit status 2.
    public struct Invalid: Error, CustomStringConvertible, Sendable {
        public let description: String
        public init(_ description: String) { self.description = description }
    }

    public init(config: Config, clock: any WallClock, redisURL: RedisURL, log: EventLog, environment: [String: String]) {
        self.config = config; self.clock = clock; self.redisURL = redisURL; self.log = log; self.environment = environment
    }

    /// Loads `configPath` with the environment substituted, and the clock of the environment.
    public static func load(
        configPath: String, module: String,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(Invalid) -> AlphaContext {
        guard let data = FileManager.default.contents(atPath: configPath), let text = String(data: data, encoding: .utf8) else {
            throw Invalid("\(configPath): cannot read the configuration file")
        }
        let config: Config
        switch Config.load(text, file: configPath, environment: environment) {
        case .success(let c): config = c
        case .failure(let diagnostics): throw Invalid(diagnostics.description)
        }
        let clock: any WallClock
        do { clock = try SimulatedClock.fromEnvironment(environment) } catch { throw Invalid(error.description) }
        let url: RedisURL
        do { url = try RedisURL(parsing: config.redisURL) } catch { throw Invalid("\(configPath): redis.url: \(error.description)") }
        return AlphaContext(config: config, clock: clock, redisURL: url, log: EventLog(module: module, clock: clock), environment: environment)
    }

    /// Simulated seconds per real second (1 on the real clock).
    public var speed: Double { (clock as? SimulatedClock)?.speed ?? 1 }
}
