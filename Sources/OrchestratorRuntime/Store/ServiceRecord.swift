import Foundation
public import OrchestratorCore

/// A row of `service`: a service's state as its supervisor last saw it (what `status` shows).
public struct ServiceRecord: Codable, Sendable, Hashable {
    public var name: String
    public var state: String
    public var pid: Int32?
    public var startedAt: Double?
    public var runId: Int64?
    public var restarts: Int
    public var lastExitCode: Int?
    public var lastSignal: Int?
    public var lastExitAt: Double?
    public var healthOk: Bool?
    public var healthCheckedAt: Double?
    public var healthDetail: String?
    public var reason: String?
    public var nextStartAt: Double?
    public var updatedAt: Double
    /// The node that runs it (several nodes on PostgreSQL); nil on SQLite.
    public var node: String?

    enum CodingKeys: String, CodingKey {
        case name, state, pid, startedAt = "started_at", runId = "run_id", restarts, lastExitCode = "last_exit_code"
        case lastSignal = "last_signal", lastExitAt = "last_exit_at", healthOk = "health_ok", healthCheckedAt = "health_checked_at"
        case healthDetail = "health_detail", reason, nextStartAt = "next_start_at", updatedAt = "updated_at", node
    }

    public init(name: String, status: ServiceStatus, now: Double) {
        self.name = name
        state = status.state.rawValue
        pid = status.pid
        startedAt = status.isAlive ? status.startedAt : nil
        runId = status.runId
        restarts = status.restarts
        lastExitCode = status.lastExit?.code
        lastSignal = status.lastExit?.signal
        lastExitAt = status.lastExit?.at
        healthOk = status.health?.ok
        healthCheckedAt = status.health?.checkedAt
        healthDetail = status.health?.detail
        reason = status.reason
        nextStartAt = status.state == .backoff ? status.nextStartAt : nil
        updatedAt = now
    }
}

extension ServiceRecord {
    /// A declared service no supervisor has recorded yet.
    public static func never(_ name: String) -> ServiceRecord {
        ServiceRecord(name: name, status: ServiceStatus(), now: 0)
    }
}

/// A row of `service_event`: one start, exit, health change, stop or give-up.
public struct ServiceEventRecord: Codable, Sendable, Hashable {
    public var id: Int64?
    public var service: String
    public var runId: Int64?
    public var at: Double
    public var kind: String
    public var state: String
    public var pid: Int32?
    public var detail: String?

    enum CodingKeys: String, CodingKey {
        case id, service, runId = "run_id", at, kind, state, pid, detail
    }

    public init(id: Int64?, service: String, runId: Int64?, at: Double, kind: String, state: String, pid: Int32?, detail: String?) {
        self.id = id
        self.service = service
        self.runId = runId
        self.at = at
        self.kind = kind
        self.state = state
        self.pid = pid
        self.detail = detail
    }

    public init(_ event: ServiceEvent, runId: Int64?) {
        service = event.service
        self.runId = runId
        at = event.at
        kind = event.kind.rawValue
        state = event.state.rawValue
        pid = event.pid
        detail = event.detail
    }
}
