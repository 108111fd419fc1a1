import AlphaTrader
import ArgumentParser
import Foundation
import OrchestratorCore

struct StrategiesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "strategies",
        abstract: "Checks config/strategies.yaml and shows the strategies and risk limits it sets.",
        discussion: """
            Every problem is named at its line and column (exit 2), as the job files' are:
            unknown keys and strategies (with a suggestion), windows outside the session,
            symbols the configuration does not have, out-of-range thresholds, targets whose
            fractions add up to more than the position.

            Examples:
              alphatrader strategies --check
              alphatrader strategies --json
            """
    )

    @OptionGroup var common: CommonOptions
    @Option(help: "The strategies file.") var file = StrategiesConfig.file
    @Flag(help: "Only check: print nothing when the file is sound.") var check = false
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        let context = try loadContext(common, module: "strategies")
        let config = try loadStrategies(context, file: file)
        if check { return }
        func time(_ m: Int) -> String { TimeOfDay(minuteOfDay: m)?.description ?? String(m) }
        if json {
            let strategies = JSONValue.array(
                config.strategies.map { s in
                    .object([
                        ("name", .string(s.kind.rawValue)), ("enabled", .bool(s.enabled)),
                        ("window", .string("\(time(s.window.lowerBound))–\(time(s.window.upperBound))")),
                        ("symbols", .array(s.symbols.map(JSONValue.string))), ("min_confidence", .number(s.minConfidence)),
                        ("thresholds", .object(s.thresholds.sorted { $0.key < $1.key }.map { ($0.key, JSONValue.number($0.value)) })),
                        (
                            "sizing",
                            .object([
                                ("contracts", .int(Int64(s.sizing.contracts))), ("shares", .int(Int64(s.sizing.shares))),
                                ("max_premium", .number(s.sizing.maxPremium)),
                            ])
                        ),
                        (
                            "exits",
                            .object([
                                ("stop_percent", .number(s.exits.stopPercent)),
                                ("targets", .array(s.exits.targets.map { .object([("percent", .number($0.percent)), ("fraction", .number($0.fraction))]) })),
                                ("trail_percent", s.exits.trailPercent.map(JSONValue.number) ?? .null),
                                ("time_stop", s.exits.timeStop.map { .string(time($0)) } ?? .null),
                            ])
                        ),
                    ])
                })
            print(JSONValue.object([("strategies", strategies), ("risk", Self.value(of: config.risk))]).serialized(pretty: true))
            return
        }
        var rows = [["STRATEGY", "ENABLED", "WINDOW", "SYMBOLS", "MIN CONF", "EXITS"]]
        for s in config.strategies {
            let targets = s.exits.targets.map { "+\(TickSize.text($0.percent))% ×\(TickSize.text($0.fraction))" }.joined(separator: ", ")
            rows.append([
                s.kind.rawValue, s.enabled ? "yes" : "no", "\(time(s.window.lowerBound))–\(time(s.window.upperBound))", s.symbols.joined(separator: ","),
                TickSize.text(s.minConfidence),
                "stop −\(TickSize.text(s.exits.stopPercent))%, \(targets)\(s.exits.trailPercent.map { ", trail \(TickSize.text($0))%" } ?? "")\(s.exits.timeStop.map { ", flat by \(time($0))" } ?? "")",
            ])
        }
        print(table(rows))
        let r = config.risk
        print(
            "risk: daily loss limit $\(TickSize.text(r.dailyLossLimit)), drawdown $\(TickSize.text(r.maxDrawdown)), VaR cap $\(TickSize.text(r.maxValueAtRisk)), \(r.maxOpenPositions) positions, \(r.maxOrdersPerSecond)/s and \(r.maxOrdersPerMinute)/min"
        )
    }

    /// The risk limits as a JSON value, named as the shared encoder writes them (snake_case,
    /// sorted) — every limit, without a list of them to keep in step. All are numbers.
    static func value(of limits: RiskLimits) -> JSONValue {
        let object = (try? JSONSerialization.jsonObject(with: Data(Document.encode(limits).utf8))) as? [String: Any] ?? [:]
        return .object(
            object.keys.sorted().map { key in
                let x = (object[key] as? NSNumber)?.doubleValue ?? .nan
                return (key, x == x.rounded() && abs(x) < 1e15 ? .int(Int64(x)) : .number(x))
            })
    }
}
