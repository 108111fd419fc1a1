import Foundation

/// SIGTERM and SIGINT as a flag the loops poll: a service stops at its next iteration, after
/// flushing what it has.
public enum StopSignal {
    nonisolated(unsafe) static let flag: UnsafeMutablePointer<sig_atomic_t> = {
        let p = UnsafeMutablePointer<sig_atomic_t>.allocate(capacity: 1)
        p.pointee = 0
        return p
    }()

    public static func install() {
        _ = flag
        // A parent may start us with these blocked (the mask is inherited through exec): a
        // service that never sees SIGTERM cannot stop cleanly.
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGTERM)
        sigaddset(&set, SIGINT)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
        signal(SIGTERM) { _ in StopSignal.flag.pointee = 1 }
        signal(SIGINT) { _ in StopSignal.flag.pointee = 1 }
        signal(SIGPIPE, SIG_IGN)
    }

    public static var requested: Bool { flag.pointee != 0 }
}
