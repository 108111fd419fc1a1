public import OrchestratorCore

/// Something the engine did, for progress output: one per state change.
public struct EngineEvent: Sendable {
    public let at: Double
    public let runId: Int64
    public let job: String
    public let scheduledFor: Double?
    public let state: RunState
    public let attempt: Int
    public let reason: String?
}
