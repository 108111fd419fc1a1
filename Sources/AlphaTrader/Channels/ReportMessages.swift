import Foundation

/// A report as each channel shows it: Discord embeds (packed into messages within Discord's
/// limits), Telegram MarkdownV2, and a text for X (threaded by the client when long).
public enum ReportMessages {
    static func color(_ bias: MorningAnalysis.Bias) -> Int { bias == .bullish ? 0x137333 : bias == .bearish ? 0xb3261e : 0x5f6368 }

    /// A price with two decimals by integer arithmetic (String(format:) costs microseconds on
    /// Linux, and a report prints hundreds).
    static func price(_ x: Double) -> String { fixed(x, places: 2) }

    /// `x` with `places` decimals (1…6), by integer arithmetic; `minus` before a negative.
    static func fixed(_ x: Double, places: Int, minus: String = "-") -> String {
        var scale = 1
        for _ in 0..<places { scale *= 10 }
        let n = Int((abs(x) * Double(scale)).rounded())
        let frac = String(n % scale)
        return (x < 0 && n > 0 ? minus : "") + String(n / scale) + "." + String(repeating: "0", count: places - frac.count) + frac
    }

    static func clip(_ s: String, _ n: Int) -> String { s.count <= n ? s : String(s.prefix(n - 1)) + "…" }

    // MARK: Discord

    public static func discord(_ r: MorningReport) -> [DiscordMessage] {
        let a = r.analysis
        typealias E = DiscordMessage.Embed
        typealias F = DiscordMessage.Field
        var embeds: [E] = []
        var head = E(
            title: "Morning analysis — \(r.date)", description: clip(a.summary, 4_000), color: color(a.bias),
            fields: [F(name: "Bias", value: a.bias.rawValue, inline: true)], footer: clip(MorningRender.byline(r), 2_048))
        let releases =
            r.events.map { "\($0.time) ET — \($0.title)" }
            + (r.unknownSchedules.isEmpty ? [] : ["schedule not yet published: " + r.unknownSchedules.joined(separator: ", ")])
        head.fields.append(F(name: "Releases", value: clip(releases.isEmpty ? "none scheduled" : releases.joined(separator: "\n"), 1_024), inline: true))
        for s in a.scenarios.prefix(20) {
            head.fields.append(F(name: clip("\(s.name) — \(Int((s.probability * 100).rounded())) %", 256), value: clip("If \(s.trigger): \(s.plan)", 1_024)))
        }
        embeds.append(head)
        // Levels: one field per symbol, its levels one per line.
        var levelFields: [F] = []
        for symbol in uniqueSymbols(a.levels.map(\.symbol)) {
            let lines = a.levels.filter { $0.symbol == symbol }.map { "\(price($0.price)) \($0.kind.rawValue) — \($0.note)" }
            levelFields.append(F(name: symbol, value: clip(lines.joined(separator: "\n"), 1_024), inline: false))
        }
        embeds += chunked(levelFields, title: "Levels", color: color(a.bias))
        if !a.risks.isEmpty {
            embeds.append(E(title: "Risks", description: clip(a.risks.map { "• \($0)" }.joined(separator: "\n"), 4_096), color: 0xf9ab00))
        }
        let notes = a.symbols.map { F(name: "\($0.symbol) (\($0.bias.rawValue))", value: clip($0.note.isEmpty ? "—" : $0.note, 1_024)) }
        embeds += chunked(notes, title: "Symbols", color: color(a.bias))
        return pack(embeds)
    }

    static func uniqueSymbols(_ xs: [String]) -> [String] {
        var seen = Set<String>()
        return xs.filter { seen.insert($0).inserted }
    }

    /// Fields spread over embeds of at most 25 fields and 5,000 characters.
    static func chunked(_ fields: [DiscordMessage.Field], title: String, color: Int) -> [DiscordMessage.Embed] {
        var out: [DiscordMessage.Embed] = []
        var current = DiscordMessage.Embed(title: title, description: "", color: color)
        for f in fields {
            if current.fields.count == 25 || current.characters + f.name.count + f.value.count > 5_000 {
                out.append(current)
                current = DiscordMessage.Embed(title: "\(title) (continued)", description: "", color: color)
            }
            current.fields.append(f)
        }
        if !current.fields.isEmpty { out.append(current) }
        return out
    }

    /// Embeds packed into messages of at most 10 embeds and 6,000 characters.
    static func pack(_ embeds: [DiscordMessage.Embed]) -> [DiscordMessage] {
        var messages: [DiscordMessage] = []
        var current: [DiscordMessage.Embed] = []
        var size = 0
        for e in embeds {
            if current.count == DiscordMessage.limits.embeds || size + e.characters > DiscordMessage.limits.total {
                messages.append(DiscordMessage(embeds: current))
                current = []
                size = 0
            }
            current.append(e)
            size += e.characters
        }
        if !current.isEmpty { messages.append(DiscordMessage(embeds: current)) }
        return messages
    }

    // MARK: Telegram

    public static func telegram(_ r: MorningReport) -> String {
        let a = r.analysis
        let e = TelegramClient.escape
        var out = "*\(e("Morning analysis — \(r.date)"))*\n_\(e(MorningRender.byline(r)))_\n\n*Bias:* \(e(a.bias.rawValue))\n\n\(e(a.summary))"
        let releases =
            r.events.map { "\($0.time) ET — \($0.title)" }
            + (r.unknownSchedules.isEmpty ? [] : ["schedule not yet published: " + r.unknownSchedules.joined(separator: ", ")])
        out += "\n\n*Releases*\n" + (releases.isEmpty ? e("none scheduled") : releases.map { "• " + e($0) }.joined(separator: "\n"))
        if !a.scenarios.isEmpty {
            out +=
                "\n\n*Scenarios*\n"
                + a.scenarios.map { "• *\(e($0.name))* \(e("\(Int(($0.probability * 100).rounded())) %")): \(e("if \($0.trigger) — \($0.plan)"))" }.joined(
                    separator: "\n")
        }
        for symbol in uniqueSymbols(a.levels.map(\.symbol)) {
            let lines = a.levels.filter { $0.symbol == symbol }.map { e("\(price($0.price)) \($0.kind.rawValue) — \($0.note)") }
            out += "\n\n*\(e("Levels " + symbol))*\n" + lines.joined(separator: "\n")
        }
        if !a.risks.isEmpty { out += "\n\n*Risks*\n" + a.risks.map { "• " + e($0) }.joined(separator: "\n") }
        if !a.symbols.isEmpty {
            out += "\n\n*Symbols*\n" + a.symbols.map { "• *\(e($0.symbol))* \(e("(\($0.bias.rawValue)): \($0.note)"))" }.joined(separator: "\n")
        }
        return out
    }

    // MARK: X

    public static func x(_ r: MorningReport) -> String {
        let a = r.analysis
        var text = "Morning analysis \(r.date): \(a.bias.rawValue) bias. \(a.summary)"
        if !r.events.isEmpty { text += "\n\nToday: " + r.events.map { "\($0.title) \($0.time) ET" }.joined(separator: "; ") + "." }
        let spy = a.levels.filter { $0.symbol == "SPY" && [.flip, .pivot, .gamma].contains($0.kind) }.prefix(4)
        if !spy.isEmpty { text += "\n\nSPY levels: " + spy.map { "\(price($0.price)) (\($0.kind.rawValue))" }.joined(separator: ", ") + "." }
        if r.generatedBy == "rules" { text += "\n\n(Generated without AI, by rules.)" }
        return text
    }
}
