import Foundation

/// An attempt supervisor started before the attempt it will supervise
/// (`orchestrator-attempt --store DB --ready`): it has already exec'd, started up and opened the
/// store, and waits on a socket for the attempt. Handing it one is a single write, so the job
/// starts a fraction of a millisecond after the engine decides, instead of after a whole
/// supervisor start-up. It is still a process of its own in its own session, outliving the
/// engine, and records the outcome itself: nothing about the durability design changes.
/// Closing its socket unused (or the engine dying) makes it exit at once.
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

    deinit { retire() }

    /// Hands it the attempt and lets it go. False when it is gone (killed from outside): it is
    /// reaped, and the caller starts a supervisor the usual way.
    func hand(_ attempt: AttemptSupervisor) -> Bool {
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
        close(input)
        input = -1
        if !ok {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
        }
        return ok
    }

    /// Unused: its socket closes, it exits, it is reaped.
    func retire() {
        guard input >= 0 else { return }
        close(input)
        input = -1
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    }
}
