import AlphaTrader
import ArgumentParser
import Foundation
import OrchestratorCore
import Redis

struct MorningAnalysisCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "morning-analysis",
        abstract: "The morning analysis: the overnight picture from Redis and the journal → OpenAI (or rules) → analysis:morning and a report.",
        discussion: """
            Gathers, per configured symbol, what premarket-data wrote (the prior session from
            GLOBAL_QUOTE and its floor pivots, the premarket price and overnight move, the dealers'
            gamma exposure, flip and largest-gamma strikes, put/call, unusual options premium, news
            sentiment, RSI, MACD, Bollinger bands, ATR; the prior session's VWAP and bands when the
            feed recorded it), the day's releases from config/economic-calendar.yaml and the
            positions held overnight from the journal. Then asks the model named in the prompt file
            (config/prompts/morning.md) for an analysis held to a strict JSON schema, through
            endpoints.openai with OPENAI_API_KEY.

            With no key (or --rules), or when the model refuses, is cut off, filtered or fails, the
            analysis is written by rules from the same data and labelled "generated without AI" with
            the reason — never a fake model reply. Writes analysis:morning (SPEC §11) and
            var/reports/DATE/morning.md and .html; prints the tokens and cost of a model's answer.
            Exit 2 for a prompt or calendar file with errors (each at its line), 1 when Redis
            cannot be read.

            Examples:
              alphatrader morning-analysis
              alphatrader morning-analysis --date 2026-12-09 --rules --json
              alphatrader morning-analysis --check
            """
    )

    @OptionGroup var common: CommonOptions
    @Option(help: "The session (YYYY-MM-DD); default: the clock's trading day, or the next session.") var date: String?
    @Option(help: "The prompt file.") var prompt = "config/prompts/morning.md"
    @Option(help: "The economic calendar.") var calendar = "config/economic-calendar.yaml"
    @Option(help: "The trade journal (read only).") var journal = "var/trading.sqlite"
    @Option(help: "Where the reports go (DATE/morning.md and .html under it).") var reports = "var/reports"
    @Flag(help: "Write the analysis by rules even with a key.") var rules = false
    @Flag(help: "Check the prompt and calendar files and exit.") var check = false
    @Flag(help: "Print the report as JSON (analysis:morning's document).") var json = false

    func run() throws {
        let context = try loadContext(common, module: "morning-analysis")
        let calendarFile = try loadFile(calendar) { EconomicCalendar.load($0, file: calendar) }
        let promptFile = try loadFile(prompt) { MorningPrompt.load($0, file: prompt) }
        if check {
            print(
                "\(prompt): ok (model \(promptFile.model)); \(calendar): ok (\(calendarFile.series.map { "\($0.name) to \($0.knownThrough)" }.joined(separator: ", ")))"
            )
            return
        }
        let session = try tapeSession(context, date: date)
        let redis: RedisClient
        do { redis = try RedisClient(url: context.redisURL, timeout: 5) } catch { throw failure("redis: \(error.description)") }
        let trades: Journal? = FileManager.default.fileExists(atPath: journal) ? try? Journal(readingOnly: journal) : nil
        let picture: MorningPicture
        do {
            picture = try MorningPicture.gather(
                redis: redis, symbols: context.config.symbols.all, day: session.date, calendar: calendarFile, exchange: context.config.calendar,
                journal: trades)
        } catch { throw failure("cannot gather the morning picture: \(error)") }
        for m in picture.missing { context.log("missing", ["what": m]) }

        let report = analyze(picture, prompt: promptFile, context: context)
        let text = report.json
        do {
            _ = try redis.command(["SET", MorningReport.key, text, "EX", String(3 * 86_400)])
        } catch { throw failure("redis: cannot write \(MorningReport.key): \(error.description)") }
        let directory = "\(reports)/\(session.date)"
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try atomicWrite(MorningRender.markdown(report), to: "\(directory)/morning.md")
            try atomicWrite(MorningRender.html(report), to: "\(directory)/morning.html")
        } catch { throw failure("cannot write the report under \(directory): \(error)") }
        let usage = report.usage
        context.log(
            "done",
            [
                "date": report.date, "by": report.generatedBy, "bias": report.analysis.bias.rawValue, "report": "\(directory)/morning.html",
                "prompt_tokens": usage.map { String($0.promptTokens) } ?? "0", "completion_tokens": usage.map { String($0.completionTokens) } ?? "0",
                "cost_usd": String(format: "%.4f", usage?.costUSD ?? 0), "fallback": report.fallbackReason ?? "none",
            ])
        if json {
            print(text)
        } else {
            print(
                "morning analysis \(report.date) by \(report.generatedBy)\(report.fallbackReason.map { " (\($0))" } ?? ""): bias \(report.analysis.bias.rawValue)"
            )
            print(report.analysis.summary)
            print("wrote \(MorningReport.key), \(directory)/morning.md and morning.html")
        }
    }

    /// The model's analysis, or the rules' with the reason the model's is not there.
    func analyze(_ picture: MorningPicture, prompt p: MorningPrompt, context: AlphaContext) -> MorningReport {
        let now = context.clock.now()
        func byRules(_ reason: String) -> MorningReport {
            MorningReport(
                date: picture.date, generatedBy: "rules", fallbackReason: reason, analysis: MorningRules.analyze(picture), events: picture.events,
                unknownSchedules: picture.unknownSchedules, usage: nil, generatedAt: now)
        }
        if rules { return byRules("--rules") }
        guard let key = context.environment["OPENAI_API_KEY"], !key.isEmpty else { return byRules("no OPENAI_API_KEY") }
        let client = OpenAIClient(
            configuration: .init(
                baseURL: context.config.endpoints.openAI, model: p.model, maxCompletionTokens: p.maxCompletionTokens, inputPrice: p.priceInput,
                outputPrice: p.priceOutput, timeout: p.timeout),
            apiKey: key, log: context.log)
        do {
            switch try client.complete(system: p.system, user: p.user(for: picture), schema: MorningAnalysis.schema) {
            case .refusal(let words, let usage):
                context.log("warning: the model refused", ["refusal": String(words.prefix(300))])
                var r = byRules("the model refused: \(words.prefix(200))")
                r.usage = usage
                return r
            case .content(let content, let model, let usage):
                switch MorningAnalysis.parse(content, symbols: context.config.symbols.all) {
                case .success(let analysis):
                    return MorningReport(
                        date: picture.date, generatedBy: "model \(model)", analysis: analysis, events: picture.events,
                        unknownSchedules: picture.unknownSchedules, usage: usage, generatedAt: now)
                case .failure(let problems):
                    context.log("warning: the model's answer was not usable", ["problems": problems.description])
                    var r = byRules("the model's answer was not usable: \(problems.description.prefix(200))")
                    r.usage = usage
                    return r
                }
            }
        } catch {
            context.log("warning: the model could not be asked", ["error": error.description])
            return byRules("the model could not be asked: \(error.description)")
        }
    }

    func loadFile<T>(_ path: String, _ load: (String) -> Result<T, Diagnostics>) throws -> T {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw invalidInput("\(path): cannot be read") }
        switch load(text) {
        case .success(let value): return value
        case .failure(let problems):
            FileHandle.standardError.write(Data((problems.description + "\n").utf8))
            throw ExitCode(2)
        }
    }
}

/// Writes `text` next to `path` and renames it into place: a reader never sees half a file.
func atomicWrite(_ text: String, to path: String) throws {
    let temporary = path + ".tmp-\(getpid())"
    try Data(text.utf8).write(to: URL(fileURLWithPath: temporary))
    guard rename(temporary, path) == 0 else {
        let code = errno
        try? FileManager.default.removeItem(atPath: temporary)
        throw NSError(
            domain: NSPOSIXErrorDomain, code: Int(code), userInfo: [NSLocalizedDescriptionKey: "rename to \(path): \(String(cString: strerror(code)))"])
    }
}
