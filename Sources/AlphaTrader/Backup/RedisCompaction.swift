import Foundation
public import Redis

/// The append-only file rewritten at a quiet hour: `BGREWRITEAOF`, waited for until Redis counts
/// one more rewrite and none is in progress or scheduled, its status checked. The market data
/// rewrites its book keys many times a second, so the AOF grows by one to two gigabytes a session
/// while the data it describes stays near a hundred megabytes; left to Redis's own trigger, the
/// rewrite forks and writes in the middle of the session (at `run-day`'s 600x, eighteen market
/// minutes of a loaded machine at the close). The `redis-compact` job does it after the close.
public enum RedisCompaction {
    public struct Result: Sendable, Equatable {
        /// The AOF's size (base and increments) before and after, in bytes.
        public var before: Int64
        public var after: Int64
        public var seconds: Double
    }

    public enum Outcome: Sendable, Equatable {
        case compacted(Result)
        /// `appendonly no`: there is no AOF to compact.
        case aofOff
    }

    public static func run(_ redis: RedisClient, timeout: Double = 600) throws(RedisBackup.Failure) -> Outcome {
        let started = Date()
        let deadline = started.addingTimeInterval(timeout)
        let before = RedisBackup.persistence(redis)
        guard !before.isEmpty else { throw RedisBackup.Failure(description: "redis: INFO persistence gave no answer (is Redis up?)") }
        guard before["aof_enabled"] == "1" else { return .aofOff }
        guard let rewritesBefore = Int(before["aof_rewrites"] ?? "") else {
            throw RedisBackup.Failure(description: "redis: INFO persistence has no aof_rewrites (Redis 7 or later is needed)")
        }
        let sizeBefore = Int64(before["aof_current_size"] ?? "") ?? 0
        // One already running counts only if it started after us; otherwise ours is queued
        // behind it (Redis answers "already in progress", so ask again once it is done).
        while true {
            switch try? redis.command(["BGREWRITEAOF"]) {
            case .error(let message)? where message.contains("in progress"):
                guard Date() < deadline else { throw RedisBackup.Failure(description: "redis: another AOF rewrite stayed in progress") }
                usleep(20_000)
                continue
            case .error(let message)?:
                throw RedisBackup.Failure(description: "redis: BGREWRITEAOF: \(message)")
            case nil:
                throw RedisBackup.Failure(description: "redis: BGREWRITEAOF: no answer (is Redis up?)")
            default:
                break
            }
            break
        }
        while true {
            let now = RedisBackup.persistence(redis)
            let rewrites = Int(now["aof_rewrites"] ?? "") ?? -1
            if rewrites > rewritesBefore && now["aof_rewrite_in_progress"] == "0" && now["aof_rewrite_scheduled"] == "0" {
                guard now["aof_last_bgrewrite_status"] == "ok" else {
                    throw RedisBackup.Failure(
                        description:
                            "redis: the AOF rewrite failed (aof_last_bgrewrite_status \(now["aof_last_bgrewrite_status"] ?? "?"); Redis's log says why)")
                }
                return .compacted(Result(before: sizeBefore, after: Int64(now["aof_current_size"] ?? "") ?? 0, seconds: Date().timeIntervalSince(started)))
            }
            guard Date() < deadline else { throw RedisBackup.Failure(description: "redis: the AOF rewrite did not finish within \(Int(timeout)) s") }
            usleep(20_000)
        }
    }
}
