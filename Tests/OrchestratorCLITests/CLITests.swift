import Foundation
import Testing

/// The `orchestrator` executable as a user runs it: real processes, real files, exit statuses.
@Suite("orchestrator command line")
struct CLITests {
    struct Output {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// The executable built next to this test bundle.
    static let binary: String = {
        var url = Bundle.main.bundleURL
        if url.pathExtension == "xctest" { url.deleteLastPathComponent() }
        let candidates = [
            url.appendingPathComponent("orchestrator").path,
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("orchestrator").path,
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates[0]
    }()

    func run(_ arguments: [String], in directory: String = CLITests.root, environment: [String: String] = [:]) throws -> Output {
        let process = Process()
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.executableURL = URL(fileURLWithPath: CLITests.binary)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Output(
            status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
            stderr: String(decoding: stderr, as: UTF8.self))
    }

    /// Whether a process is gone, or a zombie waiting for a PID 1 that does not reap (as in
    /// some containers): either way nothing of it runs.
    static func gone(_ pid: Int32) -> Bool {
        let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        let state = stat.flatMap { $0.split(separator: ")").last?.split(separator: " ").first }
        return stat == nil || state == "Z"
    }

    /// Starts the executable without waiting for it (stdout discarded, stderr to a file if given).
    func start(_ arguments: [String], environment: [String: String] = [:], stderrPath: String? = nil) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: CLITests.binary)
        p.arguments = arguments
        p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        p.standardOutput = FileHandle.nullDevice
        if let stderrPath {
            _ = FileManager.default.createFile(atPath: stderrPath, contents: nil)
            p.standardError = FileHandle(forWritingAtPath: stderrPath)
        }
        try p.run()
        return p
    }

    /// A fresh directory with a configuration that keeps its store and logs inside, and one job
    /// file (`DIR` in it stands for the directory); returns the directory and the options that
    /// point the executable at them.
    static func workspace(_ jobs: String) throws -> (dir: String, args: [String]) {
        let dir = try CLITests().scratch([:])
        try CLITests().scratch(
            [
                "c.yaml": "database: \(dir)/s.sqlite\nlogs: \(dir)/logs\nmax_parallel: 4\n",
                "jobs/j.yaml": jobs.replacingOccurrences(of: "DIR", with: dir),
            ], in: dir)
        return (dir, ["--config", dir + "/c.yaml", "--jobs", dir + "/jobs"])
    }

    /// Writes files (paths relative to the directory) into a new temporary directory, or `in` one.
    @discardableResult
    func scratch(_ files: [String: String], in existing: String? = nil) throws -> String {
        let dir = existing ?? FileManager.default.temporaryDirectory.appendingPathComponent("orch-cli-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for (path, text) in files {
            let full = dir + "/" + path
            try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try text.write(toFile: full, atomically: true, encoding: .utf8)
        }
        return dir
    }

    @Test("validate on the committed AlphaTrader day prints the counts and exits 0")
    func validateOK() throws {
        let r = try run(["validate"])
        #expect(r.status == 0)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first == "12 jobs, 7 services: ok")
        #expect(!lines.contains("not yet available in this build (declared, never scheduled):"), "every job of the day runs")
        #expect(!lines.contains { $0.contains("market-open") || $0.contains("execution") || $0.contains(" moc") })
        #expect(
            !lines.contains { $0.contains("morning-analysis") || $0.contains("morning-post") },
            "the morning analysis runs (by rules without a key) and is posted")
        #expect(lines.count == 1)
    }

    @Test("validate prints every problem as FILE:LINE:COL: error: MESSAGE and exits 2")
    func validateErrors() throws {
        let dir = try scratch([
            "config/config.yaml": "timezone: America/New_York\n",
            "jobs/a.yaml": "jobs:\n  a:\n    command: [true]\n    schedule: { cron: \"0 17 * * 1-9\" }\n    depends_on: [nope]\n",
            "jobs/b.yaml": "jobs: [not, a, mapping\n",
        ])
        let r = try run(["validate"], in: dir)
        #expect(r.status == 2)
        let lines = r.stderr.split(separator: "\n").map(String.init)
        #expect(lines.contains("jobs/a.yaml:4:33: error: day of week field \"1-9\": 9 is out of range 0-7"))
        #expect(lines.contains("jobs/a.yaml:5:18: error: \"a\" depends on unknown job or service \"nope\""))
        #expect(lines.contains { $0.hasPrefix("jobs/b.yaml:2:1: error: not valid YAML") })
        #expect(lines.last == "3 errors")
        let json = try run(["validate", "--json"], in: dir)
        #expect(json.status == 2)
        let doc = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        #expect(doc?["ok"] as? Bool == false)
        #expect((doc?["errors"] as? [[String: Any]])?.count == 3)
    }

    @Test("an unset ${VAR} in the configuration is invalid input naming the variable")
    func unsetVariable() throws {
        let dir = try scratch(["config/config.yaml": "redis:\n  url: ${NO_SUCH_REDIS_URL}\n", "jobs/.keep": ""])
        let r = try run(["validate"], in: dir)
        #expect(r.status == 2)
        #expect(r.stderr.contains("config/config.yaml:2:8: error: environment variable NO_SUCH_REDIS_URL is not set"))
    }

    @Test("--config and --jobs point elsewhere, before or after the subcommand")
    func overrides() throws {
        let dir = try scratch(["c.yaml": "max_parallel: 2\n", "j/x.yaml": "jobs:\n  x: { command: [true] }\n"])
        let r = try run(["validate", "--config", dir + "/c.yaml", "--jobs", dir + "/j"])
        #expect(r.status == 0 && r.stdout == "1 job, 0 services: ok\n")
        let before = try run(["--config", dir + "/c.yaml", "--jobs", dir + "/j", "validate"])
        #expect(before.status == 0 && before.stdout == "1 job, 0 services: ok\n")
        let missing = try run(["validate", "--config", dir + "/nope.yaml"])
        #expect(missing.status == 2 && missing.stderr.contains("nope.yaml:1:1: error: configuration file does not exist"))
    }

    @Test("plan --date 2026-11-27 shows the early close: moc 12:50, evening-report 13:30, discovery to 12:45")
    func planEarlyClose() throws {
        let r = try run(["plan", "--date", "2026-11-27"])
        #expect(r.status == 0)
        let lines = r.stdout.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }
        #expect(lines.contains { $0.starts(with: ["12:50", "moc", "market", "close", "-10m"]) })
        #expect(lines.contains { $0.starts(with: ["13:30", "evening-report", "market", "close", "+30m"]) })
        let discovery = lines.filter { $0.count > 1 && $0[1] == "parameter-discovery" }.map { $0[0] }
        #expect(discovery.first == "09:30" && discovery.last == "12:45")
        #expect(r.stdout.contains("early close"))
    }

    @Test("plan --json has the shape of SPEC §5, with null times for `after X`")
    func planJSON() throws {
        let r = try run(["plan", "--date", "2026-11-27", "--json"])
        #expect(r.status == 0)
        let items = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]])
        let moc = try #require(items.first { $0["job"] as? String == "moc" })
        #expect(moc["time"] as? String == "2026-11-27T17:50:00Z")
        #expect(moc["reason"] as? String == "market close -10m")
        let post = try #require(items.first { $0["job"] as? String == "morning-post" })
        #expect(post["time"] is NSNull)
        #expect(post["reason"] as? String == "after morning-analysis")
        #expect(post["upstreams"] as? [String] == ["morning-analysis"])
    }

    @Test("calendar --json lists sessions in UTC; out of range exits 2")
    func calendar() throws {
        let r = try run(["calendar", "--from", "2026-11-26", "--to", "2026-11-27", "--json"])
        #expect(r.status == 0)
        let items = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: String]])
        #expect(items == [["date": "2026-11-27", "open": "2026-11-27T14:30:00Z", "close": "2026-11-27T18:00:00Z"]])
        let human = try run(["calendar", "--from", "2026-11-26", "--to", "2026-11-27"])
        #expect(human.stdout.contains("closed: Thanksgiving Day"))
        let out = try run(["calendar", "--from", "2035-12-30", "--to", "2036-01-05"])
        #expect(out.status == 2 && out.stderr.contains("2036-01-01 is outside that range"))
        let bad = try run(["calendar", "--from", "2026-13-01"])
        #expect(bad.status == 2 && bad.stderr.contains("--from \"2026-13-01\" is not a date"))
    }

    @Test("cron prints local times with offsets; bad input exits 2 with a caret at the field")
    func cron() throws {
        let r = try run(["cron", "30 2 * * *", "--tz", "America/New_York", "--after", "2026-03-07T12:00:00Z", "--count", "2"])
        #expect(r.status == 0)
        #expect(r.stdout == "2026-03-08T03:00:00-04:00\n2026-03-09T02:30:00-04:00\n")
        let json = try run(["cron", "@daily", "--tz", "Europe/London", "--after", "2026-11-25T09:00:00+01:00", "--count", "1", "--json"])
        #expect(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String] == ["2026-11-26T00:00:00+00:00"])
        let bad = try run(["cron", "0 0 * * 9"])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("day of week field \"9\": 9 is out of range 0-7\n  0 0 * * 9\n          ^"))
        #expect(try run(["cron", "0 0 30 2 *"]).status == 2)
        #expect(try run(["cron", "0 0 * * *", "--tz", "Nowhere/Land"]).status == 2)
        #expect(try run(["cron", "0 0 * * *", "--after", "yesterday"]).status == 2)
    }

    @Test("usage errors exit 2, --help exits 0 with an example")
    func usage() throws {
        let unknown = try run(["plan", "--dat", "2026-11-27"])
        #expect(unknown.status == 2)
        let help = try run(["plan", "--help"])
        #expect(help.status == 0 && help.stdout.contains("orchestrator plan --date 2026-11-27"))
        #expect(try run(["frobnicate"]).status == 2)
    }

    @Test("ORCHESTRATOR_CLOCK sets today and now for plan and cron; a malformed one exits 2")
    func simulatedClock() throws {
        let clock = ["ORCHESTRATOR_CLOCK": "sim=2026-11-27T15:00:00Z;real=\(Date().timeIntervalSince1970);speed=1"]
        let plan = try run(["plan"], environment: clock)
        #expect(plan.status == 0 && plan.stdout.hasPrefix("plan for Friday 2026-11-27"))
        let cron = try run(["cron", "0 17 * * *", "--tz", "America/New_York", "--count", "1"], environment: clock)
        #expect(cron.stdout == "2026-11-27T17:00:00-05:00\n")
        let bad = try run(["plan"], environment: ["ORCHESTRATOR_CLOCK": "tomorrow"])
        #expect(bad.status == 2 && bad.stderr.contains("ORCHESTRATOR_CLOCK=\"tomorrow\""))
    }
}
