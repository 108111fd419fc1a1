import AlphaTrader
import ArgumentParser
import Foundation
import Redis

struct RedisCompact: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "redis-compact",
        abstract: "Rewrites Redis's append-only file now (BGREWRITEAOF), waits for it and checks it.",
        discussion: """
            The market data rewrites its book keys many times a second: the AOF grows by one to two
            gigabytes a session while the data stays near a hundred megabytes. config/redis.conf
            leaves Redis's own trigger at 4 GB, as a safety net, and the redis-compact job rewrites
            the file after the close, when a fork and a burst of writes cost the trading day
            nothing. Waits until Redis counts the rewrite done (one queued behind a rewrite or a
            snapshot in progress included) and reports the file's size before and after; exits 1
            when the rewrite fails or Redis does not answer. With appendonly no there is nothing to
            compact: it says so and exits 0.

            Examples:
              alphatrader redis-compact
              alphatrader redis-compact --json
            """
    )

    @OptionGroup var common: CommonOptions
    @Option(help: "Seconds to wait for the rewrite (real time).") var timeout = 600.0
    @Flag(help: "Print the outcome as JSON.") var json = false

    func run() throws {
        guard timeout > 0 else { throw invalidInput("--timeout \(timeout): expected a positive number of seconds") }
        let context = try loadContext(common, module: "redis-compact")
        let outcome: RedisCompaction.Outcome
        do {
            let redis = try RedisClient(url: context.redisURL, timeout: 10)
            outcome = try RedisCompaction.run(redis, timeout: timeout)
        } catch {
            throw failure("\(error)")
        }
        switch outcome {
        case .aofOff:
            context.log("nothing to compact: appendonly is off", [:])
            print(json ? #"{"compacted": false, "reason": "appendonly is off"}"# : "nothing to compact: Redis runs with appendonly no")
        case .compacted(let r):
            context.log("aof compacted", ["before": String(r.before), "after": String(r.after), "seconds": String(format: "%.2f", r.seconds)])
            if json {
                print(#"{"compacted": true, "before_bytes": \#(r.before), "after_bytes": \#(r.after), "seconds": \#(String(format: "%.3f", r.seconds))}"#)
            } else {
                print("compacted Redis's AOF: \(Self.size(r.before)) → \(Self.size(r.after)) in \(String(format: "%.1f", r.seconds)) s")
            }
        }
    }

    static func size(_ bytes: Int64) -> String {
        bytes >= 1 << 30 ? String(format: "%.2f GB", Double(bytes) / Double(1 << 30)) : String(format: "%.1f MB", Double(bytes) / Double(1 << 20))
    }
}
