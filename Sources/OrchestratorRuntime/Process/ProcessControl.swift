import CSpawn
import Foundation
import OrchestratorCore

/// Spawning, waiting and signalling real processes: the thin layer over posix_spawn, pidfd and
/// killpg that the attempt supervisor and the engine share.
public enum ProcessControl {
    public struct SpawnError: Error, CustomStringConvertible, Sendable {
        public let program: String
        public let errno: Int32
        public var description: String { "cannot start \(program): \(String(cString: strerror(errno)))" }
    }

    /// Starts a program in a new session (its pid is its process-group id), stdin from
    /// /dev/null (or `inputFD`), stdout and stderr appended to `logFD` (or inherited when -1). A program name
    /// without a slash is looked up in `PATH` of `environment`.
    public static func spawn(_ argv: [String], environment: [String: String], logFD: Int32, inputFD: Int32 = -1) throws(SpawnError) -> Int32 {
        precondition(!argv.isEmpty)
        let env = environment.map { "\($0.key)=\($0.value)" }
        var cArgs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        var cEnv: [UnsafeMutablePointer<CChar>?] = env.map { strdup($0) } + [nil]
        defer {
            cArgs.forEach { free($0) }
            cEnv.forEach { free($0) }
        }
        var pid: pid_t = 0
        let program = argv[0]
        // posix_spawnp searches the PATH of the *current* process; resolve against the child's.
        var path = program
        if !program.contains("/") {
            path = resolve(program, path: environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin") ?? program
        }
        let rc = cspawn_session_input(&pid, path, &cArgs, &cEnv, inputFD, logFD, 0)
        guard rc == 0 else { throw SpawnError(program: program, errno: rc) }
        return pid
    }

    /// Puts every thread of `pid` under `scheduling` (`cpu_scheduling:`). Nil when done, else
    /// why not, in words for the service's log and events (the process keeps running under the
    /// policy it inherited: a service is not refused a start for a priority it could not get).
    static func apply(_ scheduling: CPUScheduling, to pid: Int32) -> String? {
        let rc = cspawn_set_scheduling(
            pid, scheduling.policy.kernelValue, Int32(scheduling.priority ?? 0), scheduling.resetOnFork ? 1 : 0,
            scheduling.nice == nil ? 0 : 1, Int32(scheduling.nice ?? 0))
        guard rc != 0 else { return nil }
        var why = String(cString: strerror(rc))
        if rc == EPERM {
            why +=
                scheduling.policy.isRealTime
                ? " (a real-time policy needs root, CAP_SYS_NICE or an RLIMIT_RTPRIO of at least \(scheduling.priority ?? 1))"
                : " (a lower nice value needs root, CAP_SYS_NICE or RLIMIT_NICE)"
        }
        return "cpu_scheduling \(scheduling) not applied: \(why); running under the orchestrator's own policy"
    }

    /// A child's environment: `base` with `extra` over it, and the directory of our own
    /// executables (alphatrader next to orchestrator) first on PATH.
    public static func environment(_ base: [String: String], adding extra: [String: String], nextTo executable: String) -> [String: String] {
        var env = base
        for (k, v) in extra { env[k] = v }
        env["PATH"] = (executable as NSString).deletingLastPathComponent + ":" + (env["PATH"] ?? "/usr/local/bin:/usr/bin:/bin")
        return env
    }

    static func resolve(_ name: String, path: String) -> String? {
        for dir in path.split(separator: ":") where !dir.isEmpty {
            let candidate = "\(dir)/\(name)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }

    /// How a process ended.
    public enum Exit: Equatable, Sendable {
        case code(Int)
        case signal(Int)
    }

    public static func decode(_ status: Int32) -> Exit {
        var code: Int32 = 0
        switch cspawn_decode(status, &code) {
        case 1: return .code(Int(code))
        case 2: return .signal(Int(code))
        default: return .code(-1)
        }
    }

    /// A pollable descriptor for a process's exit (any process, not only children).
    public static func pidfd(_ pid: Int32) -> Int32 { cspawn_pidfd_open(pid) }

    /// Waits for any of several descriptors (none: just sleeps), to the nanosecond, so that
    /// a slot is not started up to a millisecond late; returns the indexes that are readable.
    public static func waitAny(_ fds: [Int32], timeout: Double?) -> [Int] {
        var pfds = fds.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
        let rc = pfds.withUnsafeMutableBufferPointer { buffer in
            cspawn_poll(buffer.baseAddress, UInt(buffer.count), timeout.map { max(0, min($0, 86_400)) } ?? -1)
        }
        guard rc > 0 else { return [] }
        return pfds.indices.filter { pfds[$0].revents != 0 }
    }

    /// Reaps a child that has ended; nil if it has not (or is not our child).
    public static func reap(_ pid: Int32) -> Exit? {
        var status: Int32 = 0
        let rc = waitpid(pid, &status, WNOHANG)
        return rc == pid ? decode(status) : nil
    }

    /// Signals a whole process group; false when nothing was left (ESRCH).
    @discardableResult
    public static func signalGroup(_ pgid: Int32, _ signal: Int32) -> Bool {
        killpg(pgid, signal) == 0
    }

    /// The process's start time in clock ticks since boot (/proc/PID/stat field 22), which
    /// tells a live process from a later one that reused its pid.
    public static func startTime(of pid: Int32) -> Int64? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = text.lastIndex(of: ")")
        else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // After the command come field 3 (state) onwards: field 22 is at index 19.
        guard fields.count > 19 else { return nil }
        return Int64(fields[19])
    }

    /// True when `pid` is alive and is the same process that started at `start`.
    public static func isAlive(_ pid: Int32, start: Int64?) -> Bool {
        guard kill(pid, 0) == 0 || errno == EPERM else { return false }
        guard let start else { return true }
        return startTime(of: pid) == start
    }

    public static func catchStopSignals() { cspawn_catch_stop_signals() }
    public static var stopRequested: Bool { cspawn_stop_requested() != 0 }

    /// This executable's path, to start the attempt supervisor.
    public static var executablePath: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    /// An executable built beside this one (`orchestrator-web` beside `orchestrator`), found by
    /// this process's own path — not argv[0], which is a bare name when started through PATH.
    public static func sibling(_ name: String) -> String {
        URL(fileURLWithPath: executablePath).resolvingSymlinksInPath().deletingLastPathComponent().appendingPathComponent(name).path
    }
}
