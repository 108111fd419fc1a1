import AlphaTrader
import Backups
import Foundation
import GRDB
import OrchestratorCore
import OrchestratorRuntime
import Redis

/// Issue 19's figures: the evening report over a year of daily history and a day of 1,000
/// trades (goal < 200 ms), and a backup of a run store of 1,000,000 runs and a Redis holding a
/// day's worth of data against `sqlite3 .backup` + `redis-cli --rdb` of the same data in the same
/// run (goal ≤ 1.5×).
enum ReportsBench {
    static let zone = ZoneRules.named("America/New_York")!
    static let strategies = ["0dte", "1dte", "14dte", "moc"]
    static let symbols = ["SPY", "QQQ", "IWM", "AAPL", "TSLA", "NVDA", "META", "AMZN", "MSFT", "GOOGL", "AMD", "VXX"]

    static func median(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }

    /// A trading journal with `days` of history (20 positions a day) and `today` positions on
    /// the last day, each with its entry order, closed with a P&L.
    static func journal(at path: String, sessions: [Session], today: Int) throws -> Journal {
        let journal = try Journal(path: path)
        var n = 0
        for (d, session) in sessions.enumerated() {
            let count = d == sessions.count - 1 ? today : 20
            for k in 0..<count {
                n += 1
                let symbol = symbols[n % symbols.count]
                let option = Instrument.option(symbol: symbol, expiry: "20261218", strike: 500, right: k % 2 == 0 ? .call : .put)
                let at = Double(session.open) + Double(k) * (Double(session.close - session.open) - 900) / Double(count)
                let request = OrderRequest(id: n, instrument: option, action: .buy, quantity: 1 + k % 3, kind: .limit(2), orderRef: "r\(n)")
                try journal.recordSubmissions(
                    [(request, nil)], clientId: 2, strategy: strategies[n % 4], position: "p\(n)",
                    opening: .init(id: "p\(n)", signalId: nil, strategy: strategies[n % 4], plan: ExitPlan(stop: 1.5, targets: [], trail: nil)), now: at)
                try journal.closePosition(id: "p\(n)", reason: k % 3 == 0 ? "stop" : "target", realizedPnL: Double((n * 37) % 200) - 90, now: at + 600)
            }
        }
        return journal
    }

    static func eveningReport() {
        let dir = NSTemporaryDirectory() + "evening-bench-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let calendar = XNYSCalendar()
        var sessions: [Session] = []
        var day = LocalDate(parsing: "2025-12-08")!
        while sessions.count < 252 {
            if let s = try! calendar.session(on: day) { sessions.append(s) }
            day = day.adding(days: 1)
        }
        let today = Int(option("--trades", default: "1000"))!
        let journal = try! Self.journal(at: dir + "/trading.sqlite", sessions: sessions, today: today)
        let session = sessions.last!
        var readMs: [Double] = [], computeMs: [Double] = [], renderMs: [Double] = []
        var bytes = 0
        var report: EveningReport?
        for _ in 0..<15 {
            let t0 = now()
            var inputs = try! EveningReportReader.inputs(journal: journal, session: session, calendar: calendar, capital: 100_000, unrealized: 12.5)
            // The day's fills (two a trade) and a day's runs, as the orchestrator's JSON gives them.
            inputs.fills = (0..<(2 * today)).map { i in
                EveningReport.Fill(
                    time: Double(session.open) + Double(i) * 10, instrument: "SPY \(i / 2)", quantity: i % 2 == 0 ? 2 : -2, price: 1.5, multiplier: 100,
                    commission: 0.65)
            }
            inputs.runs = (0..<60).map { i in
                EveningReport.Run(
                    job: "job\(i % 12)", state: "succeeded", startedAt: Double(session.open) + Double(i) * 300,
                    finishedAt: Double(session.open) + Double(i) * 300 + 5,
                    attempts: 1, reason: nil)
            }
            let t1 = now()
            let r = EveningReport(inputs)
            let t2 = now()
            let html = EveningRender.html(r, zone: zone)
            let json = r.document.serialized(pretty: true)
            let svg = EveningRender.equitySVG(r, zone: zone)
            let t3 = now()
            bytes = html.utf8.count + json.utf8.count + svg.utf8.count
            readMs.append(Double(t1 - t0) / 1e6); computeMs.append(Double(t2 - t1) / 1e6); renderMs.append(Double(t3 - t2) / 1e6)
            report = r
        }
        let total = zip(zip(readMs, computeMs), renderMs).map { $0.0 + $0.1 + $1 }
        print(
            #"{"history_days": \#(report!.history.count), "trades_today": \#(report!.trades.count), "positions_in_journal": \#(20 * 251 + today), "read_ms": \#(median(readMs)), "compute_ms": \#(median(computeMs)), "render_ms": \#(median(renderMs)), "total_ms": \#(median(total)), "best_ms": \#(total.min()!), "bytes": \#(bytes)}"#
        )
    }

    /// Fills a run store with `runs` finished runs (one attempt each) and Redis with a day's
    /// worth of market data: the twelve symbols' streams and their book and analytics keys.
    static func backup() {
        let url = try! RedisURL(parsing: option("--redis", default: "redis://127.0.0.1:6379/0"))
        let dir = option("--dir", default: NSTemporaryDirectory())
        let runs = Int(option("--runs", default: "1000000"))!
        let store = dir + "/runs.sqlite"
        _ = try! SQLiteRunStore(path: store)
        let queue = try! DatabaseQueue(path: store)
        try! queue.write { db in
            let run = try db.makeStatement(
                sql:
                    "INSERT INTO run (job, trading_day, scheduled_for, trigger, state, attempts, created_at, started_at, finished_at, exit_code) VALUES (?, ?, ?, 'schedule', 'succeeded', 1, ?, ?, ?, 0)"
            )
            let attempt = try db.makeStatement(
                sql: "INSERT INTO attempt (run_id, number, pid, started_at, finished_at, exit_code, outcome, log) VALUES (?, 1, ?, ?, ?, 0, 'succeeded', ?)")
            for i in 0..<runs {
                let t = 1_700_000_000.0 + Double(i) * 60
                try run.execute(arguments: ["job\(i % 12)", LocalDate(daysSinceEpoch: Int(t) / 86_400).description, t, t, t, t + 1])
                try attempt.execute(arguments: [i + 1, 1000 + i % 30000, t, t + 1, "var/logs/job\(i % 12)/\(i + 1).1.log"])
            }
        }
        try! queue.close()
        let redis = try! RedisClient(url: url, timeout: 30)
        for s in symbols {
            for chunk in stride(from: 0, to: 100_000, by: 1_000) {
                var commands: [[String]] = []
                for i in chunk..<(chunk + 1_000) {
                    let price = String(500 + Double(i % 977) / 100), size = String(i % 400 + 1), t = String(1_765_000_000_000 + i * 37)
                    let kind = i % 3 == 0 ? "trade" : "quote"
                    commands.append(["XADD", "market:\(s):stream", "*", "kind", kind, "price", price, "size", size, "t", t])
                }
                _ = try! redis.pipeline(commands)
            }
            for chunk in stride(from: 0, to: 8_000, by: 1_000) {
                var commands: [[String]] = []
                for i in chunk..<(chunk + 1_000) {
                    let vpin = Double(i % 1000) / 1000, obi = Double(i % 313) / 313
                    commands.append(["SET", "analytics:\(s):k\(i)", "{\"vpin\":\(vpin),\"obi\":\(obi),\"gex\":\(i * 7919),\"ts\":\(1_765_000_000_000 + i)}"])
                }
                _ = try! redis.pipeline(commands)
            }
        }
        let info = (try? redis.command(["INFO", "memory"]))?.text ?? ""
        let memory = info.split(separator: "\r\n").first { $0.hasPrefix("used_memory:") }.map { String($0.dropFirst("used_memory:".count)) } ?? "?"
        var ours: [Double] = [], oursBytes = 0, theirs: [Double] = [], theirsBytes = 0
        var parts: [String: Double] = [:]
        for round in 0..<3 {
            let target = dir + "/ours-\(round)"
            let t0 = now()
            let r = try! RedisBackup.copy(redis, to: target + "/redis")
            let t1 = now()
            try! FileManager.default.createDirectory(atPath: target + "/stores", withIntermediateDirectories: true)
            let v = try! StoreBackup.copy(store, to: target + "/stores/runs.sqlite")
            let t2 = now()
            let manifest = try! BackupManifest.of(target, created: "bench", verifications: [:])
            let t3 = now()
            precondition(r.ok && v.ok)
            ours.append(Double(t3 - t0) / 1e9)
            oursBytes = manifest.files.reduce(0) { $0 + $1.bytes }
            parts = ["redis_s": Double(t1 - t0) / 1e9, "store_s": Double(t2 - t1) / 1e9, "sha256_s": Double(t3 - t2) / 1e9]
            try? FileManager.default.removeItem(atPath: target)
            // The peers: the same data, the same disk.
            let peer = dir + "/peer-\(round)"
            try! FileManager.default.createDirectory(atPath: peer, withIntermediateDirectories: true)
            let p0 = now()
            run("/usr/bin/sqlite3", [store, ".backup '\(peer)/runs.sqlite'"])
            run("/usr/bin/redis-cli", ["-h", url.host, "-p", String(url.port), "--rdb", peer + "/dump.rdb"])
            let p1 = now()
            theirs.append(Double(p1 - p0) / 1e9)
            theirsBytes = ["runs.sqlite", "dump.rdb"].reduce(0) {
                $0 + ((try? FileManager.default.attributesOfItem(atPath: "\(peer)/\($1)")[.size] as? Int) ?? 0)
            }
            try? FileManager.default.removeItem(atPath: peer)
        }
        let partsJSON = parts.sorted { $0.key < $1.key }.map { "\"\($0.key)\": \(String(format: "%.3f", $0.value))" }.joined(separator: ", ")
        print(
            #"{"runs": \#(runs), "redis_used_memory": \#(memory), "ours_s": \#(median(ours)), "ours_bytes": \#(oursBytes), "peers_s": \#(median(theirs)), "peers_bytes": \#(theirsBytes), "ratio": \#(median(ours) / median(theirs)), \#(partsJSON)}"#
        )
    }

    static func run(_ tool: String, _ arguments: [String]) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool)
        p.arguments = arguments
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try! p.run()
        p.waitUntilExit()
        precondition(p.terminationStatus == 0, "\(tool) \(arguments) failed")
    }
}

/// Issue 20's store: `runs` finished runs of twelve jobs, one attempt each, with the three
/// transitions the engine records (queued, running, the outcome) — what `serve` reads.
enum ServeBench {
    static func generate() {
        let path = option("--out", default: "/tmp/serve-bench.sqlite")
        let runs = Int(option("--runs", default: "1000000"))!
        try? FileManager.default.removeItem(atPath: path)
        _ = try! SQLiteRunStore(path: path)
        let queue = try! DatabaseQueue(path: path)
        let t0 = now()
        try! queue.write { db in
            let run = try db.makeStatement(
                sql:
                    "INSERT INTO run (id, job, trading_day, scheduled_for, trigger, state, attempts, created_at, started_at, finished_at, exit_code, reason) VALUES (?, ?, ?, ?, 'schedule', ?, 1, ?, ?, ?, ?, ?)"
            )
            let attempt = try db.makeStatement(
                sql: "INSERT INTO attempt (run_id, number, pid, started_at, finished_at, exit_code, outcome, log) VALUES (?, 1, ?, ?, ?, ?, ?, ?)")
            let transition = try db.makeStatement(sql: "INSERT INTO transition (run_id, at, from_state, to_state, reason) VALUES (?, ?, ?, ?, ?)")
            for i in 1...runs {
                let slot = 1_700_000_000.0 + Double(i) * 60
                let start = slot + Double(i % 7) * 0.003, end = start + Double(i % 50) * 0.7 + 0.05
                let ok = i % 23 != 0
                let job = "job\(i % 12)"
                try run.execute(arguments: [
                    i, job, LocalDate(daysSinceEpoch: Int(slot) / 86_400).description, slot, ok ? "succeeded" : "failed", slot, start, end, ok ? 0 : 1,
                    ok ? "exit 0" : "exit 1",
                ])
                try attempt.execute(arguments: [i, 1000 + i % 30000, start, end, ok ? 0 : 1, ok ? "succeeded" : "failed", "var/logs/\(job)/\(i).1.log"])
                try transition.execute(arguments: [i, slot, nil, "queued", "due"])
                try transition.execute(arguments: [i, start, "queued", "running", "attempt 1"])
                try transition.execute(arguments: [i, end, "running", ok ? "succeeded" : "failed", ok ? "exit 0" : "exit 1"])
            }
        }
        print(
            #"{"runs": \#(runs), "seconds": \#(Double(now() - t0) / 1e9), "bytes": \#((try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0)}"#
        )
    }
}
