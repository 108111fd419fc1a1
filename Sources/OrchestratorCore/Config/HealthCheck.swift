/// How a service shows it is healthy (SPEC §3 `health:`).
public struct HealthCheck: Hashable, Sendable, CustomStringConvertible {
    public enum Probe: Hashable, Sendable {
        /// The key holds a heartbeat younger than `maxAge` (by its value's timestamp or its TTL).
        case redisKey(String, maxAge: TimeSpan)
        /// A TCP connection to host:port succeeds within `timeout`.
        case tcp(host: String, port: Int)
        /// The command exits 0 within `timeout`.
        case command([String])
        /// The configured Redis (`redis.url`) answers PING with PONG within `timeout`: the check
        /// of a Redis service itself, with no process started per check.
        case redisPing
    }

    public var probe: Probe
    /// How often to check. Default 5s.
    public var interval: TimeSpan
    /// How long one check may take. Default 2s.
    public var timeout: TimeSpan
    /// Consecutive failed checks that make a running service `unhealthy`. Default 3.
    public var unhealthyAfter: Int
    /// Time a process has to get ready after it starts (Docker's `start_period`): until its
    /// first healthy check, failures within it are not counted. Default 0.
    public var startPeriod: TimeSpan

    public init(
        probe: Probe, interval: TimeSpan = .seconds(5), timeout: TimeSpan = .seconds(2), unhealthyAfter: Int = 3, startPeriod: TimeSpan = .seconds(0)
    ) {
        self.probe = probe
        self.interval = interval
        self.timeout = timeout
        self.unhealthyAfter = unhealthyAfter
        self.startPeriod = startPeriod
    }

    public var description: String {
        switch probe {
        case .redisKey(let key, let age): return "redis key \(key) younger than \(age)"
        case .tcp(let host, let port): return "tcp \(host):\(port)"
        case .command(let argv): return "command \(argv.joined(separator: " "))"
        case .redisPing: return "redis PING"
        }
    }

    static let keys = ["redis_key", "max_age", "tcp", "command", "redis_ping", "interval", "timeout", "unhealthy_after", "start_period"]
}
