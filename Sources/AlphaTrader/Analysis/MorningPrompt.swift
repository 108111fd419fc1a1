import Foundation
public import OrchestratorCore

/// The morning analysis's prompt file (`config/prompts/morning.md`): YAML front matter for the
/// call (model, completion budget, prices, timeout), then a `## System` and a `## User`
/// section — the two messages — with `{{date}}`, `{{symbols}}`, `{{events}}`, `{{held}}` and
/// `{{missing}}` filled in from the picture.
public struct MorningPrompt: Sendable, Equatable {
    public var model: String
    public var maxCompletionTokens: Int
    /// Dollars per million tokens.
    public var priceInput: Double, priceOutput: Double
    public var timeout: Double
    public var system: String
    public var user: String

    public static let placeholders = ["date", "symbols", "events", "held", "missing"]

    /// The file read and checked: the front matter's keys and values, both sections, and every
    /// `{{name}}` a known placeholder — each problem at its line.
    public static func load(_ text: String, file: String) -> Result<MorningPrompt, Diagnostics> {
        let lines = text.components(separatedBy: "\n")
        func at(_ line: Int) -> SourceLocation { SourceLocation(file: file, line: line + 1, column: 1) }
        guard lines.first?.trimmingCharacters(in: .whitespaces) == "---",
            let end = lines.dropFirst().firstIndex(where: { $0.trimmingCharacters(in: .whitespaces) == "---" })
        else {
            return .failure(
                Diagnostics([
                    Diagnostic(
                        at(0), "the prompt file starts with front matter between two --- lines (model, max_completion_tokens, price_input, price_output)")
                ]))
        }
        var reader = NodeReader()
        var prompt = MorningPrompt(model: "", maxCompletionTokens: 2_500, priceInput: 0, priceOutput: 0, timeout: 120, system: "", user: "")
        // The front matter parsed in place, so that its errors name the file's own lines.
        let front = Array(repeating: "", count: 1) + lines[1..<end]
        switch YAMLValue.parse(front.joined(separator: "\n"), file: file) {
        case .failure(let d): return .failure(Diagnostics([d]))
        case .success(let root):
            var sawModel = false
            for (key, _, value) in reader.mapping(
                root, "the front matter", allowed: ["model", "max_completion_tokens", "price_input", "price_output", "timeout"]) ?? []
            {
                switch key {
                case "model":
                    if let m = reader.nonEmptyString(value, "model") { prompt.model = m; sawModel = true }
                case "max_completion_tokens":
                    if let n = reader.int(value, "max_completion_tokens", min: 16) { prompt.maxCompletionTokens = n }
                case "price_input": if let x = reader.number(value, "price_input", in: 0...10_000) { prompt.priceInput = x }
                case "price_output": if let x = reader.number(value, "price_output", in: 0...10_000) { prompt.priceOutput = x }
                default:
                    if let d = reader.duration(value, "timeout") {
                        if d.seconds < 1 { reader.error(value.textLocation, "timeout must be at least 1s") } else { prompt.timeout = d.seconds }
                    }
                }
            }
            if !sawModel { reader.error(at(0), "the front matter needs model:") }
        }
        // The sections.
        var current: String?
        var sections: [String: [String]] = [:]
        var sectionLine: [String: Int] = [:]
        for i in (end + 1)..<lines.count {
            let line = lines[i]
            if line.hasPrefix("## ") {
                let name = line.dropFirst(3).trimmingCharacters(in: .whitespaces).lowercased()
                guard name == "system" || name == "user" else {
                    reader.error(at(i), "unknown section \"\(line.dropFirst(3))\": the prompt has a ## System and a ## User section")
                    current = nil
                    continue
                }
                if sections[name] != nil { reader.error(at(i), "a second ## \(name.capitalized) section") }
                current = name
                sections[name] = []
                sectionLine[name] = i
                continue
            }
            if let current {
                sections[current]!.append(line)
            } else if !line.trimmingCharacters(in: .whitespaces).isEmpty {
                reader.error(at(i), "text before the first section (## System)")
            }
            for name in placeholders(in: line) where !MorningPrompt.placeholders.contains(name) {
                reader.error(
                    at(i), "unknown placeholder {{\(name)}} (known: \(MorningPrompt.placeholders.map { "{{\($0)}}" }.joined(separator: ", ")))")
            }
        }
        for name in ["system", "user"] {
            let body = (sections[name] ?? []).joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
            if body.isEmpty { reader.error(at(sectionLine[name] ?? end), "the ## \(name.capitalized) section is missing or empty") }
            if name == "system" { prompt.system = body } else { prompt.user = body }
        }
        return reader.diagnostics.isEmpty ? .success(prompt) : .failure(Diagnostics(reader.diagnostics))
    }

    static func placeholders(in line: String) -> [String] {
        var names: [String] = []
        var rest = line[...]
        while let open = rest.range(of: "{{"), let close = rest[open.upperBound...].range(of: "}}") {
            names.append(String(rest[open.upperBound..<close.lowerBound]).trimmingCharacters(in: .whitespaces))
            rest = rest[close.upperBound...]
        }
        return names
    }

    /// The user message with the picture filled in.
    public func user(for p: MorningPicture) -> String {
        let values: [String: String] = [
            "date": p.date, "symbols": MorningPrompt.symbols(p), "events": MorningPrompt.events(p),
            "held": p.held.isEmpty
                ? "none" : p.held.map { "- \($0.instrument) (\($0.strategy), \($0.side == "BUY" ? "long" : "short"))" }.joined(separator: "\n"),
            "missing": p.missing.isEmpty ? "nothing" : p.missing.map { "- \($0)" }.joined(separator: "\n"),
        ]
        return values.reduce(user) { $0.replacingOccurrences(of: "{{\($1.key)}}", with: $1.value) }
    }

    static func events(_ p: MorningPicture) -> String {
        var lines = p.events.map { "- \($0.time) \($0.title)" }
        if !p.unknownSchedules.isEmpty { lines.append("- schedule not yet published for this day: \(p.unknownSchedules.joined(separator: ", "))") }
        return lines.isEmpty ? "none scheduled" : lines.joined(separator: "\n")
    }

    /// One line per symbol, every known figure named.
    static func symbols(_ p: MorningPicture) -> String {
        func f(_ x: Double?, _ format: String = "%.2f") -> String? { x.map { String(format: format, $0) } }
        return p.symbols.map { x in
            var parts: [String] = []
            if let d = x.priorDate, let o = x.priorOpen, let h = x.priorHigh, let l = x.priorLow, let c = x.priorClose {
                parts.append(String(format: "prior %@ O %.2f H %.2f L %.2f C %.2f", d, o, h, l, c))
            }
            if let pv = x.pivots { parts.append(String(format: "pivots P %.2f R1 %.2f R2 %.2f S1 %.2f S2 %.2f", pv.pivot, pv.r1, pv.r2, pv.s1, pv.s2)) }
            if let v = x.vwap { parts.append("prior VWAP \(f(v)!)" + (x.vwapSD.map { String(format: " σ %.2f", $0) } ?? "")) }
            if let s = x.spot { parts.append("premarket \(f(s)!)" + (f(x.overnightPct, "%+.2f").map { " (\($0) %)" } ?? "")) }
            if let g = x.gex { parts.append("GEX \(MorningRules.money(g)) per 1 %") }
            if let fl = x.flip { parts.append("flip \(f(fl)!)") }
            if !x.gammaStrikes.isEmpty {
                parts.append(
                    "gamma strikes "
                        + x.gammaStrikes.map { String(format: "%.0f (%.0f %%, %@)", $0.strike, $0.share * 100, $0.long ? "long" : "short") }.joined(
                            separator: ", "))
            }
            if let pc = x.putCallVolume { parts.append("put/call volume \(f(pc)!)") }
            if let c = x.unusualCallPremium, let u = x.unusualPutPremium, c + u > 0 {
                parts.append("unusual premium calls \(MorningRules.money(c)) puts \(MorningRules.money(u))")
            }
            if let s = x.sentiment, let n = x.articles, n > 0 { parts.append(String(format: "sentiment %+.2f (%d articles)", s, n)) }
            if let r = x.rsi { parts.append("RSI \(f(r, "%.1f")!)") }
            if let h = x.macdHistogram { parts.append("MACD histogram \(f(h, "%+.3f")!)") }
            if let u = x.bollingerUpper, let l = x.bollingerLower { parts.append("Bollinger \(f(l)!)–\(f(u)!)") }
            if let a = x.atr { parts.append("ATR \(f(a)!)") }
            return "- \(x.symbol): " + (parts.isEmpty ? "no data" : parts.joined(separator: "; "))
        }.joined(separator: "\n")
    }
}
