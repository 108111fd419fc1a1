/// A run's state (SPEC §4).
public enum RunState: String, Hashable, Sendable, CaseIterable, Codable {
    /// Waiting for upstream jobs of the same trading day.
    case pending
    /// Ready, waiting for a free slot (max_parallel, its pool, overlap: queue).
    case queued
    case running
    /// Failed an attempt; the next one starts at `nextAttemptAt`.
    case retrying
    case succeeded
    case failed
    case upstreamFailed = "upstream_failed"
    case skipped
    case missed
    case cancelled

    /// No further change will happen.
    public var isFinal: Bool {
        switch self {
        case .succeeded, .failed, .upstreamFailed, .skipped, .missed, .cancelled: return true
        case .pending, .queued, .running, .retrying: return false
        }
    }

    /// A final state that counts as failure for `run-day`'s exit status.
    public var isFailure: Bool {
        self == .failed || self == .upstreamFailed || self == .missed
    }
}

/// Why a run exists (`ORCHESTRATOR_TRIGGER`).
public enum RunTrigger: String, Hashable, Sendable, CaseIterable, Codable {
    case schedule, manual, upstream
    case catchUp = "catch-up"
}

/// How one attempt ended.
public enum AttemptOutcome: String, Hashable, Sendable, CaseIterable, Codable {
    case running, succeeded, failed
    /// Killed by its timeout.
    case timedOut = "timed_out"
    /// Its process vanished while the orchestrator was not watching, with no recorded outcome.
    case lost
    /// Stopped on purpose (overlap: replace, shutdown).
    case killed
}
