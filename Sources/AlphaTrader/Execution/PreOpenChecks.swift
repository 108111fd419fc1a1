import Foundation
import OrchestratorCore

/// `market-open`'s checks (SPEC §10) as pure functions of what was read: each says whether it
/// passed and why, in words the operator acts on.
public enum PreOpenChecks {
    public struct Check: Sendable, Equatable {
        public var name: String
        public var passed: Bool
        public var detail: String
        public init(_ name: String, _ passed: Bool, _ detail: String) { self.name = name; self.passed = passed; self.detail = detail }
    }

    /// The feed handler's heartbeat (`module:heartbeat:ibkr_ingestion`, `{"ts": ms, …}`) at most
    /// `maxAge` market seconds old.
    public static func ingestion(_ text: String?, now: Double, maxAge: Double) -> Check {
        guard let text else { return Check("ingestion", false, "no heartbeat from ibkr-ingestion (module:heartbeat:ibkr_ingestion): is the feed running?") }
        guard let data = text.data(using: .utf8), let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let ts = (root["ts"] as? NSNumber)?.doubleValue
        else { return Check("ingestion", false, "module:heartbeat:ibkr_ingestion is not a heartbeat: \(text.prefix(80))") }
        let age = now - ts / 1000
        return age <= maxAge
            ? Check("ingestion", true, String(format: "heartbeat %.0f s old", max(0, age)))
            : Check("ingestion", false, String(format: "the feed's heartbeat is %.0f s old (at most %.0f s)", age, maxAge))
    }

    /// The account's values: a net liquidation and buying power above zero.
    public static func broker(account: String, values: [String: Double]) -> Check {
        guard let net = values["NetLiquidation"], let power = values["BuyingPower"] else {
            return Check("broker", false, "connected to \(account), but it sent no NetLiquidation and BuyingPower")
        }
        guard net > 0 && power > 0 else {
            return Check("broker", false, String(format: "account %@: net liquidation $%.0f, buying power $%.0f", account, net, power))
        }
        return Check("broker", true, String(format: "account %@: net liquidation $%.0f, buying power $%.0f", account, net, power))
    }

    /// Discovered parameters for every symbol: in Redis at most `maxAge` seconds old, or else the
    /// last run's `config/discovered.yaml` (its `generated_at`, any symbols it lacks).
    public static func discovery(
        redis: [String: DiscoveredParametersDocument?], file: (generatedAt: Double, symbols: Set<String>)?, now: Double, maxAge: Double
    ) -> Check {
        let symbols = redis.keys.sorted()
        let fresh = symbols.filter { s in redis[s]??.timestamp.map { now - Double($0) / 1000 <= maxAge } == true }
        if fresh.count == symbols.count { return Check("discovery", true, "parameters for \(symbols.count) symbols in Redis") }
        if let file {
            let missing = symbols.filter { !file.symbols.contains($0) && !fresh.contains($0) }
            let age = now - file.generatedAt
            if missing.isEmpty && age <= maxAge * 2 {
                return Check(
                    "discovery", true,
                    String(
                        format: "config/discovered.yaml of %@ (%@)", LocalDate(daysSinceEpoch: Int((file.generatedAt / 86_400).rounded(.down))).description,
                        age < 0 ? "a later run's" : String(format: "%.1f days old", age / 86_400)))
            }
            if !missing.isEmpty { return Check("discovery", false, "no discovered parameters for \(missing.joined(separator: ", "))") }
            return Check("discovery", false, String(format: "the discovered parameters are %.1f days old (at most %.0f)", age / 86_400, maxAge * 2 / 86_400))
        }
        // Never run at all (a new installation's first session): nothing is stale — discovery
        // runs from the open, and the strategies do without its figures until then.
        if fresh.isEmpty && redis.values.allSatisfy({ $0 == nil }) {
            return Check("discovery", true, "none yet: a first session (discovery runs from the open; until then the strategies do without it)")
        }
        let stale = symbols.filter { !fresh.contains($0) }
        return Check("discovery", false, "no fresh discovered parameters for \(stale.joined(separator: ", ")) and no config/discovered.yaml")
    }

    /// The premarket job's options data (`options:{sym}:gex`) for every symbol, written since `since`.
    public static func premarket(_ exposures: [String: ExposureDocument?], since: Double) -> Check {
        let missing = exposures.keys.sorted().filter { exposures[$0]! == nil }
        let old = exposures.keys.sorted().filter { s in exposures[s]!.map { Double($0.timestamp) < since } == true }
        if missing.isEmpty && old.isEmpty { return Check("premarket", true, "options exposure for \(exposures.count) symbols from today") }
        var why: [String] = []
        if !missing.isEmpty { why.append("none for \(missing.joined(separator: ", "))") }
        if !old.isEmpty { why.append("not from today for \(old.joined(separator: ", "))") }
        return Check("premarket", false, "premarket options data: " + why.joined(separator: "; ") + " (did premarket-data run?)")
    }
}
