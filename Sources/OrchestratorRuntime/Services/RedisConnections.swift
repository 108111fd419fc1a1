import Foundation
import Redis

/// Redis connections kept open between health checks. A check used to connect, ask and hang up:
/// at 600x that is ten connections a second per service against the Redis the feed is writing
/// to. A connection is lent to one check at a time (probes run on several threads), given back
/// when the check got its answer, and dropped on any failure; a failure on a reused connection
/// (Redis restarted since) is retried once on a new one, so it never fails a check by itself.
final class RedisConnections: @unchecked Sendable {
    private struct Key: Hashable {
        let url: RedisURL
        let timeout: Double
    }
    private let lock = NSLock()
    private var idle: [Key: [RedisClient]] = [:]

    func with<T>(
        _ url: RedisURL, timeout: Double,
        _ body: (RedisClient) throws(RedisClient.Failure) -> T
    ) throws(RedisClient.Failure) -> T {
        let key = Key(url: url, timeout: timeout)
        if let reused = take(key) {
            do {
                let result = try body(reused)
                give(reused, key)
                return result
            } catch {
                // Fall through to a fresh connection.
            }
        }
        let fresh = try RedisClient(url: url, timeout: timeout)
        let result = try body(fresh)
        give(fresh, key)
        return result
    }

    private func take(_ key: Key) -> RedisClient? {
        lock.lock(); defer { lock.unlock() }
        return idle[key]?.popLast()
    }

    private func give(_ client: RedisClient, _ key: Key) {
        lock.lock(); defer { lock.unlock() }
        if idle[key, default: []].count < 4 { idle[key, default: []].append(client) }
    }
}
