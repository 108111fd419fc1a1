import AlphaTrader
import Foundation

/// The trading system's figures (issue 6), over a full generated day read from a tape.
enum AlphaTraderBench {
    static func load(_ path: String) -> (TapeHeader, [MarketEvent]) {
        let reader = try! TapeReader(path: path)
        var events: [MarketEvent] = []
        events.reserveCapacity(Int(reader.count))
        while let e = try! reader.next() { events.append(e) }
        return (reader.header, events)
    }

    /// The tape's own 5-second bars as CSV (`symbol,time,open,high,low,close,volume`, time in
    /// epoch seconds at the bar's end), for backtrader's side of the backtest benchmark.
    static func tapeBars() {
        let reader = try! TapeReader(path: option("--tape", default: "var/tapes/bench.tape"))
        var out = "symbol,time,open,high,low,close,volume\n"
        while let event = try! reader.next() {
            guard case .bar(let b) = event else { continue }
            out += "\(reader.header.symbols[b.symbol]),\(b.time / 1_000_000),\(b.open),\(b.high),\(b.low),\(b.close),\(b.volume)\n"
        }
        FileHandle.standardOutput.write(Data(out.utf8))
    }

    /// VPIN + imbalance per trade (amortized over a day of one symbol's stream), and a full
    /// recompute of one symbol (VPIN rebuilt from its last 1,000 trades, imbalance from its book).
    static func analytics() {
        let (header, events) = load(option("--tape", default: "var/tapes/bench.tape"))
        let symbol = header.symbols.firstIndex(of: option("--symbol", default: "SPY")) ?? 0
        // The symbol's stream as analytics sees it: quotes (with top-five depth) and trades.
        var state = MarketState(header: header)
        var books = Array(repeating: OrderBook(), count: header.exchanges.count)
        enum Item { case trade(Trade); case quote(Double, Double, Int, Int) }
        var items: [Item] = []
        var bid = 0.0, ask = 0.0, bs = 0, asz = 0
        for e in events where e.symbol == symbol {
            state.apply(e)
            switch e {
            case .trade(let t):
                let bd = AggregatedBook.depth(books, side: .bid), ad = AggregatedBook.depth(books, side: .ask)
                items.append(.quote(bid, ask, bd > 0 ? bd : bs, ad > 0 ? ad : asz))
                items.append(.trade(t))
            case .quote(let q): bid = q.bid; ask = q.ask; bs = q.bidSize; asz = q.askSize
            case .depth(let d): books[d.exchange].apply(d)
            case .bar: break
            }
        }
        let trades = items.reduce(0) { if case .trade = $1 { return $0 + 1 } else { return $0 } }
        var best = Double.infinity
        var sink = 0.0
        for _ in 0..<5 {
            var a = SymbolAnalytics(symbol: header.symbols[symbol], bucketVolume: 100_000)
            let t0 = now()
            for item in items {
                switch item {
                case .trade(let t): a.trade(t)
                case .quote(let b, let k, let bd, let ad): a.quote(time: 0, bid: b, ask: k, bidSize: bd, askSize: ad)
                }
            }
            best = min(best, Double(now() - t0))
            sink += a.vpin.value ?? 0
        }
        // Full recompute: the last 1,000 trades into a fresh VPIN, imbalance from the book.
        let last = items.suffix(2_000).compactMap { item -> Trade? in if case .trade(let t) = item { return t } else { return nil } }
        var recompute: [Double] = []
        for _ in 0..<200 {
            let t0 = now()
            var v = VPIN(bucketVolume: 20_000, window: 50)
            for t in last { v.add(price: t.price, size: t.size) }
            let bd = AggregatedBook.depth(books, side: .bid), ad = AggregatedBook.depth(books, side: .ask)
            sink += SymbolAnalytics.imbalance(bid: Double(bd), ask: Double(ad)) + (v.value ?? 0)
            recompute.append(Double(now() - t0))
        }
        print(
            "{\"symbol\":\"\(header.symbols[symbol])\",\"trades\":\(trades),\"stream_items\":\(items.count),\"ns_per_trade\":\(best / Double(trades)),\"recompute_trades\":\(last.count),\"recompute_us_median\":\(median(recompute) / 1000),\"recompute_us_best\":\(recompute.min()! / 1000),\"sink\":\(sink.isFinite ? 1 : 0)}"
        )
    }

    /// Discovery's computation for all symbols over a full day: the session's trade-size counts,
    /// every 5-second bar, the books' market-maker activity.
    static func discovery() {
        let (header, events) = load(option("--tape", default: "var/tapes/bench.tape"))
        var data = header.symbols.map { _ in DiscoveryJob.SymbolData() }
        var activity: [[String: (Int, Int, Int)]] = Array(repeating: [:], count: header.symbols.count)
        for e in events {
            switch e {
            case .trade(let t): data[t.symbol].sizes[t.size, default: 0] += 1
            case .bar(let b): data[b.symbol].bars.append((b.start / 1000, b.close))
            case .depth(let d) where d.operation != .delete:
                let key = header.exchanges[d.exchange] + "|" + header.marketMakers[d.marketMaker]
                var a = activity[d.symbol][key] ?? (0, 0, 0)
                a.0 += 1; a.1 += d.position == 0 ? 1 : 0; a.2 += d.size
                activity[d.symbol][key] = a
            default: break
            }
        }
        for s in data.indices {
            data[s].makers = activity[s].map { key, a in
                let parts = key.split(separator: "|")
                return Discovery.MakerActivity(exchange: String(parts[0]), maker: String(parts[1]), updates: a.0, topUpdates: a.1, sizeSum: a.2)
            }
        }
        var times: [Double] = []
        var result: DiscoveryJob.Result?
        for _ in 0..<20 {
            let t0 = now()
            result = DiscoveryJob.compute(symbols: header.symbols, data: data)
            times.append(Double(now() - t0) / 1e6)
        }
        // What the job does at the close: the state of the day up to the last quarter hour,
        // through its stored form, then that quarter hour's bars folded in.
        let close = data.compactMap { $0.bars.last?.0 }.max() ?? 0
        var state = DiscoveryState(session: header.date.description, symbols: header.symbols)
        let morning = data.map { d in DiscoveryJob.SymbolData(sizeCounts: d.sizes, bars: d.bars.filter { $0.0 < close - 900 }, makers: d.makers) }
        let lastQuarter = data.map { d in DiscoveryJob.SymbolData(sizeCounts: d.sizes, bars: d.bars.filter { $0.0 >= close - 900 }, makers: d.makers) }
        _ = DiscoveryJob.compute(data: morning, state: &state)
        let stored = try! JSONEncoder().encode(state)
        var incremental: [Double] = []
        for _ in 0..<20 {
            let t0 = now()
            var s = try! JSONDecoder().decode(DiscoveryState.self, from: stored)
            let r = DiscoveryJob.compute(data: lastQuarter, state: &s)
            _ = try! JSONEncoder().encode(s)
            incremental.append(Double(now() - t0) / 1e6)
            precondition(r.parameters.count == header.symbols.count)
        }
        let trades = data.reduce(0) { $0 + $1.trades }, bars = data.reduce(0) { $0 + $1.bars.count }
        let quarterBars = lastQuarter.reduce(0) { $0 + $1.bars.count }
        print(
            "{\"symbols\":\(header.symbols.count),\"trades\":\(trades),\"bars\":\(bars),\"median_ms\":\(median(times)),\"best_ms\":\(times.min()!),\"warnings\":\(result!.warnings.count),\"close_run_bars\":\(quarterBars),\"close_run_state_bytes\":\(stored.count),\"close_run_median_ms\":\(median(incremental)),\"close_run_best_ms\":\(incremental.min()!)}"
        )
    }
}
