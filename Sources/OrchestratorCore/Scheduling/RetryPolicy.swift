/// When a failed attempt is tried again: `retry_delay` doubling per attempt, capped by
/// `max_retry_delay`, with ±20% jitter so that jobs failing together do not retry together.
///
/// The jitter comes from a seed (the run id and attempt number), not a random source, so the
/// decision is a pure function and a restarted orchestrator computes the same delay.
public struct RetryPolicy: Hashable, Sendable {
    public let retries: Int
    public let delay: TimeSpan
    public let maxDelay: TimeSpan

    public init(retries: Int, delay: TimeSpan, maxDelay: TimeSpan) {
        self.retries = retries
        self.delay = delay
        self.maxDelay = maxDelay
    }

    public init(_ job: JobSpec) {
        self.init(retries: job.retries, delay: job.retryDelay, maxDelay: job.maxRetryDelay)
    }

    /// Whether another attempt follows attempt `number` (1-based).
    public func retries(after number: Int) -> Bool { number <= retries }

    /// Seconds to wait after attempt `number` failed.
    public func delay(after number: Int, seed: UInt64) -> Double {
        let base = Double(delay.milliseconds) / 1000
        let doubled = base * Double(1 << UInt64(min(max(number - 1, 0), 30)))
        let capped = min(doubled, Double(maxDelay.milliseconds) / 1000)
        // SplitMix64 of the seed → a factor in [0.8, 1.2).
        var z = seed &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        let unit = Double(z >> 11) / Double(UInt64(1) << 53)
        return capped * (0.8 + 0.4 * unit)
    }
}
