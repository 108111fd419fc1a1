public import Foundation

/// Where "now" comes from. The scheduler never reads a clock; the edges hold one of these and
/// pass dates in, so `run-day --speed` and tests can move time without sleeping.
public protocol WallClock: Sendable {
    /// The current instant, in epoch seconds.
    func now() -> Double
}

/// The machine's real clock.
public struct SystemClock: WallClock {
    public init() {}
    public func now() -> Double { Date().timeIntervalSince1970 }
}

/// A simulated clock: real time mapped onto simulated time by an anchor and a speed, so that one
/// real second is `speed` simulated seconds. Child processes receive the same mapping in
/// `ORCHESTRATOR_CLOCK` (SPEC §4) and read the same simulated "now".
///
/// Text form: `sim=2026-11-27T14:00:00Z;real=1795791600.25;speed=600` — at real epoch second
/// `real` the simulated time was `sim`, and it runs `speed` times as fast from there.
public struct SimulatedClock: WallClock, Equatable {
    public static let environmentKey = "ORCHESTRATOR_CLOCK"
    /// A day in under a second: faster than any run-day needs, slow enough that a simulated
    /// "now" stays a representable date for centuries of real time.
    public static let maximumSpeed: Double = 100_000

    /// Simulated epoch seconds at the anchor.
    public let simulatedAnchor: Double
    /// Real epoch seconds at the anchor.
    public let realAnchor: Double
    /// Simulated seconds per real second (> 0).
    public let speed: Double
    /// Where real time comes from (the system clock, or a fixed one in tests).
    let realClock: @Sendable () -> Double

    public init(
        simulatedAnchor: Double, realAnchor: Double, speed: Double,
        realClock: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }
    ) {
        self.simulatedAnchor = simulatedAnchor
        self.realAnchor = realAnchor
        self.speed = speed
        self.realClock = realClock
    }

    public static func == (a: SimulatedClock, b: SimulatedClock) -> Bool {
        a.simulatedAnchor == b.simulatedAnchor && a.realAnchor == b.realAnchor && a.speed == b.speed
    }

    public func now() -> Double { simulated(atReal: realClock()) }

    public func simulated(atReal real: Double) -> Double {
        simulatedAnchor + (real - realAnchor) * speed
    }

    public func real(atSimulated simulated: Double) -> Double {
        realAnchor + (simulated - simulatedAnchor) / speed
    }

    /// The `ORCHESTRATOR_CLOCK` value.
    public var environmentValue: String {
        let sim = Int64(simulatedAnchor.rounded(.down))
        let fraction = simulatedAnchor - Double(sim)
        let simText =
            fraction == 0
            ? TimeFormat.utc(sim)
            : String(TimeFormat.utc(sim).dropLast()) + String(String(format: "%.3f", fraction).dropFirst()) + "Z"
        return "sim=\(simText);real=\(String(format: "%.3f", realAnchor));speed=\(speed)"
    }

    public struct ParseError: Error, Equatable, Sendable, CustomStringConvertible {
        public let text: String
        public let reason: String
        public var description: String {
            "\(SimulatedClock.environmentKey)=\"\(text)\": \(reason) (expected sim=<ISO-8601 UTC>;real=<epoch seconds>;speed=<factor>)"
        }
    }

    /// Parses the `ORCHESTRATOR_CLOCK` text form.
    public init(parsing text: String, realClock: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }) throws(ParseError) {
        var fields: [String: String] = [:]
        for part in text.split(separator: ";") {
            let pair = part.split(separator: "=", maxSplits: 1)
            guard pair.count == 2 else { throw ParseError(text: text, reason: "\"\(part)\" is not key=value") }
            fields[String(pair[0]).trimmingCharacters(in: .whitespaces)] = String(pair[1]).trimmingCharacters(in: .whitespaces)
        }
        guard let simText = fields["sim"], let realText = fields["real"], let speedText = fields["speed"] else {
            throw ParseError(text: text, reason: "sim, real and speed are all required")
        }
        if let unknown = fields.keys.first(where: { !["sim", "real", "speed"].contains($0) }) {
            throw ParseError(text: text, reason: "unknown field \"\(unknown)\"")
        }
        guard let sim = TimeFormat.parseInstant(simText, zone: ZoneRules.named("UTC")!), simText.hasSuffix("Z") else {
            throw ParseError(text: text, reason: "sim \"\(simText)\" is not an ISO-8601 UTC time")
        }
        var simSeconds = Double(sim)
        if let dot = simText.firstIndex(of: "."), let fraction = Double("0" + simText[dot...].dropLast()) {
            simSeconds += fraction
        }
        guard let real = Double(realText), real >= 0, real < 1e11 else {
            throw ParseError(text: text, reason: "real \"\(realText)\" is not epoch seconds")
        }
        guard let speed = Double(speedText), speed > 0, speed <= SimulatedClock.maximumSpeed else {
            throw ParseError(text: text, reason: "speed \"\(speedText)\" must be above 0 and at most \(Int(SimulatedClock.maximumSpeed))")
        }
        self.init(simulatedAnchor: simSeconds, realAnchor: real, speed: speed, realClock: realClock)
    }

    /// The clock the environment describes: simulated when `ORCHESTRATOR_CLOCK` is set, else
    /// the system clock.
    public static func fromEnvironment(_ environment: [String: String]) throws(ParseError) -> any WallClock {
        guard let text = environment[environmentKey], !text.isEmpty else { return SystemClock() }
        return try SimulatedClock(parsing: text)
    }
}
