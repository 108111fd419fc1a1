import Foundation
import OrchestratorCore

/// A signal as a tier sees it on a channel (`DistributionConfig.Detail`): the full trade, the
/// idea without prices, or a teaser.
public enum SignalMessages {
    /// What the message says, channel-neutral: a title and lines.
    static func parts(_ s: Signal, detail: DistributionConfig.Detail, delay: Double) -> (title: String, lines: [String]) {
        let side = s.direction == .long ? "long" : "short"
        switch detail {
        case .full:
            var instrument = s.symbol
            if let expiry = s.instrument.expiry, let strike = s.instrument.strike, let right = s.instrument.right {
                instrument += " \(expiry) \(right) \(String(format: "%g", strike))"
            }
            return (
                "\(s.symbol) \(side) — \(s.strategy)",
                [
                    "Instrument: \(instrument)", String(format: "Entry %.2f, stop %.2f", s.entry, s.stop),
                    "Targets: " + (s.targets.isEmpty ? "—" : s.targets.map { String(format: "%.2f", $0) }.joined(separator: ", ")),
                    String(format: "Confidence %.0f %%", s.confidence * 100), s.reason,
                ]
            )
        case .basic:
            return (
                "\(s.symbol) \(side) — \(s.strategy)",
                [String(format: "Confidence %.0f %%", s.confidence * 100), "Strikes, entries and stops go to premium subscribers."]
            )
        case .teaser:
            // The signal's time in the text: X refuses a text it already has, and two teasers of
            // one symbol and side would otherwise read the same.
            let minutes = Int((delay / 60).rounded())
            return (
                "\(s.symbol) \(side) at \(clock(s.time))", ["Our subscribers had this \(minutes) minute\(minutes == 1 ? "" : "s") ago, with the trade."]
            )
        }
    }

    static let newYork = ZoneRules.of(TimeZone(identifier: "America/New_York")!)

    /// HH:MM:SS ET.
    static func clock(_ t: Double) -> String {
        let s = Int64(t) - newYork.instant(of: newYork.localDate(of: Int64(t)), secondsOfDay: 0)
        return String(format: "%02d:%02d:%02d ET", s / 3600, s / 60 % 60, s % 60)
    }

    public static func discord(_ s: Signal, detail: DistributionConfig.Detail, delay: Double) -> DiscordMessage {
        let (title, lines) = parts(s, detail: detail, delay: delay)
        let color = s.direction == .long ? 0x137333 : 0xb3261e
        return DiscordMessage(embeds: [
            .init(title: String(title.prefix(256)), description: String(lines.joined(separator: "\n").prefix(4_096)), color: color, footer: "signal \(s.id)")
        ])
    }

    public static func telegram(_ s: Signal, detail: DistributionConfig.Detail, delay: Double) -> String {
        let (title, lines) = parts(s, detail: detail, delay: delay)
        return "*\(TelegramClient.escape(title))*\n" + lines.map(TelegramClient.escape).joined(separator: "\n")
    }

    public static func x(_ s: Signal, detail: DistributionConfig.Detail, delay: Double) -> String {
        let (title, lines) = parts(s, detail: detail, delay: delay)
        return title + ". " + lines.joined(separator: " ")
    }

    /// The message's text as stored in the outbox (Discord's as its JSON body).
    public static func text(_ s: Signal, channel: DistributionConfig.Channel, detail: DistributionConfig.Detail, delay: Double) -> String {
        switch channel {
        case .discord: return discord(s, detail: detail, delay: delay).json
        case .telegram: return telegram(s, detail: detail, delay: delay)
        case .x: return x(s, detail: detail, delay: delay)
        }
    }
}
