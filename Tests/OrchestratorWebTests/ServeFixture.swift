import Foundation
import OrchestratorCore
import OrchestratorRuntime
import OrchestratorWeb
import TestSupport
import Testing

/// A workspace with two jobs and a service, and a store with a day of their runs and real log
/// files: what the page tests serve.
struct ServeFixture {
    let dir: String
    let store: String
    let logs: String
    let workspace: Workspace

    static let zone = ZoneRules.named("America/New_York")!
    static let day = LocalDate(parsing: "2026-12-07")!
    static func at(_ h: Int64, _ m: Int64, on day: LocalDate = day) -> Double { Double(zone.instant(of: day, secondsOfDay: h * 3600 + m * 60)) }

    static func make() throws -> ServeFixture {
        let dir = NSTemporaryDirectory() + "serve-pages-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir + "/jobs", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: dir + "/logs/a", withIntermediateDirectories: true)
        try "database: \(dir)/s.sqlite\nlogs: \(dir)/logs\nmax_parallel: 4\n".write(toFile: dir + "/c.yaml", atomically: true, encoding: .utf8)
        try """
        jobs:
          a:
            description: The first job <of the day>
            command: ["true"]
            schedule: { market: open, offset: 5m }
            env: { API_KEY: "not-for-pages" }
          b:
            command: ["true"]
            depends_on: [a]
            retries: 1
        services:
          feed:
            description: The market data feed
            command: [sleep, "1000"]
            active: { from: { market: open, offset: -30m }, to: { market: close, offset: 15m } }
        """.write(toFile: dir + "/jobs/j.yaml", atomically: true, encoding: .utf8)
        let workspace = try WorkspaceFiles(configPath: dir + "/c.yaml", jobsDirectory: dir + "/jobs").load(environment: [:]).get()
        let store = try SQLiteRunStore(path: dir + "/s.sqlite")
        // a on Friday: failed. a today: succeeded, its log three lines. b today: failed twice.
        let friday = LocalDate(parsing: "2026-12-04")!
        let a0 = try #require(
            try store.claimSlot(
                job: "a", tradingDay: "2026-12-04", scheduledFor: at(9, 35, on: friday), trigger: .schedule, state: .queued, now: at(9, 35, on: friday)))
        _ = try store.startAttempt(run: a0.id!, log: dir + "/logs/a/\(a0.id!).1.log", now: at(9, 35, on: friday))
        _ = try store.recordExit(run: a0.id!, attempt: 1, exitCode: 4, signal: nil, outcome: .failed, now: at(9, 36, on: friday))
        try store.transition(run: a0.id!, to: .failed, now: at(9, 36, on: friday), reason: "exit 4", exitCode: .some(4))
        let a1 = try #require(
            try store.claimSlot(job: "a", tradingDay: "2026-12-07", scheduledFor: at(9, 35), trigger: .schedule, state: .queued, now: at(9, 35)))
        _ = try store.startAttempt(run: a1.id!, log: dir + "/logs/a/\(a1.id!).1.log", now: at(9, 35) + 1)
        try "fetching chains\nAAPL: 412 contracts <ok>\ndone in 2.1s\n".write(toFile: dir + "/logs/a/\(a1.id!).1.log", atomically: true, encoding: .utf8)
        _ = try store.recordExit(run: a1.id!, attempt: 1, exitCode: 0, signal: nil, outcome: .succeeded, now: at(9, 37))
        try store.transition(run: a1.id!, to: .succeeded, now: at(9, 37), reason: "exit 0", exitCode: .some(0))
        let b = try store.createRun(job: "b", tradingDay: "2026-12-07", trigger: .manual, state: .queued, now: at(10, 0), params: ["symbol": "SPY"])
        for n in 1...2 {
            _ = try store.startAttempt(run: b.id!, log: dir + "/logs/b.\(n).log", now: at(10, 0) + Double(n))
            _ = try store.recordExit(run: b.id!, attempt: n, exitCode: 1, signal: nil, outcome: .failed, now: at(10, 0) + Double(n) + 0.5)
            if n == 1 { try store.transition(run: b.id!, to: .retrying, now: at(10, 0) + 1.5, reason: "exit 1") }
        }
        try store.transition(run: b.id!, to: .failed, now: at(10, 0) + 2.5, reason: "exit 1", exitCode: .some(1))
        var status = ServiceStatus()
        status.state = .running
        status.pid = 4242
        status.startedAt = at(9, 0)
        status.starts = 2
        status.health = .init(ok: true, checkedAt: at(9, 40), detail: "lag 0.2s")
        try store.saveServices(
            [ServiceRecord(name: "feed", status: status, now: at(9, 40))], events: [])
        return ServeFixture(dir: dir, store: dir + "/s.sqlite", logs: dir + "/logs", workspace: workspace)
    }

    var web: WebState { WebState(storePath: store, workspace: workspace, logs: logs) }
}

/// Where the executables were built, beside the tests.
enum Built {
    static var directory: String {
        var url = Bundle.main.bundleURL
        if url.pathExtension == "xctest" { url.deleteLastPathComponent() }
        return url.path
    }

    /// Starts `command` through `sh` with only the build directory added to PATH (as the
    /// orchestrator starts a service named by its bare name), waits until `port` answers.
    static func startThroughPath(_ command: String, port: Int) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", "exec " + command]
        var environment = ProcessInfo.processInfo.environment
        environment["PATH"] = directory + ":/usr/bin:/bin"
        p.environment = environment
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline && p.isRunning {
            if let probe = try? RawHTTP(port: port) {
                probe.close()
                return p
            }
            usleep(50_000)
        }
        p.terminate()
        throw POSIXError(.ETIMEDOUT)
    }
}

/// A server executable built beside the tests, started through PATH by its bare name on a free
/// loopback port (`PORT` in the command): its own process, so that a test's blocking reads never
/// starve it, measured from outside through /proc.
final class LiveServer {
    let process: Process
    let port: Int

    init(_ command: String) throws {
        port = try FreePort.pick()
        process = try Built.startThroughPath(command.replacingOccurrences(of: "PORT", with: String(port)), port: port)
    }

    /// Resident memory, in MB.
    var rss: Double {
        let status = (try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return Double(line.split(separator: " ").dropFirst().first ?? "0").map { $0 / 1024 } ?? 0
    }

    var descriptors: Int { (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(process.processIdentifier)/fd").count) ?? 0 }

    func stop() {
        process.terminate()
        process.waitUntilExit()
    }
}

/// HTTP over a plain socket, for what a test client library hides: a stream read as it comes, a
/// client that never reads, thousands of connections dropped.
struct RawHTTP {
    let fd: Int32

    init(port: Int, receiveBuffer: Int32? = nil) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        if var size = receiveBuffer { setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size)) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let ok = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard ok == 0 else {
            Glibc.close(fd)
            throw POSIXError(.ECONNREFUSED)
        }
        var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    func send(_ text: String) {
        _ = text.withCString { write(fd, $0, strlen($0)) }
    }

    func get(_ path: String, headers: String = "") {
        send("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n\(headers)\r\n")
    }

    /// Reads until `done` holds for what was read, or `seconds` pass.
    func read(until done: (String) -> Bool, seconds: Double) -> String {
        var data = [UInt8]()
        let end = Date().addingTimeInterval(seconds)
        var buffer = [UInt8](repeating: 0, count: 65536)
        while Date() < end {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, 65536, 0) }
            if n > 0 { data += buffer[0..<n] } else if n == 0 { break }
            if done(String(decoding: data, as: UTF8.self)) { break }
        }
        return String(decoding: data, as: UTF8.self)
    }

    func close() { _ = Glibc.close(fd) }
}

/// Headless Chromium's DOM of a page after its scripts ran.
enum Chromium {
    static var path: String? { ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) } }

    static func dom(_ url: String, extra: [String] = []) throws -> String {
        let chromium = try #require(path, "chromium is not installed (scripts/install-deps.sh --tests)")
        let profile = NSTemporaryDirectory() + "chromium-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: profile) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: chromium)
        p.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--user-data-dir=" + profile] + extra + ["--dump-dom", url]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        // A page that never settles must not hang the suite.
        let watchdog = DispatchWorkItem { if p.isRunning { kill(p.processIdentifier, SIGKILL) } }
        DispatchQueue.global().asyncAfter(deadline: .now() + 60, execute: watchdog)
        let dom = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        watchdog.cancel()
        return dom
    }
}
