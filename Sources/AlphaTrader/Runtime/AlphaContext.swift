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
    public static func load(configPath: String, module: String,
                            environment: [String: String] = ProcessInfo.processInfo.environment) throws(Invalid) -> AlphaContext {
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

/// One line per event on stderr: `2026-11-25T14:30:00.123Z ingest: message key=value …`, the
/// time being the clock's (simulated under run-day).
public struct EventLog: Sendable {
    public let module: String
    let clock: any WallClock
    public init(module: String, clock: any WallClock) { self.module = module; self.clock = clock }

    public func callAsFunction(_ message: String, _ fields: KeyValuePairs<String, String> = [:]) {
        var line = Self.stamp(clock.now()) + " " + module + ": " + message
        for (k, v) in fields { line += " \(k)=\(v.contains(" ") ? "\"\(v)\"" : v)" }
        line += "\n"
        FileHandle.standardError.write(Data(line.utf8))
    }

    static func stamp(_ seconds: Double) -> String {
        let whole = Int64(seconds.rounded(.down))
        let millis = Int((seconds - Double(whole)) * 1000)
        let text = TimeFormat.utc(whole)
        return String(text.dropLast()) + String(format: ".%03dZ", millis)
    }
}

/// SIGTERM and SIGINT as a flag the loops poll: a service stops at its next iteration, after
/// flushing what it has.
public enum StopSignal {
    nonisolated(unsafe) static let flag: UnsafeMutablePointer<sig_atomic_t> = {
        let p = UnsafeMutablePointer<sig_atomic_t>.allocate(capacity: 1)
        p.pointee = 0
        return p
    }()

    public static func install() {
        _ = flag
        signal(SIGTERM) { _ in StopSignal.flag.pointee = 1 }
        signal(SIGINT) { _ in StopSignal.flag.pointee = 1 }
        signal(SIGPIPE, SIG_IGN)
    }

    public static var requested: Bool { flag.pointee != 0 }
}
