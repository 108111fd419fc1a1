import AlphaTrader
import AlphaTraderSimulators
import ArgumentParser
import Foundation
import Net
import OrchestratorCore
import Redis

struct Premarket: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Alpha Vantage options chains with greeks, news sentiment and technicals → Redis.",
        discussion: """
            Calls REALTIME_OPTIONS (require_greeks=true), NEWS_SENTIMENT (not for SPY, QQQ, IWM,
            VXX) and RSI, MACD, BBANDS, ATR for each symbol — in that order of importance — through
            a rate limiter shared in Redis by every process using the key (590 calls in any minute).
            Writes options:{sym}:chain|greeks|gex|dex|unusual|flow, sentiment:{sym}:score|articles,
            technicals:{sym}:rsi|macd|bbands|atr and monitoring:api:av:*. Invalid contracts are
            counted, never stored. Exit 1 when any call failed (the reasons are in the log).

            The key comes from ALPHAVANTAGE_API_KEY, the address from endpoints.alphavantage. With
            --replay-if-no-key and no key, a local stand-in on 127.0.0.1 serves generated
            recorded-style replies instead (run-day on a machine with no account).

            Examples:
              alphatrader premarket
              alphatrader premarket --symbols SPY,AAPL --only options
            """
    )

    @OptionGroup var common: CommonOptions
    @Option(help: "Comma-separated symbols (default: all configured).") var symbols: String?
    @Option(help: "Only this part: options, sentiment or technicals (repeatable).") var only: [String] = []
    @Flag(help: "Without ALPHAVANTAGE_API_KEY, use a local stand-in with generated replies.") var replayIfNoKey = false

    func run() throws {
        let context = try loadContext(common, module: "premarket")
        let configured = context.config.symbols.all
        let chosen = symbols.map { $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces).uppercased() } } ?? configured
        if let unknown = chosen.first(where: { !configured.contains($0) }) {
            throw invalidInput("--symbols: \(unknown) is not a configured symbol (\(configured.joined(separator: ", ")))")
        }
        var parts = Set<PremarketJob.Part>()
        for name in only {
            guard let part = PremarketJob.Part(rawValue: name) else { throw invalidInput("--only \(name): expected options, sentiment or technicals") }
            parts.insert(part)
        }
        if parts.isEmpty { parts = Set(PremarketJob.Part.allCases) }

        var baseURL = context.config.endpoints.alphaVantage
        var key = context.environment["ALPHAVANTAGE_API_KEY"] ?? ""
        var standIn: AlphaVantageSimulator?
        if key.isEmpty {
            guard replayIfNoKey else { throw invalidInput("ALPHAVANTAGE_API_KEY is not set (or pass --replay-if-no-key for the local stand-in)") }
            let day = (try? tapeSession(context, date: nil))?.date.description ?? "2026-11-25"
            let payloads = AlphaVantagePayloads.standIn(date: day, level2: context.config.symbols.level2, standard: context.config.symbols.standard)
            do { standIn = try AlphaVantageSimulator(payloads: payloads, symbols: configured) } catch {
                throw failure("cannot start the local Alpha Vantage stand-in: \(error.description)")
            }
            baseURL = standIn!.baseURL
            key = "replay"
            context.log("no API key: replies come from the local stand-in", ["url": baseURL, "day": day])
        }
        defer { standIn?.stop() }
        let redis: RedisClient
        do { redis = try RedisClient(url: context.redisURL, timeout: 5) } catch { throw failure(error.description) }
        let limiter = RateLimiter(redis: try! RedisClient(url: context.redisURL, timeout: 5))
        let client = AlphaVantageClient(baseURL: baseURL, apiKey: key, limiter: limiter, log: context.log)
        let report = PremarketJob(context: context, client: client, redis: redis).run(symbols: chosen, parts: parts)
        let invalid = report.invalidRows.values.reduce(0, +)
        context.log(
            "done",
            [
                "keys": String(report.written.count), "failures": String(report.failures.count), "invalid_contracts": String(invalid),
                "calls": String(client.stats.calls), "retries": String(client.stats.retries),
            ])
        print("wrote \(report.written.count) keys for \(chosen.count) symbols; \(invalid) invalid contracts left out; \(report.failures.count) failures")
        for f in report.failures { print("  failed: \(f)") }
        if !report.failures.isEmpty { throw ExitCode(1) }
    }
}
