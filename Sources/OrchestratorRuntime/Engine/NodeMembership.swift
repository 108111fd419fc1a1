import Foundation
public import OrchestratorCore

/// This process as one node of several on a shared store (issue 21): it registers, heartbeats
/// every second by the database's clock, and takes or renews the leader's lease.
///
/// Leadership is bounded twice: by the database (the lease expires `deadAfter` seconds after
/// its last renewal, by the database's clock) and here (`isLeader` turns false once the local
/// monotonic clock passes the time the renewal was *sent* plus what the lease had left). A node
/// paused by SIGSTOP or a long GC finds, when it wakes, that its own deadline has passed before
/// it acts; a write it was already making is refused by the fenced store.
public final class NodeMembership {
    public let store: any NodeCoordination
    public let registration: NodeRegistration
    public let deadAfter: Double
    public private(set) var term: Int64?
    private var leaseDeadline: Double = 0

    /// What changed at a heartbeat.
    public enum Change: Equatable, Sendable {
        case becameLeader(term: Int64)
        case lostLeadership(term: Int64)
    }

    public struct NameTaken: Error, CustomStringConvertible, Sendable {
        public let node: NodeRecord
        public var description: String {
            "node \(node.name) is already running (pid \(node.pid) on \(node.host), heard from \(String(format: "%.1f", node.silence)) s ago); give this one another name with --node"
        }
    }

    /// This process has been replaced under its name (a newer process registered it): it must stop.
    public struct Superseded: Error, CustomStringConvertible, Sendable {
        public let name: String
        public var description: String { "node \(name) was registered by another process; this one stops" }
    }

    public init(store: any NodeCoordination, labels: [String], deadAfter: Double) {
        self.store = store
        registration = NodeRegistration(
            name: store.node, host: ProcessInfo.processInfo.hostName, pid: getpid(), processStart: ProcessControl.startTime(of: getpid()), labels: labels)
        self.deadAfter = deadAfter
    }

    static func monotonic() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// Registers this node, unless a live process already runs under its name: alive by the
    /// database's clock and, when on this host, by its pid and start time (a node killed and
    /// restarted at once takes its name back without waiting).
    public func join() throws {
        if let existing = try store.nodes().nodes.first(where: { $0.name == registration.name }), existing.isAlive(deadAfter: deadAfter),
            existing.pid != registration.pid || existing.processStart != registration.processStart
        {
            let local = existing.host == registration.host
            if !local || ProcessControl.isAlive(existing.pid, start: existing.processStart) { throw NameTaken(node: existing) }
        }
        try store.registerNode(registration)
    }

    /// True while this node holds the lease and its own bound on it has not passed.
    public var isLeader: Bool { term != nil && Self.monotonic() < leaseDeadline }

    /// One heartbeat, and the lease taken or renewed.
    public func beat() throws -> Change? {
        let sent = Self.monotonic()
        guard try store.heartbeat(registration) else { throw Superseded(name: registration.name) }
        if let held = term {
            guard Self.monotonic() < leaseDeadline, let lease = try store.lease(term: held, ttl: deadAfter) else {
                term = nil
                return .lostLeadership(term: held)
            }
            leaseDeadline = sent + min(lease.expiresIn, deadAfter)
            return nil
        }
        guard let lease = try store.lease(term: nil, ttl: deadAfter) else { return nil }
        term = lease.term
        leaseDeadline = sent + min(lease.expiresIn, deadAfter)
        return .becameLeader(term: lease.term)
    }

    /// Leadership given up here without asking the store (its own bound passed, or the store
    /// cannot be reached): the caller stops what only a leader does.
    public func abdicate() -> Change? {
        guard let held = term else { return nil }
        term = nil
        return .lostLeadership(term: held)
    }

    /// The other nodes not heard from within `deadAfter`, or stopped.
    public func deadNodes() throws -> [NodeRecord] {
        try store.nodes().nodes.filter { !$0.isAlive(deadAfter: deadAfter) && $0.name != registration.name }
    }

    /// A clean stop: the lease released (another node takes it at once) and the node marked stopped.
    public func leave() {
        if let term { try? store.releaseLease(term: term) }
        term = nil
        try? store.stopNode()
    }
}
