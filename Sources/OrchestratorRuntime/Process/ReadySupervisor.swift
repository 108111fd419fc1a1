import Foundation

/// An attempt supervisor started before the attempts it will supervise
/// (`orchestrator-attempt --store DB --ready`): it has already exec'd, started up and opened the
/// store, and waits on a socket for an attempt. Handing it one is a single write, so the job
/// starts a fraction of a millisecond after the engine decides, instead of after a whole
/// supervisor start-up. When it has recorded the outcome it writes one byte back and waits for
/// the next attempt, so one supervisor serves attempt after attempt (one exec per job, not two).
/// It is still a process of its own in its own session, outliving the engine, and records each
/// outcome itself: nothing about the durability design changes. Its socket closing (the engine
/// retiring it, or dying) makes it exit once its attempt, if any, is recorded.
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
            pid = try ProcessControl.spawn([executable, "--store", databasePath, "--ready"], environment: environment,
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

    /// Whether it reported the attempt handed to it as recorded (without waiting). A closed
    /// socket is not a report: the process ended, and the caller reaps it.
    func takeDone() -> Bool {
        guard input >= 0 else { return false }
        var byte: UInt8 = 0
        let n = recv(input, &byte, 1, Int32(MSG_DONTWAIT))
        guard n == 1 && byte == UInt8(ascii: "D") else { return false }
        busy = false
        return true
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
