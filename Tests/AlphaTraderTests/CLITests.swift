import Foundation
import Testing

/// `alphatrader` as a process: exit statuses and error lines.
@Suite("alphatrader on the command line")
struct AlphaTraderCLITests {
    static var binary: String {
        var url = Bundle.main.bundleURL
        while !FileManager.default.fileExists(atPath: url.appendingPathComponent("alphatrader").path) && url.path != "/" {
            url = url.deletingLastPathComponent()
        }
        return url.appendingPathComponent("alphatrader").path
    }

    func run(
        _ arguments: [String], environment: [String: String] = [:], in directory: String = repositoryRoot
    ) throws
        -> (status: Int32, stdout: String, stderr: String)
    {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: AlphaTraderCLITests.binary)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    @Test("a damaged tape is invalid input: exit 2, the byte offset named, nothing ingested")
    func damagedTape() throws {
        let (path, _) = try TestTape.write(minutes: 1)
        defer { try? FileManager.default.removeItem(atPath: path) }
        var bytes = [UInt8](FileManager.default.contents(atPath: path)!)
        bytes.removeLast(1_000)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        // No Redis is needed: the tape is refused before anything connects.
        let r = try run(["ingest", "--source", "replay", "--tape", path], environment: ["REDIS_URL": "redis://127.0.0.1:1/0"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("alphatrader: error: tape \(path): at byte") && r.stderr.contains("truncated"), "\(r.stderr)")
    }

    @Test(
        "replay-gen refuses a closed day and a malformed date with exit 2",
        arguments: [
            (["replay-gen", "--date", "2026-11-26"], "Thanksgiving"), (["replay-gen", "--date", "26/11/2026"], "expected YYYY-MM-DD"),
            (["replay-gen", "--date", "2026-11-25", "--from", "25:00"], "--from 25:00: expected HH:MM"),
        ])
    func badDates(_ arguments: [String], _ expected: String) throws {
        let r = try run(arguments + ["--out", "/tmp/never-written.tape"])
        #expect(r.status == 2)
        #expect(r.stderr.contains(expected), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "/tmp/never-written.tape"))
    }

    @Test("discover with Redis down fails with exit 1 and says so")
    func discoverRedisDown() throws {
        let r = try run(["discover", "--out", "/tmp/never-discovered.yaml"], environment: ["REDIS_URL": "redis://127.0.0.1:1/0"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("redis 127.0.0.1:1"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "/tmp/never-discovered.yaml"))
    }

    @Test("evening-report refuses a day that is not a session and a bad date with exit 2")
    func eveningReportBadInput() throws {
        let weekend = try run(["evening-report", "--date", "2026-12-05"])
        #expect(weekend.status == 2 && weekend.stderr.contains("not a trading day"), "\(weekend.stderr)")
        #expect(try run(["evening-report", "--date", "12/07/2026"]).status == 2)
        #expect(try run(["evening-report", "--capital", "-5"]).status == 2)
    }
}

/// The repository's root (the tests run the committed config/).
let repositoryRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    while !FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { url = url.deletingLastPathComponent() }
    return url.path
}()
