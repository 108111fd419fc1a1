import CSpawn
import Foundation
import Net
public import OrchestratorCore
import Redis

/// Runs one health check (SPEC §3 `health:`) and says whether it passed and why, within the
/// check's timeout. Never throws and never crashes on what the other side answers: a Redis that
/// is down or answers garbage, a port that refuses, a command that hangs — each is a failed
/// check with its reason.
public struct HealthProbe: Sendable {
    public let check: HealthCheck
    public let redisURL: String
    /// The orchestrator's clock (simulated under `run-day`): heartbeats carry its time.
    public let now: @Sendable () -> Double
    public let environment: [String: String]
    /// Connections kept between checks (the supervisor's); nil: connect for each check.
    let connections: RedisConnections?

    public init(check: HealthCheck, redisURL: String, environment: [String: String], now: @escaping @Sendable () -> Double) {
        self.init(check: check, redisURL: redisURL, environment: environment, now: now, connections: nil)
    }

    init(
        check: HealthCheck, redisURL: String, environment: [String: String], now: @escaping @Sendable () -> Double,
        connections: RedisConnections?
    ) {
        self.check = check
        self.redisURL = redisURL
        self.environment = environment
        self.now = now
        self.connections = connections
    }

    /// Runs `body` on a Redis connection: a kept one when there are any, else a new one.
    func redis<T>(
        _ url: RedisURL, timeout: Double,
        _ body: (RedisClient) throws(RedisClient.Failure) -> T
    ) throws(RedisClient.Failure) -> T {
        if let connections { return try connections.with(url, timeout: timeout, body) }
        return try body(try RedisClient(url: url, timeout: timeout))
    }

    /// The check's outcome and why. A Redis that answers LOADING (reading its dataset after a
    /// start) is `notReady`, whichever check asked it: not a verdict on anything.
    public func run() -> (outcome: HealthOutcome, detail: String) {
        let timeout = max(check.timeout.seconds, 0.05)
        func outcome(_ result: (Bool, String)) -> (HealthOutcome, String) { (result.0 ? .passed : .failed, result.1) }
        switch check.probe {
        case .redisKey(let key, let maxAge): return redisKey(key, maxAge: maxAge.seconds, timeout: timeout)
        case .tcp(let host, let port): return outcome(HealthProbe.tcp(host: host, port: port, timeout: timeout))
        case .command(let argv): return outcome(command(argv, timeout: timeout))
        case .redisPing: return redisPing(timeout: timeout)
        }
    }

    /// Redis's answer to every command while it loads its dataset starts with this.
    static func isLoading(_ reply: RedisReply) -> Bool {
        if case .error(let message) = reply { return message.hasPrefix("LOADING") }
        return false
    }

    // MARK: - redis_ping

    func redisPing(timeout: Double) -> (HealthOutcome, String) {
        let url: RedisURL
        do { url = try RedisURL(parsing: redisURL) } catch { return (.failed, "redis.url: \(error.description)") }
        do {
            let reply = try redis(url, timeout: timeout) { client throws(RedisClient.Failure) in try client.command(["PING"]) }
            if case .status("PONG") = reply { return (.passed, "PONG") }
            return (HealthProbe.isLoading(reply) ? .notReady : .failed, "redis \(url.host):\(url.port) answered PING with \(reply)")
        } catch {
            return (.failed, error.description)
        }
    }

    // MARK: - redis_key

    func redisKey(_ key: String, maxAge: Double, timeout: Double) -> (HealthOutcome, String) {
        let url: RedisURL
        do { url = try RedisURL(parsing: redisURL) } catch { return (.failed, "redis.url: \(error.description)") }
        do {
            let replies = try redis(url, timeout: timeout) { client throws(RedisClient.Failure) in
                try client.pipeline([["PTTL", key], ["GET", key]])
            }
            if case .error(let message) = replies[1] { return (HealthProbe.isLoading(replies[1]) ? .notReady : .failed, "redis key \(key): \(message)") }
            guard case .string(let value) = replies[1] else { return (.failed, "redis key \(key) does not exist") }
            if let stamp = HealthProbe.timestamp(in: value) {
                let age = now() - stamp
                let text = String(format: "%.1fs", max(age, 0))
                return age <= maxAge
                    ? (.passed, "heartbeat \(text) old") : (.failed, "heartbeat \(text) old, older than \(TimeSpan(milliseconds: Int64(maxAge * 1000)))")
            }
            // No timestamp in the value: a key that expires within max_age was written within it.
            if let ttl = replies[0].integer, ttl > 0 {
                return Double(ttl) / 1000 <= maxAge
                    ? (.passed, "heartbeat key expires in \(ttl) ms") : (.failed, "redis key \(key) has no timestamp and a TTL longer than max_age")
            }
            return (.failed, "redis key \(key) holds no timestamp and has no TTL: its age cannot be told")
        } catch {
            return (.failed, error.description)
        }
    }

    /// A heartbeat's time: epoch seconds or milliseconds, ISO-8601, or a JSON object with one of
    /// `ts`, `timestamp`, `time`, `at`, `heartbeat` holding either.
    public static func timestamp(in value: String) -> Double? {
        let text = value.trimmingCharacters(in: .whitespacesAndNewlines)
        func number(_ n: Double) -> Double? {
            guard n.isFinite, n > 0 else { return nil }
            return n > 1e11 ? n / 1000 : n
        }
        if let n = Double(text) { return number(n) }
        if let t = TimeFormat.parseInstant(text.replacingOccurrences(of: "\"", with: ""), zone: ZoneRules.named("UTC")!) { return Double(t) }
        guard text.hasPrefix("{"), let data = text.data(using: .utf8),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return nil }
        for field in ["ts", "timestamp", "time", "at", "heartbeat"] {
            if let n = object[field] as? Double { return number(n) }
            if let n = object[field] as? Int { return number(Double(n)) }
            if let s = object[field] as? String {
                if let n = Double(s) { return number(n) }
                if let t = TimeFormat.parseInstant(s, zone: ZoneRules.named("UTC")!) { return Double(t) }
            }
        }
        return nil
    }

    // MARK: - tcp

    /// The same socket as every client of the project (`Net`): every address the name resolves
    /// to, within one deadline.
    static func tcp(host: String, port: Int, timeout: Double) -> (Bool, String) {
        do {
            let socket = try TCPSocket.connect(host: host, port: port, timeout: timeout)
            socket.close()
            return (true, "tcp \(host):\(port) accepts connections")
        } catch {
            return (false, "tcp \(error.description)")
        }
    }

    // MARK: - command

    func command(_ argv: [String], timeout: Double) -> (Bool, String) {
        let devnull = open("/dev/null", O_WRONLY | O_CLOEXEC)
        defer { close(devnull) }
        let pid: Int32
        do { pid = try ProcessControl.spawn(argv, environment: environment, logFD: devnull) } catch { return (false, error.description) }
        let fd = ProcessControl.pidfd(pid)
        defer { if fd >= 0 { close(fd) } }
        let deadline = Date().addingTimeInterval(timeout)
        var exit: ProcessControl.Exit?
        while exit == nil {
            exit = ProcessControl.reap(pid)
            if exit != nil { break }
            let left = deadline.timeIntervalSinceNow
            if left <= 0 { break }
            _ = ProcessControl.waitAny(fd >= 0 ? [fd] : [], timeout: fd >= 0 ? left : min(left, 0.01))
        }
        ProcessControl.signalGroup(pid, SIGKILL)
        guard let exit else {
            while ProcessControl.reap(pid) == nil { usleep(1000) }
            return (false, "\(argv[0]) did not answer within \(TimeSpan(milliseconds: Int64(timeout * 1000)))")
        }
        switch exit {
        case .code(0): return (true, "\(argv[0]) exited 0")
        case .code(let c): return (false, "\(argv[0]) exited \(c)")
        case .signal(let s): return (false, "\(argv[0]) killed by signal \(s)")
        }
    }
}
