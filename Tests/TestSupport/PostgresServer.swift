import Foundation

/// A real PostgreSQL (Debian's `postgresql`, 15 here) for one test: a fresh cluster from `initdb`
/// in a temporary directory, on a free loopback port, its socket in that directory — run as the
/// unprivileged `postgres` user when the tests run as root (PostgreSQL refuses root), as the
/// current user otherwise. Trust authentication on loopback only; `fsync` off (a test's data is
/// thrown away, and only the machine's crash loses what fsync keeps) but every commit written
/// before it is acknowledged, so that a crash of the server (`restart`) loses nothing committed. Stopped in immediate mode and removed by `stop()`.
public final class PostgresServer: @unchecked Sendable {
    public let port: Int
    public let directory: String
    /// The database and role the tests use.
    public let database = "orchestrator"
    public let user = "orchestrator"
    let bin: String
    private var server: Process?
    private let tiedToThread: Bool

    public var url: String { "postgres://\(user)@127.0.0.1:\(port)/\(database)" }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// The newest server binaries installed (`/usr/lib/postgresql/N/bin`).
    public static var binDirectory: String? {
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).compactMap(Int.init).sorted()
        return versions.last.map { "\(root)/\($0)/bin" }.flatMap { FileManager.default.isExecutableFile(atPath: $0 + "/initdb") ? $0 : nil }
    }

    /// `tiedToThread`: the server is killed when the thread that starts it ends (setpriv's
    /// --pdeathsig, root only) — for `shared()`, whose thread lives as long as the process.
    public init(tiedToThread: Bool = false) throws {
        self.tiedToThread = tiedToThread
        guard let bin = Self.binDirectory else {
            throw Failure(description: "PostgreSQL's server is not installed (scripts/install-deps.sh --tests installs Debian's postgresql)")
        }
        self.bin = bin
        port = try FreePort.pick()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("pg-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        if getuid() == 0 {
            guard let owner = getpwnam("postgres") else { throw Failure(description: "running as root, and there is no postgres user to run PostgreSQL as") }
            chown(directory, owner.pointee.pw_uid, owner.pointee.pw_gid)
        }
        try run(bin + "/initdb", ["-D", directory + "/data", "-U", user, "--auth=trust", "-E", "UTF8", "--no-sync", "--no-instructions"])
        try startServer()
        try run(bin + "/createdb", ["-h", "127.0.0.1", "-p", String(port), "-U", user, database])
    }

    /// Starts the server on this cluster and port, and waits until it accepts connections.
    private func startServer() throws {
        // The server as this process's own child (not through pg_ctl, whose daemonized server
        // would inherit what Foundation watches for a child's end): as the postgres user by
        // setpriv, which execs rather than forks, so that signals reach the server itself.
        let server = Process()
        let command = [
            bin + "/postgres", "-D", directory + "/data", "-p", String(port), "-k", directory, "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off",
            "-c", "full_page_writes=off",
        ]
        if getuid() == 0 {
            server.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
            // --pdeathsig fires when the *thread* that started the server ends: only for a server
            // started on a thread that lives as long as the process (`shared()`).
            server.arguments = ["--reuid=postgres", "--regid=postgres", "--init-groups"] + (tiedToThread ? ["--pdeathsig", "KILL"] : []) + ["--"] + command
        } else {
            server.executableURL = URL(fileURLWithPath: command[0])
            server.arguments = Array(command.dropFirst())
        }
        FileManager.default.createFile(atPath: directory + "/log", contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: directory + "/log"))
        server.standardOutput = log
        server.standardError = log
        server.standardInput = FileHandle.nullDevice
        try server.run()
        self.server = server
        let deadline = Date().addingTimeInterval(30)
        while !FreePort.accepts(port) {
            guard Date() < deadline, server.isRunning else {
                throw Failure(
                    description: "PostgreSQL did not start on port \(port): \((try? String(contentsOfFile: directory + "/log", encoding: .utf8)) ?? "")")
            }
            usleep(50_000)
        }
    }

    /// Restarts the server as a crash would: SIGQUIT (immediate shutdown, no checkpoint), then the
    /// same cluster started again on the same port after `down` seconds; connections are cut.
    public func restart(down: Double = 0) throws {
        if let server, server.isRunning {
            kill(server.processIdentifier, SIGQUIT)
            server.waitUntilExit()
        }
        if down > 0 { usleep(UInt32(down * 1_000_000)) }
        try startServer()
    }

    /// Runs a PostgreSQL program, as the postgres user when this process is root. Its output
    /// goes to a file, not a pipe: `pg_ctl start` leaves the server holding what it inherited,
    /// and a pipe would then never reach its end.
    @discardableResult
    func run(_ program: String, _ arguments: [String], input: String? = nil) throws -> String {
        let p = process(program, arguments)
        let outputPath = directory + "/out-\(UUID().uuidString)"
        FileManager.default.createFile(atPath: outputPath, contents: nil)
        if getuid() == 0, let owner = getpwnam("postgres") { chown(outputPath, owner.pointee.pw_uid, owner.pointee.pw_gid) }
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
        let stdin = Pipe()
        p.standardOutput = output
        p.standardError = output
        p.standardInput = stdin
        try p.run()
        if let input { stdin.fileHandleForWriting.write(Data(input.utf8)) }
        try stdin.fileHandleForWriting.close()
        p.waitUntilExit()
        try output.close()
        let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        guard p.terminationStatus == 0 else {
            throw Failure(description: "\((program as NSString).lastPathComponent) exited \(p.terminationStatus): \(text.suffix(600))")
        }
        return text
    }

    func process(_ program: String, _ arguments: [String]) -> Process {
        let p = Process()
        if getuid() == 0 {
            p.executableURL = URL(fileURLWithPath: "/usr/sbin/runuser")
            p.arguments = ["-u", "postgres", "--", program] + arguments
        } else {
            p.executableURL = URL(fileURLWithPath: program)
            p.arguments = arguments
        }
        p.currentDirectoryURL = URL(fileURLWithPath: directory)
        return p
    }

    var psqlArguments: [String] {
        ["-h", "127.0.0.1", "-p", String(port), "-U", user, "-d", database, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1"]
    }

    /// A psql session kept open: statements sent one batch at a time, its output read up to a
    /// marker (`\echo MARK`) — for transactions held open across another session's work.
    public final class Session: @unchecked Sendable {
        let process: Process
        let input: FileHandle
        let output: FileHandle
        var buffer = Data()

        init(_ process: Process) throws {
            self.process = process
            let stdin = Pipe(), stdout = Pipe()
            process.standardInput = stdin
            process.standardOutput = stdout
            process.standardError = stdout
            try process.run()
            input = stdin.fileHandleForWriting
            output = stdout.fileHandleForReading
        }

        /// Sends SQL, then waits for `\echo mark`'s line; returns what came before it.
        public func send(_ sql: String, mark: String = "done") -> String {
            input.write(Data((sql + "\n\\echo \(mark)\n").utf8))
            while true {
                if let range = buffer.range(of: Data((mark + "\n").utf8)) {
                    let text = String(decoding: buffer[..<range.lowerBound], as: UTF8.self)
                    buffer.removeSubrange(..<range.upperBound)
                    return text
                }
                let more = output.availableData
                if more.isEmpty { return String(decoding: buffer, as: UTF8.self) }
                buffer += more
            }
        }

        public func close() {
            try? input.close()
            process.waitUntilExit()
        }
    }

    /// A session on `database` (a name, or an address from `newDatabase`), the server's own by default.
    public func session(database: String? = nil) throws -> Session {
        var arguments = psqlArguments
        if let database, let d = arguments.firstIndex(of: "-d") { arguments[d + 1] = String(database.split(separator: "/").last!) }
        return try Session(process(bin + "/psql", arguments))
    }

    /// `psql` with SQL on its standard input, stopping at the first error; the rows unaligned,
    /// tuples only, `|` between columns.
    @discardableResult
    public func psql(_ sql: String) throws -> String {
        try run(bin + "/psql", psqlArguments, input: sql)
    }

    /// One server for a whole test process, started on first use and stopped at its exit: each
    /// test takes a database of its own (`newDatabase`) instead of a cluster (initdb costs
    /// seconds on a loaded machine).
    public static func shared() throws -> PostgresServer {
        try sharedLock.withLock {
            if let server = sharedServer { return server }
            // Started on a thread that never ends, with --pdeathsig: the server goes with this
            // process however it ends (atexit does not run when the test runner exits abruptly).
            final class Box: @unchecked Sendable { var result: Result<PostgresServer, any Error>? }
            let box = Box()
            let started = DispatchSemaphore(value: 0)
            Thread {
                box.result = Result { try PostgresServer(tiedToThread: true) }
                started.signal()
                while true { sleep(3600) }
            }.start()
            started.wait()
            let server = try box.result!.get()
            sharedServer = server
            atexit { PostgresServer.sharedLock.withLock { PostgresServer.sharedServer?.stop() } }
            return server
        }
    }

    private static let sharedLock = NSLock()
    nonisolated(unsafe) private static var sharedServer: PostgresServer?

    /// A new empty database on this server, owned by the tests' role; its address.
    public func newDatabase() throws -> String {
        let name = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased()
        try psql("CREATE DATABASE \(name);")
        return "postgres://\(user)@127.0.0.1:\(port)/\(name)"
    }

    /// Immediate shutdown (SIGQUIT), then the directory removed.
    public func stop() {
        if let server, server.isRunning {
            kill(server.processIdentifier, SIGQUIT)
            server.waitUntilExit()
        }
        server = nil
        try? FileManager.default.removeItem(atPath: directory)
    }

    deinit { stop() }
}
