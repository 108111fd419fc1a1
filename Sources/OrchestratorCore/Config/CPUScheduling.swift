/// How the kernel schedules a service's process (`cpu_scheduling:`), systemd's
/// `CPUSchedulingPolicy=`, `CPUSchedulingPriority=`, `CPUSchedulingResetOnFork=` and `Nice=` in
/// one place:
///
///     cpu_scheduling: { policy: fifo, priority: 10, reset_on_fork: true }
///     cpu_scheduling: { policy: batch, nice: 5 }
///
/// `fifo` and `rr` are the real-time policies (priority 1–99): such a process runs as soon as it
/// is runnable, ahead of every ordinary one, and is preempted only by a real-time process of a
/// higher priority. For a feed handler on a busy machine that is the difference between a
/// millisecond and a scheduler's time slice. `other` (the default), `batch` and `idle` are the
/// ordinary policies; `nice` (−20…19) weighs `other` and `batch`. With `reset_on_fork` the
/// processes the service forks (a Redis background save, a shell's helpers) start under the
/// default policy again.
public struct CPUScheduling: Hashable, Sendable, CustomStringConvertible {
    public enum Policy: String, Hashable, Sendable, CaseIterable {
        case other, batch, idle, fifo, rr

        /// The kernel's number for the policy (sched(7)).
        public var kernelValue: Int32 {
            switch self {
            case .other: return 0
            case .fifo: return 1
            case .rr: return 2
            case .batch: return 3
            case .idle: return 5
            }
        }

        public var isRealTime: Bool { self == .fifo || self == .rr }
    }

    public var policy: Policy
    /// 1–99 for `fifo` and `rr`; nil for the others.
    public var priority: Int?
    /// −20…19 for `other` and `batch`; nil leaves the nice value the orchestrator has.
    public var nice: Int?
    public var resetOnFork: Bool

    public init(policy: Policy, priority: Int? = nil, nice: Int? = nil, resetOnFork: Bool = false) {
        self.policy = policy
        self.priority = priority
        self.nice = nice
        self.resetOnFork = resetOnFork
    }

    public var description: String {
        var text = policy.rawValue
        if let priority { text += " priority \(priority)" }
        if let nice { text += " nice \(nice)" }
        if resetOnFork { text += ", reset on fork" }
        return text
    }

    static let keys = ["policy", "priority", "nice", "reset_on_fork"]
}
