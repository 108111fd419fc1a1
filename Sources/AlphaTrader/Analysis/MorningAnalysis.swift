public import Foundation

/// The morning analysis (SPEC §11, `analysis:morning`): a bias for the day, the levels that
/// matter, scenarios with their triggers, the risks, a note per symbol — written by the model
/// (held to `schema`) or, without a key, by `MorningRules` from the same picture.
public struct MorningAnalysis: Sendable, Equatable, Codable {
    public enum Bias: String, Sendable, Codable, CaseIterable { case bullish, bearish, neutral }
    public enum LevelKind: String, Sendable, Codable, CaseIterable { case support, resistance, pivot, gamma, flip, vwap }

    public struct Level: Sendable, Equatable, Codable {
        public var symbol: String
        public var price: Double
        public var kind: LevelKind
        public var note: String
        public init(symbol: String, price: Double, kind: LevelKind, note: String) {
            self.symbol = symbol; self.price = price; self.kind = kind; self.note = note
        }
    }

    public struct Scenario: Sendable, Equatable, Codable {
        public var name: String
        /// 0…1.
        public var probability: Double
        public var trigger: String
        public var plan: String
        public init(name: String, probability: Double, trigger: String, plan: String) {
            self.name = name; self.probability = probability; self.trigger = trigger; self.plan = plan
        }
    }

    public struct SymbolNote: Sendable, Equatable, Codable {
        public var symbol: String
        public var bias: Bias
        public var note: String
        public init(symbol: String, bias: Bias, note: String) { self.symbol = symbol; self.bias = bias; self.note = note }
    }

    public var bias: Bias
    public var summary: String
    public var levels: [Level]
    public var scenarios: [Scenario]
    public var risks: [String]
    public var symbols: [SymbolNote]

    public init(bias: Bias, summary: String, levels: [Level], scenarios: [Scenario], risks: [String], symbols: [SymbolNote]) {
        self.bias = bias; self.summary = summary; self.levels = levels; self.scenarios = scenarios; self.risks = risks; self.symbols = symbols
    }

    /// The answer's JSON schema under structured outputs' strict mode: every object closed
    /// and every property required.
    public static let schema = OpenAIClient.Schema(
        name: "morning_analysis",
        json: """
            {"type":"object","additionalProperties":false,"required":["bias","summary","levels","scenarios","risks","symbols"],"properties":{\
            "bias":{"type":"string","enum":["bullish","bearish","neutral"],"description":"the index bias for the session"},\
            "summary":{"type":"string","description":"three to five sentences for a trader before the open"},\
            "levels":{"type":"array","items":{"type":"object","additionalProperties":false,"required":["symbol","price","kind","note"],"properties":{\
            "symbol":{"type":"string"},"price":{"type":"number"},"kind":{"type":"string","enum":["support","resistance","pivot","gamma","flip","vwap"]},\
            "note":{"type":"string"}}}},\
            "scenarios":{"type":"array","items":{"type":"object","additionalProperties":false,"required":["name","probability","trigger","plan"],"properties":{\
            "name":{"type":"string"},"probability":{"type":"number","description":"0 to 1"},"trigger":{"type":"string"},"plan":{"type":"string"}}}},\
            "risks":{"type":"array","items":{"type":"string"}},\
            "symbols":{"type":"array","items":{"type":"object","additionalProperties":false,"required":["symbol","bias","note"],"properties":{\
            "symbol":{"type":"string"},"bias":{"type":"string","enum":["bullish","bearish","neutral"]},"note":{"type":"string"}}}}}}
            """)

    /// The model's content read and checked against what the schema cannot say: levels and
    /// notes only for the configured symbols, positive prices, probabilities within 0…1 adding
    /// up to at most a little over 1. Problems in words, each naming its place.
    public static func parse(_ content: String, symbols: [String]) -> Result<MorningAnalysis, AnalysisProblems> {
        let analysis: MorningAnalysis
        do {
            analysis = try JSONDecoder().decode(MorningAnalysis.self, from: Data(content.utf8))
        } catch {
            return .failure(AnalysisProblems(["the answer does not have the schema's shape: \(String(describing: error).prefix(300))"]))
        }
        var problems: [String] = []
        let known = Set(symbols)
        for (i, level) in analysis.levels.enumerated() {
            if !known.contains(level.symbol) { problems.append("levels[\(i)]: \(level.symbol) is not a configured symbol") }
            if !(level.price > 0 && level.price.isFinite) { problems.append("levels[\(i)]: price \(level.price) is not a price") }
        }
        for (i, note) in analysis.symbols.enumerated() where !known.contains(note.symbol) {
            problems.append("symbols[\(i)]: \(note.symbol) is not a configured symbol")
        }
        for (i, s) in analysis.scenarios.enumerated() where !(0...1).contains(s.probability) {
            problems.append("scenarios[\(i)]: probability \(s.probability) is not within 0…1")
        }
        let total = analysis.scenarios.map(\.probability).reduce(0, +)
        if total > 1.05 { problems.append("the scenarios' probabilities add up to \(String(format: "%.2f", total)), over 1") }
        if analysis.summary.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { problems.append("summary: empty") }
        return problems.isEmpty ? .success(analysis) : .failure(AnalysisProblems(problems))
    }
}

/// What is wrong with a model's answer.
public struct AnalysisProblems: Error, Sendable, Equatable, CustomStringConvertible {
    public let all: [String]
    public init(_ all: [String]) { self.all = all }
    public var description: String { all.joined(separator: "; ") }
}

/// The morning report as published (`analysis:morning`, `var/reports/DATE/morning.*`): the
/// analysis, who wrote it, what it cost, and the day's releases.
public struct MorningReport: Sendable, Equatable, Codable {
    public var date: String
    /// "model NAME" or "rules".
    public var generatedBy: String
    /// Why the rules wrote it ("no OPENAI_API_KEY", "the model refused: …"), nil for the model.
    public var fallbackReason: String?
    public var analysis: MorningAnalysis
    public var events: [EconomicCalendar.Event]
    public var unknownSchedules: [String]
    public var usage: OpenAIClient.Usage?
    /// Seconds since the epoch.
    public var generatedAt: Double

    public init(
        date: String, generatedBy: String, fallbackReason: String? = nil, analysis: MorningAnalysis, events: [EconomicCalendar.Event],
        unknownSchedules: [String], usage: OpenAIClient.Usage?, generatedAt: Double
    ) {
        self.date = date; self.generatedBy = generatedBy; self.fallbackReason = fallbackReason; self.analysis = analysis
        self.events = events; self.unknownSchedules = unknownSchedules; self.usage = usage; self.generatedAt = generatedAt
    }

    public static let key = "analysis:morning"

    /// The document's fields as stored.
    struct Flat: Codable {
        let date: String, generated_by: String, fallback_reason: String?, bias: String, summary: String
        let levels: [MorningAnalysis.Level], scenarios: [MorningAnalysis.Scenario], risks: [String], symbols: [MorningAnalysis.SymbolNote]
        let events: [EconomicCalendar.Event], unknown_schedules: [String], usage: OpenAIClient.Usage?, generated_at: Double
    }

    /// `analysis:morning` read back; nil for what is not one.
    public static func read(_ text: String?) -> MorningReport? {
        guard let data = text?.data(using: .utf8), let f = try? JSONDecoder().decode(Flat.self, from: data),
            let bias = MorningAnalysis.Bias(rawValue: f.bias)
        else { return nil }
        let analysis = MorningAnalysis(bias: bias, summary: f.summary, levels: f.levels, scenarios: f.scenarios, risks: f.risks, symbols: f.symbols)
        let usage = f.usage.flatMap { $0.promptTokens == 0 && $0.completionTokens == 0 ? nil : $0 }
        return MorningReport(
            date: f.date, generatedBy: f.generated_by, fallbackReason: f.fallback_reason, analysis: analysis, events: f.events,
            unknownSchedules: f.unknown_schedules, usage: usage, generatedAt: f.generated_at)
    }

    /// SPEC §11's document: `date`, `generated_by`, `bias`, `levels`, `scenarios`, `risks`,
    /// `symbols`, `usage` — and `summary`, `events`, `fallback_reason`, `generated_at`.
    public var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let flat = Flat(
            date: date, generated_by: generatedBy, fallback_reason: fallbackReason, bias: analysis.bias.rawValue, summary: analysis.summary,
            levels: analysis.levels, scenarios: analysis.scenarios, risks: analysis.risks, symbols: analysis.symbols, events: events,
            unknown_schedules: unknownSchedules, usage: usage ?? OpenAIClient.Usage(promptTokens: 0, completionTokens: 0, costUSD: 0),
            generated_at: generatedAt)
        return String(decoding: (try? encoder.encode(flat)) ?? Data("{}".utf8), as: UTF8.self)
    }
}
