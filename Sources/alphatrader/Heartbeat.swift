import AlphaTrader
import Foundation
import OrchestratorCore
import Redis

/// `module:heartbeat:{module}` (SPEC §8) for a service whose work is not a Redis loop of its own:
/// written every second of the clock (or of real time, whichever comes first). A Redis that
/// cannot be reached is logged when that changes and tried again — serving goes on.
struct Heartbeat {
    let context: AlphaContext
    let key: String
    let enabled: Bool
    private var redis: RedisClient?
    private var last = -Double.infinity, lastReal = Date.distantPast
    private var failing = false

    init(context: AlphaContext, key: String, enabled: Bool) {
        self.context = context; self.key = key; self.enabled = enabled
    }

    mutating func beatIfDue(_ fields: [String: String]) {
        let now = context.clock.now()
        guard enabled, now - last >= 1 || Date().timeIntervalSince(lastReal) >= 1 else { return }
        last = now
        lastReal = Date()
        var value: [(String, JSONValue)] = [("ts", .int(Int64(now * 1000))), ("pid", .int(Int64(getpid())))]
        for (k, v) in fields.sorted(by: { $0.key < $1.key }) { value.append((k, .string(v))) }
        do {
            if redis == nil { redis = try RedisClient(url: context.redisURL, timeout: 1) }
            _ = try redis!.command(["SET", key, JSONValue.object(value).serialized()])
            if failing { context.log("heartbeat written again", ["key": key]) }
            failing = false
        } catch {
            redis = nil
            if !failing { context.log("warning: heartbeat not written; serving goes on", ["key": key, "reason": "\(error)"]) }
            failing = true
        }
    }
}
