/// One service as its supervisor sees it: a value, changed only by `ServiceBoard`.
public struct ServiceStatus: Hashable, Sendable {
    /// SPEC §5's service states, plus `stopping` while a stop is under way.
    public enum State: String, Hashable, Sendable, CaseIterable {
        case stopped, starting, running, unhealthy, backoff, failed, inactive, stopping
    }

    /// Why a service is being stopped.
    public enum StopReason: String, Hashable, Sendable {
        case windowClosed = "its window closed"
        case shutdown = "the orchestrator is stopping"
        case unhealthy = "unhealthy"
        case restart = "restart requested"
    }

    public struct Exit: Hashable, Sendable, CustomStringConvertible {
        public var code: Int?
        public var signal: Int?
        public var at: Double

        public init(code: Int?, signal: Int?, at: Double) {
            self.code = code
            self.signal = signal
            self.at = at
        }

        public var isFailure: Bool { signal != nil || code != 0 }
        public var description: String {
            if let signal { return "killed by signal \(signal)" }
            if let code { return "exit \(code)" }
            return "exit status unknown"
        }
    }

    public struct Health: Hashable, Sendable {
        public var ok: Bool
        public var checkedAt: Double
        public var detail: String

        public init(ok: Bool, checkedAt: Double, detail: String) {
            self.ok = ok
            self.checkedAt = checkedAt
            self.detail = detail
        }
    }

    public var state: State = .stopped
    public var pid: Int32?
    public var startedAt: Double?
    /// The activation (window start, or `ServiceWindow.always`) these counters belong to; nil
    /// when none has begun.
    public var activation: Int64?
    /// The run that records this activation's starts as attempts.
    public var runId: Int64?
    /// Starts in this activation (restarts = starts − 1).
    public var starts = 0
    public var consecutiveFailures = 0
    /// Unplanned exits inside the start-limit interval.
    public var recentFailures: [Double] = []
    public var nextStartAt: Double?
    public var lastExit: Exit?
    public var health: Health?
    public var failedChecks = 0
    public var checkInFlight = false
    public var stopping: StopReason?
    public var killAt: Double?
    public var killed = false
    /// This activation is over for good (start limit, restart policy): no start until the next.
    public var done = false
    /// A short reason for the last change, for `status` and the event log.
    public var reason: String?

    public init() {}

    /// Forgets a stop in progress and a check in flight: the process it was about is gone or new.
    public mutating func clearStop() {
        stopping = nil
        killAt = nil
        killed = false
        checkInFlight = false
    }

    public var restarts: Int { max(0, starts - 1) }
    public var isAlive: Bool { pid != nil }
    /// Running and healthy: what `depends_on` a service waits for.
    public var isUp: Bool { state == .running }
}
