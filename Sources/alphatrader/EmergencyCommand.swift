import AlphaTrader
import ArgumentParser
import Foundation
import OrchestratorCore
import Redis

struct Emergency: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The kill switch: trading HALTED, every order cancelled, every position closed, a snapshot and an alert.",
        discussion: """
            In order: risk:state → HALTED (nothing new is sent while it holds); reqGlobalCancel and
            wait for the cancellations; each position the broker holds closed by a marketable limit
            order at the touch (inside the broker's price collars), re-priced at the new touch every
            --reprice seconds until flat or --rounds are spent; the state before and after written to
            var/emergency/TIME.json; an entry on alerts:stream. Running it again is safe: with
            nothing open it changes nothing but records that it ran. Exit 0 when flat, 1 when a
            position is left (it says which).

            Example:
              alphatrader emergency --reason "feed frozen"
            """
    )

    @OptionGroup var trading: TradingOptions
    @Option(help: "Why, for risk:state, the snapshot and the alert.") var reason = "operator"
    @Option(help: "Seconds a closing order works before it is re-priced.") var reprice: Double = 1
    @Option(help: "Closing rounds before giving up.") var rounds = 10
    @Option(help: "Where the snapshots go.") var directory = "var/emergency"

    func validate() throws {
        guard reprice > 0 && reprice <= 60 else { throw ValidationError("--reprice \(reprice): expected 0…60 seconds") }
        guard rounds >= 1 && rounds <= 100 else { throw ValidationError("--rounds \(rounds): expected 1…100") }
    }

    func run() throws {
        let context = try loadContext(trading.common, module: "emergency")
        let now = context.clock.now()
        // First the halt, so that the execution service sends nothing more while this runs.
        let redis = try? RedisClient(url: context.redisURL, timeout: 2)
        do {
            guard let redis else { throw RedisClient.Failure(code: .connect, description: "Redis at \(context.redisURL) cannot be reached") }
            try TradingMirror.setRiskState(.halted, reason: "emergency: \(reason)", redis: redis, now: now)
        } catch {
            context.log("warning: risk:state could not be set to HALTED; going on with the broker", ["reason": "\(error)"])
        }
        let session = try TradingSession.open(trading, module: "emergency")
        let before = try session.broker.positions()
        let openBefore = try session.journal.orders(open: true)
        try session.broker.cancelAll()
        try? session.broker.wait(trading.timeout, "the cancellations") { try session.journal.orders(open: true).isEmpty }

        let closed = try session.broker.flatten(before, strategy: "emergency", rounds: rounds, reprice: reprice)
        let closing = closed.orders
        // The broker's word on what is left, not only these orders' fills.
        let remaining = try session.broker.positions().filter { $0.value != 0 }

        let positions = try session.journal.positions()
        let marks = session.marks(positions)
        session.publish(marks: marks)
        let snapshot = JSONValue.object([
            ("time", .string(TimeFormat.utc(Int64(now)))), ("reason", .string(reason)),
            (
                "positions_before",
                .array(
                    before.filter { $0.value != 0 }.sorted { $0.key.description < $1.key.description }.map {
                        .object([("instrument", .string($0.key.description)), ("quantity", .int(Int64($0.value)))])
                    })
            ),
            ("orders_cancelled", .array(openBefore.map { .string($0.ref) })),
            ("closing_orders", .array(try closing.compactMap { try session.journal.order(ref: $0) }.map(TradingMirror.orderJSON))),
            (
                "positions_after",
                .array(
                    remaining.sorted { $0.key.description < $1.key.description }.map {
                        .object([("instrument", .string($0.key.description)), ("quantity", .int(Int64($0.value)))])
                    })
            ),
            ("journal", .array(positions.map { TradingMirror.positionJSON($0, mark: marks[$0.instrument]) })),
        ])
        let file = try writeSnapshot(snapshot, now: now)
        let text =
            remaining.isEmpty
            ? "emergency (\(reason)): trading halted, \(openBefore.count) order(s) cancelled, \(before.filter { $0.value != 0 }.count) position(s) closed; snapshot \(file)"
            : "emergency (\(reason)): trading halted but \(remaining.count) position(s) are still open: \(remaining.keys.map(\.description).sorted().joined(separator: ", ")); snapshot \(file)"
        if let redis {
            do { try TradingMirror.alert(severity: "critical", source: "emergency", text: text, redis: redis, now: now) } catch {
                context.log("warning: the alert could not be written to alerts:stream", ["reason": "\(error)"])
            }
        }
        if trading.json {
            print(JSONValue.object([("flat", .bool(remaining.isEmpty)), ("snapshot", .string(file)), ("text", .string(text))]).serialized())
        } else {
            print(text)
        }
        if !remaining.isEmpty { throw ExitCode(1) }
    }

    /// var/emergency/TIME.json, written to a temporary file and renamed.
    func writeSnapshot(_ value: JSONValue, now: Double) throws -> String {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let name = TimeFormat.utc(Int64(now)).replacingOccurrences(of: ":", with: "")
        var path = "\(directory)/\(name).json"
        var n = 1
        while FileManager.default.fileExists(atPath: path) { n += 1; path = "\(directory)/\(name)-\(n).json" }
        let temporary = path + ".tmp"
        try Data(value.serialized(pretty: true).utf8).write(to: URL(fileURLWithPath: temporary))
        guard rename(temporary, path) == 0 else { throw failure("\(path): cannot rename the snapshot into place") }
        return path
    }
}
