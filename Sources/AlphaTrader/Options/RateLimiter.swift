import Foundation
public import Redis

/// One API key's call budget shared by every process that uses it: at most `limit` calls in any
/// `window` (a sliding-window log in a Redis sorted set, checked and taken atomically by one Lua
/// script on Redis's own clock, so processes and machines agree).
///
/// A token bucket of `limit` tokens refilled over a minute would let `2 × limit` calls through in
/// the minute after a quiet one; the log never does. The window is half a second longer than the
/// provider's minute, so that network jitter between the grant and the request reaching the
/// provider cannot put a 591st call into one of its minutes (sustained: 585 calls a minute).
///
/// Priorities: a call of priority `p` is admitted only while `reserve(p)` slots remain after it,
/// so under a tight budget technicals starve first, then sentiment, never the options chains.
public final class RateLimiter {
    public enum Priority: Int, Sendable, Comparable {
        case options = 0, sentiment = 1, technicals = 2
        public static func < (a: Priority, b: Priority) -> Bool { a.rawValue < b.rawValue }
    }

    public let key: String
    public let limit: Int
    public let window: Double
    let redis: RedisClient

    /// Slots kept back for more important calls.
    public func reserve(_ p: Priority) -> Int {
        switch p {
        case .options: return 0
        case .sentiment: return limit / 20
        case .technicals: return limit / 10
        }
    }

    public init(redis: RedisClient, key: String = "ratelimit:alphavantage", limit: Int = 590, window: Double = 60.5) {
        self.redis = redis; self.key = key; self.limit = limit; self.window = window
    }

    static let script = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
        local window = tonumber(ARGV[1])
        local admit = tonumber(ARGV[2])
        redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
        local used = redis.call('ZCARD', KEYS[1])
        if used < admit then
          local seq = redis.call('INCR', KEYS[1] .. ':seq')
          redis.call('ZADD', KEYS[1], now, tostring(now) .. '-' .. tostring(seq))
          redis.call('PEXPIRE', KEYS[1], math.ceil(window / 1000) + 1000)
          redis.call('PEXPIRE', KEYS[1] .. ':seq', math.ceil(window / 1000) + 1000)
          return 0
        end
        local rank = used - admit
        local entry = redis.call('ZRANGE', KEYS[1], rank, rank, 'WITHSCORES')
        return math.max(1, tonumber(entry[2]) + window - now)
        """

    /// Takes one call's slot, or says how long (seconds) until one may free up.
    public func tryAcquire(_ priority: Priority) throws(RedisClient.Failure) -> Double {
        let admit = limit - reserve(priority)
        let reply = try redis.command(["EVAL", RateLimiter.script, "1", key, String(Int(window * 1_000_000)), String(admit)])
        if case .error(let message) = reply { throw RedisClient.Failure(code: .server, description: "rate limiter script: \(message)") }
        return Double(reply.integer ?? 0) / 1_000_000
    }

    /// Waits for a slot (up to `timeout` seconds); false when none came in time.
    public func acquire(_ priority: Priority, timeout: Double) throws(RedisClient.Failure) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let wait = try tryAcquire(priority)
            if wait == 0 { return true }
            let left = deadline.timeIntervalSinceNow
            if left <= 0 { return false }
            usleep(UInt32(min(wait, left, 1) * 1_000_000))
        }
    }
}
