import AlphaTrader
import ArgumentParser
import Foundation
import OrchestratorCore

struct Ingest: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Market data into Redis: the replay tape at the clock's pace, or IBKR through the TWS API.",
        discussion: """
            One code path from market events to the market:* keys of SPEC §7 (book, trades, last,
            bars, ticker, spread, imbalance, sweep, unusual_volume, timestamp), a per-symbol stream
            market:{sym}:stream that the analytics service reads exactly once in order, ibkr:connected,
            monitoring:ibkr:stats, and module:heartbeat:ibkr_ingestion every market second. TTLs are
            in market time (book and trades 1 s, bars 10 s), divided by the clock's speed.

            With --source replay and no tape at the path, the tape for the clock's trading day is
            generated first (replay-gen with --seed). Runs until SIGTERM.

            Examples:
              alphatrader ingest --source replay --tape var/tapes/2026-11-25.tape
              alphatrader ingest --source replay --unpaced --exit-at-end     # as fast as Redis takes it
            """
    )

    enum Source: String, ExpressibleByArgument { case replay, ibkr }

    @OptionGroup var common: CommonOptions
    @Option(help: "replay (a tape) or ibkr (TWS / IB Gateway at endpoints.ibkr).") var source: Source = .replay
    @Option(help: "The tape to play; default var/tapes/<trading day>.tape.") var tape: String?
    @Option(help: "Seed for generating a missing tape.") var seed: UInt64 = TapeGenerator.defaultSeed
    @Flag(help: "Play as fast as possible instead of at the clock.") var unpaced = false
    @Flag(help: "Exit when the tape has been played instead of idling until SIGTERM.") var exitAtEnd = false
    @Option(help: "Least real time between two publishes when paced, in milliseconds.") var publishIntervalMs: Double = 0

    func run() throws {
        StopSignal.install()
        let context = try loadContext(common, module: "ingest")
        let marketSource: any MarketSource
        let state: MarketState
        var options = Ingestion.Options()
        switch source {
        case .replay:
            let session = try tapeSession(context, date: nil)
            let path = tape ?? defaultTapePath(session)
            if !FileManager.default.fileExists(atPath: path) {
                guard tape == nil else { throw invalidInput("tape \(path): no such file (alphatrader replay-gen writes one)") }
                context.log("no tape for the day, generating it", ["path": path, "seed": String(seed)])
                _ = try writeTape(context, session: session, seed: seed, path: path)
            }
            let reader: TapeReader
            do { reader = try TapeReader(path: path) } catch { throw invalidInput(error.description) }
            let h = reader.header
            if !unpaced {
                // Joining in the middle of the session: what is already in the past is skipped.
                let skipped = (try? reader.skip(before: Int64(context.clock.now() * 1_000_000))) ?? 0
                if skipped > 0 { context.log("joined the tape in progress", ["skipped": String(skipped)]) }
            }
            context.log("tape", ["path": path, "date": h.date, "events": String(reader.count), "symbols": String(h.symbols.count)])
            marketSource = TapeSource(reader: reader)
            options.session = h.date
            state = MarketState(header: h)
        case .ibkr:
            let endpoints = context.config.endpoints
            let symbols = context.config.symbols
            let client = TWSClient(
                options: TWSClient.Options(host: endpoints.ibkrHost, port: endpoints.ibkrPort, clientID: endpoints.ibkrClientID),
                symbols: symbols.all, level2Count: symbols.level2.count, log: context.log, clock: context.clock)
            context.log(
                "connecting to TWS / IB Gateway", ["address": "\(endpoints.ibkrHost):\(endpoints.ibkrPort)", "client_id": String(endpoints.ibkrClientID)])
            client.start()
            marketSource = client
            state = MarketState(symbols: symbols.all, level2Count: symbols.level2.count, exchanges: TapeFormat.exchanges, makers: [])
            options.session = try tapeSession(context, date: nil).date.description
        }
        options.unpaced = unpaced
        guard publishIntervalMs >= 0 && publishIntervalMs <= 1_000 else { throw invalidInput("--publish-interval-ms \(publishIntervalMs): expected 0…1000") }
        options.publishInterval = publishIntervalMs / 1_000
        options.exitAtEnd = exitAtEnd
        let report = Ingestion(context: context, source: marketSource, state: state, options: options).run()
        (marketSource as? TWSClient)?.stop()
        context.log(
            "done",
            [
                "events": String(report.events), "published": String(report.published), "dropped": String(report.dropped),
                "seconds": String(format: "%.2f", report.seconds),
                "events_per_s": String(Int(Double(report.events) / max(report.seconds, 1e-9))),
                "lag_p99_ms": String(Int(report.lagP99)),
            ])
    }
}
