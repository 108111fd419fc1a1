public import OrchestratorCore

/// A store that several orchestrator nodes share (PostgreSQL): who the nodes are, each one's
/// heartbeat on the database's clock (never its own), and the leader's lease — River's elector:
/// taken when absent or expired with a new term, renewed only by its holder while the term
/// matches and it has not expired. What only one node may do (services, adopting a dead node's
/// attempts, retention) is done by the leader through `fenced(term:)`, whose every write first
/// checks that the lease is still this node's at that term.
public protocol NodeCoordination: RunStore {
    /// The node this store writes for.
    var node: String { get }
    /// Registers this node (or its new incarnation): host, pid and start, labels; heartbeat now.
    func registerNode(_ registration: NodeRegistration) throws
    /// Heartbeat now, by the database's clock. False when the node's row names another
    /// incarnation (a newer process took the name): this one must stop.
    func heartbeat(_ registration: NodeRegistration) throws -> Bool
    /// Every node with its silence (seconds since its heartbeat, by the database's clock), and
    /// the lease.
    func nodes() throws -> (nodes: [NodeRecord], lease: Lease?)
    /// Takes the lease if nobody holds it or it has expired (a new term), or renews it when this
    /// node holds it at `term`; the lease when this node holds it now, nil otherwise.
    func lease(term: Int64?, ttl: Double) throws -> Lease?
    /// Gives the lease up (a clean stop), so that another node takes it without waiting.
    func releaseLease(term: Int64) throws
    /// Marks this node stopped (a clean stop).
    func stopNode() throws
    /// The same store, every write of which first checks this node still holds the lease at
    /// `term` (`StoreFailure.Code.fenced` otherwise).
    func fenced(term: Int64) throws -> any RunStore
}

/// What a node says of itself.
public struct NodeRegistration: Sendable, Equatable {
    public var name: String
    public var host: String
    public var pid: Int32
    public var processStart: Int64?
    public var labels: [String]
    public init(name: String, host: String, pid: Int32, processStart: Int64?, labels: [String]) {
        self.name = name
        self.host = host
        self.pid = pid
        self.processStart = processStart
        self.labels = labels
    }
}

/// A row of `node`, as `orchestrator nodes` shows it.
public struct NodeRecord: Sendable, Equatable {
    public var name: String
    public var host: String
    public var pid: Int32
    public var processStart: Int64?
    public var labels: [String]
    public var startedAt: Double
    public var heartbeatAt: Double
    /// Seconds since its last heartbeat, by the database's clock.
    public var silence: Double
    public var stopped: Bool
    public init(
        name: String, host: String, pid: Int32, processStart: Int64?, labels: [String], startedAt: Double, heartbeatAt: Double, silence: Double,
        stopped: Bool
    ) {
        self.name = name
        self.host = host
        self.pid = pid
        self.processStart = processStart
        self.labels = labels
        self.startedAt = startedAt
        self.heartbeatAt = heartbeatAt
        self.silence = silence
        self.stopped = stopped
    }

    /// Alive: not stopped, and heard from within `deadAfter` seconds.
    public func isAlive(deadAfter: Double) -> Bool { !stopped && silence <= deadAfter }
}

/// The leader's lease: its node, its term (one more at every change of hands), and how long it
/// has left by the database's clock.
public struct Lease: Sendable, Equatable {
    public var node: String
    public var term: Int64
    public var expiresIn: Double
    public init(node: String, term: Int64, expiresIn: Double) {
        self.node = node
        self.term = term
        self.expiresIn = expiresIn
    }
}
