public import Foundation

/// The evening report as the channels show it, read back from `evening.json` (the report
/// written by `evening-report`): one Discord embed, a Telegram MarkdownV2 caption for the equity
/// chart's PNG, one post for X.
public struct EveningSummary: Sendable, Equatable {
    public var session: String
    public var realized: Double
    public var unrealized: Double?
    public var trades: Int
    public var wins: Int
    public var winRate: Double?
    public var profitFactor: Double?
    public var largestLoss: Double?
    public var sharpe: Double?
    public var days: Int
    public var strategies: [(name: String, trades: Int, pnl: Double)]
    public var breakerEvents: Int
    public var failedRuns: Int

    public static func == (a: EveningSummary, b: EveningSummary) -> Bool {
        a.session == b.session && a.realized == b.realized && a.trades == b.trades && a.strategies.map(\.name) == b.strategies.map(\.name)
    }

    /// `evening.json` read back; nil when it is not an evening report.
    public static func read(_ data: Data) -> EveningSummary? {
        guard let doc = try? JSONSerialization.jsonObject(with: data) as? [String: Any], let session = doc["session"] as? String,
            let day = doc["day"] as? [String: Any], let realized = (day["realized"] as? NSNumber)?.doubleValue,
            let history = doc["history"] as? [String: Any]
        else { return nil }
        let number = { (v: Any?) in (v as? NSNumber)?.doubleValue }
        let strategies = (day["by_strategy"] as? [[String: Any]] ?? []).map { g in
            (name: g["name"] as? String ?? "?", trades: g["trades"] as? Int ?? 0, pnl: number(g["pnl"]) ?? 0)
        }
        let runs = doc["runs"] as? [[String: Any]] ?? []
        return EveningSummary(
            session: session, realized: realized, unrealized: number(day["unrealized"]), trades: day["trades"] as? Int ?? 0, wins: day["wins"] as? Int ?? 0,
            winRate: number(day["win_rate"]), profitFactor: number(day["profit_factor"]), largestLoss: number(day["largest_loss"]),
            sharpe: number(history["sharpe"]), days: history["days"] as? Int ?? 0, strategies: strategies,
            breakerEvents: ((doc["risk"] as? [String: Any])?["breaker_events"] as? [Any])?.count ?? 0,
            failedRuns: runs.filter { ($0["state"] as? String).map { $0 != "succeeded" && $0 != "running" } ?? false }.count)
    }
}

public enum EveningMessages {
    static let price = ReportMessages.price

    static func lines(_ s: EveningSummary) -> [String] {
        var out = ["Realized P&L \(price(s.realized)) over \(s.trades) trade\(s.trades == 1 ? "" : "s") (commissions included)"]
        if let u = s.unrealized { out.append("Unrealized \(price(u)) at the close") }
        if let w = s.winRate { out.append("Win rate \(Int((w * 100).rounded())) %" + (s.profitFactor.map { ", profit factor \(price($0))" } ?? "")) }
        if let l = s.largestLoss { out.append("Largest loss \(price(l))") }
        if let sh = s.sharpe { out.append("Sharpe \(price(sh)) over \(s.days) days") }
        if s.breakerEvents > 0 { out.append("\(s.breakerEvents) risk event\(s.breakerEvents == 1 ? "" : "s")") }
        if s.failedRuns > 0 { out.append("\(s.failedRuns) job run\(s.failedRuns == 1 ? "" : "s") failed") }
        return out
    }

    public static func discord(_ s: EveningSummary) -> DiscordMessage {
        let fields = s.strategies.prefix(25).map { DiscordMessage.Field(name: $0.name, value: "\(price($0.pnl)) (\($0.trades))", inline: true) }
        let color = s.realized > 0 ? 0x137333 : s.realized < 0 ? 0xb3261e : 0x5f6368
        return DiscordMessage(embeds: [
            .init(title: "Evening report — \(s.session)", description: lines(s).joined(separator: "\n"), color: color, fields: Array(fields))
        ])
    }

    /// The caption of the equity chart (Telegram allows 1,024 characters).
    public static func telegram(_ s: EveningSummary) -> String {
        let e = TelegramClient.escape
        var out = "*\(e("Evening report — \(s.session)"))*\n" + lines(s).map(e).joined(separator: "\n")
        if !s.strategies.isEmpty { out += "\n\n" + s.strategies.map { e("\($0.name): \(price($0.pnl)) (\($0.trades))") }.joined(separator: "\n") }
        return ReportMessages.clip(out, 1_000)
    }

    public static func x(_ s: EveningSummary) -> String {
        var text = "Evening report \(s.session): realized P&L \(price(s.realized)) over \(s.trades) trades"
        if let w = s.winRate { text += ", win rate \(Int((w * 100).rounded())) %" }
        text += "."
        let best = s.strategies.sorted { $0.pnl > $1.pnl }.first
        if let best, s.strategies.count > 1 { text += " Best: \(best.name) \(price(best.pnl))." }
        return text
    }
}
