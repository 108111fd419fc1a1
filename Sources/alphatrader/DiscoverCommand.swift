import AlphaTrader
import ArgumentParser
import Foundation
import OrchestratorCore
import Redis

struct Discover: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Parameter discovery: VPIN bucket, lookback, volatility regime, correlations, market-maker profiles.",
        discussion: """
            Reads the session so far from Redis (trade sizes from market:{sym}:sizes, the day's 5-second
            bars from market:{sym}:history, book activity from market:{sym}:makers) and finds:
              vpin_bucket      50 prints of the largest trade-size cluster (k-means on log sizes)
              lookback_bars    the largest significant lag of the bar returns' autocorrelation
              volatility       realized volatility now against the day's 33rd/67th percentiles
              correlation      Pearson correlations of all symbols' bar returns
              market_makers    per maker: exchanges, share of book updates, top-of-book share, size
            Each run reads only the bars after those the last run read: running sums of the returns
            (autocorrelations, realized volatility, correlations) are kept in discovery:state, so a
            run at the close costs what one at the open does.
            Writes config/discovered.yaml atomically and discovery:* keys (24 h TTL). A symbol with
            too little data keeps its previous parameters, with a warning; exit 0. Redis down: exit 1.

            Example:
              alphatrader discover --out config/discovered.yaml
            """
    )

    @OptionGroup var common: CommonOptions
    @Option(help: "Where to write the parameters.") var out = DiscoveryJob.defaultPath
    @Flag(help: "Print the summary as JSON.") var json = false

    func run() throws {
        let context = try loadContext(common, module: "discover")
        let symbols = context.config.symbols.all
        let redis: RedisClient
        do { redis = try RedisClient(url: context.redisURL, timeout: 5) } catch { throw failure(error.description) }
        let started = Date()
        let job = DiscoveryJob(context: context, outputPath: out)
        do {
            var (state, note) = try job.loadState(redis, symbols: symbols) { (try? tapeSession(context, date: nil))?.date.description }
            if let note { context.log(note) }
            let (data, reread) = try job.load(redis, state: &state)
            if let reread { context.log(reread) }
            let loaded = Date()
            let result = DiscoveryJob.compute(data: data, state: &state)
            let computed = Date()
            let (_, kept) = try job.write(result, session: state.session, redis: redis, state: state)
            for warning in result.warnings { context.log("warning: " + warning) }
            let fields: KeyValuePairs<String, String> = [
                "symbols": String(symbols.count), "warnings": String(result.warnings.count), "kept": kept.joined(separator: ","),
                "new_rows": String(data.reduce(0) { $0 + $1.rows }), "load_ms": String(format: "%.1f", loaded.timeIntervalSince(started) * 1000),
                "compute_ms": String(format: "%.1f", computed.timeIntervalSince(loaded) * 1000), "out": out,
            ]
            context.log("discovered", fields)
            if json {
                let buckets = zip(symbols, result.parameters).map { "\"\($0.0)\":\($0.1.vpinBucket.map { String(Int($0)) } ?? "null")" }
                print("{\"out\":\(quoted(out)),\"warnings\":\(result.warnings.count),\"vpin_bucket\":{\(buckets.joined(separator: ","))}}")
            } else {
                for (s, p) in zip(symbols, result.parameters) {
                    let bucket = p.vpinBucket.map { String(Int($0)) } ?? "kept"
                    let lookback = p.lookbackBars.map { "\($0) bars" } ?? "kept"
                    print(
                        "\(s.padding(toLength: 6, withPad: " ", startingAt: 0)) vpin bucket \(bucket), lookback \(lookback), regime \(p.regime?.name ?? "kept"), \(p.trades) trades, \(p.bars) bars"
                    )
                }
                print("wrote \(out)")
            }
        } catch let redisFailure as RedisClient.Failure {
            throw failure(redisFailure.description)
        } catch {
            throw failure("\(error)")
        }
    }
}
