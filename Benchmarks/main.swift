import Foundation
import OrchestratorCore

// orchestrator-bench: the performance figures of BENCHMARKS.md, in release mode.
// Run through Benchmarks/run.sh, which also runs the peers (croniter) in the same invocation.

func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

func median(_ xs: [Double]) -> Double {
    let s = xs.sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

func option(_ name: String, default value: String) -> String {
    let args = CommandLine.arguments
    if let i = args.firstIndex(of: name), i + 1 < args.count { return args[i + 1] }
    return value
}

/// Cron next-fire throughput: `fires` successive fires of each expression, best of `rounds`.
func benchCron() {
    let fires = Int(option("--fires", default: "100000"))!
    let rounds = Int(option("--rounds", default: "5"))!
    let zone = ZoneRules.named("America/New_York")!
    let start = TimeFormat.parseInstant("2026-01-01T00:00:00Z", zone: zone)!
    var rows: [String] = []
    for text in ["*/15 9-16 * * 1-5", "0 17 * * 1-5", "30 2 * * *"] {
        let cron = try! CronExpression(parsing: text)
        var times: [Double] = []
        var last: Int64 = 0
        for _ in 0..<rounds {
            var t = start
            let t0 = now()
            for _ in 0..<fires { t = cron.nextFire(after: t, in: zone)! }
            times.append(Double(now() - t0) / 1e9)
            last = t
        }
        let best = times.min()!
        rows.append(
            "{\"expr\":\"\(text)\",\"fires\":\(fires),\"seconds\":\(best),\"fires_per_sec\":\(Double(fires) / best),\"last\":\"\(TimeFormat.local(last, in: zone))\"}"
        )
    }
    print("[" + rows.joined(separator: ",") + "]")
}

/// XNYS sessions 2000-2035 from the rules, no cached table.
func benchCalendar() {
    let rounds = Int(option("--rounds", default: "50"))!
    let t0 = now()
    let first = XNYSCalendar.computeAllSessions()
    let cold = Double(now() - t0) / 1e6
    var warm: [Double] = []
    for _ in 0..<rounds {
        let t = now()
        let s = XNYSCalendar.computeAllSessions()
        warm.append(Double(now() - t) / 1e6)
        precondition(s.count == first.count)
    }
    print("{\"sessions\":\(first.count),\"cold_ms\":\(cold),\"median_ms\":\(median(warm)),\"best_ms\":\(warm.min()!)}")
}

/// Writes `count` job files of realistic jobs (every schedule form, dependencies, pools).
func generateJobs() {
    let count = Int(option("--count", default: "500"))!
    let dir = option("--out", default: "/tmp/orchestrator-bench-jobs")
    let fm = FileManager.default
    try? fm.removeItem(atPath: dir)
    try! fm.createDirectory(atPath: dir + "/jobs", withIntermediateDirectories: true)
    try! "timezone: America/New_York\npools: { alphavantage: 1 }\n".write(toFile: dir + "/config.yaml", atomically: true, encoding: .utf8)
    let schedules = [
        "{ cron: \"*/15 9-16 * * 1-5\" }", "{ market: close, offset: -10m }", "{ every: 15m, during: session }",
        "{ at: \"17:00\", days: daily }", "{ market: open, offset: -5m }",
    ]
    for i in 0..<count {
        var text = "jobs:\n"
        for j in 0..<4 {
            let name = "job-\(i)-\(j)"
            text += """
                  \(name):
                    description: generated job \(j) of file \(i)
                    command: [alphatrader, discover, --slot, "\(j)"]
                    schedule: \(schedules[(i + j) % schedules.count])
                    timeout: 2m
                    retries: 2
                    retry_delay: 10s
                    max_retry_delay: 1m30s
                    overlap: skip
                    catch_up: latest
                    deadline: 10m
                    env: { LOG_LEVEL: info, FILE: "\(i)" }
                \(j > 0 ? "    depends_on: [job-\(i)-\(j - 1)]\n" : "")\(j == 3 ? "    pool: alphavantage\n" : "")
                """
        }
        try! text.write(toFile: dir + "/jobs/file-\(String(format: "%04d", i)).yaml", atomically: true, encoding: .utf8)
    }
    print(dir)
}

/// `orchestrator validate` end to end, process start included: median of `rounds` runs.
/// Spawned with posix_spawn and reaped with waitpid: Foundation's `Process.waitUntilExit` polls
/// its run loop and would add up to 50 ms of its own to each figure.
func benchValidate() {
    let binary = option("--binary", default: ".build-release/release/orchestrator")
    let dir = option("--dir", default: "/tmp/orchestrator-bench-jobs")
    let rounds = Int(option("--rounds", default: "20"))!
    let args = [binary, "validate", "--config", dir + "/config.yaml", "--jobs", dir + "/jobs"]
    var times: [Double] = []
    for _ in 0..<rounds {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        var argv: [UnsafeMutablePointer<CChar>?] = args.map { strdup($0) } + [nil]
        var pid: pid_t = 0
        let t0 = now()
        let rc = posix_spawn(&pid, binary, &actions, nil, &argv, environ)
        precondition(rc == 0, "cannot start \(binary): \(String(cString: strerror(rc)))")
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        times.append(Double(now() - t0) / 1e6)
        precondition(status == 0, "validate failed with wait status \(status)")
        argv.forEach { free($0) }
        posix_spawn_file_actions_destroy(&actions)
    }
    print("{\"median_ms\":\(median(times)),\"best_ms\":\(times.min()!)}")
}

/// How long building a zone's transition table takes (once per zone per process).
func benchZone() {
    let t0 = now()
    let tz = TimeZone(identifier: "Europe/Paris")!
    _ = ZoneRules.of(tz)
    print("{\"zone_table_ms\":\(Double(now() - t0) / 1e6)}")
}

/// Parsing alone: every generated job file through the YAML layer.
func benchParse() {
    let dir = option("--dir", default: "/tmp/orchestrator-bench-jobs") + "/jobs"
    let names = try! FileManager.default.contentsOfDirectory(atPath: dir).sorted()
    let texts = names.map { try! String(contentsOfFile: dir + "/" + $0, encoding: .utf8) }
    let t0 = now()
    for (n, t) in zip(names, texts) { _ = YAMLValue.parse(t, file: n) }
    print("{\"files\":\(texts.count),\"parse_ms\":\(Double(now() - t0) / 1e6)}")
}

switch CommandLine.arguments.dropFirst().first {
case "parse": benchParse()
case "dag": EngineBench.dag()
case "claims": StoreBench.claims()
case "lag": EngineBench.lag()
case "catch-up": EngineBench.catchUp()
case "history": EngineBench.history()
case "cron": benchCron()
case "calendar": benchCalendar()
case "gen-jobs": generateJobs()
case "validate": benchValidate()
case "zone": benchZone()
case "analytics": AlphaTraderBench.analytics()
case "tape-bars": AlphaTraderBench.tapeBars()
case "discovery": AlphaTraderBench.discovery()
case "av-chain": AlphaVantageBench.chain()
case "av-ratelimit": AlphaVantageBench.rateLimit()
case "av-worker": AlphaVantageBench.worker()
case "orders": OrdersBench.roundTrip()
case "orders-floor": OrdersBench.floor()
case "journal": OrdersBench.journal()
case "broker-load": OrdersBench.load()
case "check-fills": OrdersBench.checkFills()
case "strategies": TradingBench.strategies()
case "risk": TradingBench.risk()
case "signal-wire": TradingBench.signalToWire()
case "posts-render": DistributionBench.render()
case "oauth-sign": DistributionBench.sign()
case "outbox-drain": DistributionBench.drain()
case "evening-report": ReportsBench.eveningReport()
case "backup": ReportsBench.backup()
case "serve-store": ServeBench.generate()
default:
    print(
        "usage: orchestrator-bench cron|calendar|gen-jobs|validate|zone|parse|dag|lag|catch-up|history|analytics|tape-bars|discovery|av-chain|av-ratelimit|orders|orders-floor|journal|broker-load|check-fills|strategies|risk|signal-wire|posts-render|oauth-sign|outbox-drain|evening-report|backup|serve-store [options]  (see Benchmarks/run.sh)"
    )
    exit(2)
}
