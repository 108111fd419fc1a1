import Foundation
import OrchestratorCore

/// An attempt supervisor started before the attempts it will supervise
/// (`orchestrator-attempt --store DB --ready`): it has already exec'd, started up and opened the
/// store, and waits on a socket for an attempt. Handing it one is a single write, so the job
/// starts a fraction of a millisecond after the engine decides, instead of after a whole
/// supervisor start-up. When the job has ended it reports the outcome on the socket (`Report`)
/// and waits for the next attempt, so one supervisor serves attempt after attempt (one exec per
/// job, not two); the engine commits the report with its decision round, and hands it the next
/// attempt only after that commit. It is still a process of its own in its own session,
/// outliving the engine: if its socket closes with a report not followed by a new attempt (the
/// engine retired it, or died), it writes that outcome to the store itself and exits, so an
/// attempt that ends while the engine is down keeps its true outcome.
final class ReadySupervisor {
    let pid: Int32
    /// Its start time (/proc), recorded with the attempt it is handed so a restarted engine can
    /// tell it from a later process that reuses the pid.
    let start: Int64?
    private var input: Int32

    /// Starts one; nil when it cannot be started (the engine then starts supervisors cold).
    init?(executable: String, databasePath: String, environment: [String: String]) {
        var fds: [Int32] = [0, 0]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &fds) == 0 else { return nil }
        defer { close(fds[1]) }
        do {
            pid = try ProcessControl.spawn(
                [executable, "--store", databasePath, "--ready"], environment: environment,
                logFD: -1, inputFD: fds[1])
        } catch {
            close(fds[0])
            return nil
        }
        input = fds[0]
        start = ProcessControl.startTime(of: pid)
    }

    /// Supervising an attempt handed to it, not yet reported.
    private(set) var busy = false

    /// Idle, it is retired; busy, it is only let go: it records its attempt, finds the socket
    /// closed and exits (never waited for here: the job may run for hours).
    deinit { if busy { abandon() } else { retire() } }

    /// The socket, readable when the attempt handed to it is recorded (or it is gone).
    var descriptor: Int32 { input }

    /// Hands it an attempt. False when it is gone (killed from outside): it is reaped, and the
    /// caller starts a supervisor the usual way.
    func hand(_ attempt: AttemptSupervisor) -> Bool {
        guard input >= 0 else { return false }
        let bytes = attempt.request
        var sent = 0
        let ok = bytes.withUnsafeBytes { buffer -> Bool in
            while sent < buffer.count {
                let n = send(input, buffer.baseAddress! + sent, buffer.count - sent, Int32(MSG_NOSIGNAL))
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return false }
                sent += n
            }
            return true
        }
        busy = ok
        if !ok {
            close(input)
            input = -1
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
        }
        return ok
    }

    /// An attempt's outcome as the supervisor reports it:
    /// `D <outcome> <exit code or -> <signal or -> <finished at> <pid>` and a newline.
    struct Report: Equatable {
        var outcome: AttemptOutcome
        var exitCode: Int?
        var signal: Int?
        /// On the run's clock (simulated under `run-day`).
        var finishedAt: Double
        /// The job's; nil when it could not be started.
        var pid: Int32?
    }

    /// Bytes of a report not complete yet.
    private var pending: [UInt8] = []

    /// The report of the attempt handed to it, if it came (without waiting). A closed socket,
    /// or a line that is not a report, is none: the process ended (or is not ours to trust),
    /// and the caller reaps it and reads the store.
    func takeReport() -> Report? {
        guard input >= 0 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 256)
        let n = recv(input, &buffer, buffer.count, Int32(MSG_DONTWAIT))
        guard n > 0 else { return nil }
        pending += buffer[0..<n]
        guard let end = pending.firstIndex(of: UInt8(ascii: "\n")) else { return nil }
        let line = String(decoding: pending[..<end], as: UTF8.self)
        pending.removeSubrange(...end)
        guard let report = Report(line: line[...]) else { return nil }
        busy = false
        return report
    }

    /// Gone with its attempt (it exited instead of reporting): the socket closes, nothing more.
    func abandon() {
        guard input >= 0 else { return }
        close(input)
        input = -1
    }

    /// Idle: its socket closes, it exits, it is reaped.
    func retire() {
        guard input >= 0 else { return }
        close(input)
        input = -1
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    }
}

extension ReadySupervisor.Report {
    /// Parses one report line (without its newline); nil when it is not one.
    init?(line: Substring) {
        let f = line.split(separator: " ", omittingEmptySubsequences: false)
        guard f.count == 6, f[0] == "D", let outcome = AttemptOutcome(rawValue: String(f[1])), outcome != .running,
            let finished = Double(f[4]), finished.isFinite, let pid = Int32(f[5])
        else { return nil }
        func number(_ s: Substring) -> Int?? { s == "-" ? .some(nil) : Int(s).map { .some($0) } }
        guard let code = number(f[2]), let signal = number(f[3]) else { return nil }
        self.init(outcome: outcome, exitCode: code, signal: signal, finishedAt: finished, pid: pid > 0 ? pid : nil)
    }
}
