import Foundation
public import OrchestratorCore

/// A row of `run`: one execution of a job for one slot or one trigger.
public struct RunRecord: Codable, Sendable, Hashable {
    public var id: Int64?
    public var job: String
    /// YYYY-MM-DD (SPEC §4's trading day).
    public var tradingDay: String
    /// Epoch seconds of the slot; nil for manual and upstream-triggered runs.
    public var scheduledFor: Double?
    public var trigger: RunTrigger
    public var state: RunState
    public var attempts: Int
    public var createdAt: Double
    public var startedAt: Double?
    public var finishedAt: Double?
    public var exitCode: Int?
    /// When a `retrying` run's next attempt is due.
    public var nextAttemptAt: Double?
    /// Trigger parameters, a JSON object of strings.
    public var params: String
    /// The run whose failure triggered this one (on_failure).
    public var causeRunId: Int64?
    /// A short human reason for the last state change (`timeout`, `deadline passed`, …).
    public var reason: String?

    enum CodingKeys: String, CodingKey {
        case id, job, tradingDay = "trading_day", scheduledFor = "scheduled_for", trigger, state, attempts
        case createdAt = "created_at", startedAt = "started_at", finishedAt = "finished_at", exitCode = "exit_code"
        case nextAttemptAt = "next_attempt_at", params, causeRunId = "cause_run_id", reason
    }

    public init(
        job: String, tradingDay: String, scheduledFor: Double?, trigger: RunTrigger, state: RunState,
        createdAt: Double, params: [String: String] = [:], causeRunId: Int64? = nil
    ) {
        self.job = job
        self.tradingDay = tradingDay
        self.scheduledFor = scheduledFor
        self.trigger = trigger
        self.state = state
        self.attempts = 0
        self.createdAt = createdAt
        self.params = RunRecord.encode(params)
        self.causeRunId = causeRunId
    }

    public var parameters: [String: String] {
        guard params != "{}", let data = params.data(using: .utf8),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: String]
        else { return [:] }
        return object
    }

    /// The run moved to `state` (what every store's transition writes).
    public mutating func apply(_ state: RunState, now: Double, reason: String?, nextAttemptAt: Double?, exitCode: Int??) {
        self.state = state
        self.reason = reason
        self.nextAttemptAt = state == .retrying ? nextAttemptAt : nil
        if let exitCode { self.exitCode = exitCode }
        if state.isFinal { finishedAt = now }
    }

    /// The run's next attempt has started (what every store's compare-and-set start writes).
    public mutating func startNextAttempt(now: Double) {
        attempts += 1
        state = .running
        reason = nil
        nextAttemptAt = nil
        if startedAt == nil { startedAt = now }
    }

    static func encode(_ params: [String: String]) -> String {
        JSONValue.object(params.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) }).serialized()
    }
}
