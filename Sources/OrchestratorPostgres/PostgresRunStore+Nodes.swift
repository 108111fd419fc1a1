public import OrchestratorRuntime
import PostgresNIO

/// Several nodes on one PostgreSQL (issue 21): the node table and the leader's lease, every time
/// by the database's clock (`now()`), never a node's own.
extension PostgresRunStore: NodeCoordination {
    public func registerNode(_ r: NodeRegistration) throws {
        try write { db in
            try db.run(
                """
                INSERT INTO node (name, host, pid, process_start, labels, started_at, heartbeat_at, stopped_at)
                VALUES (\(r.name), \(r.host), \(r.pid), \(r.processStart), \(r.labels.joined(separator: ",")), now(), now(), NULL)
                ON CONFLICT (name) DO UPDATE SET host = excluded.host, pid = excluded.pid, process_start = excluded.process_start,
                    labels = excluded.labels, started_at = now(), heartbeat_at = now(), stopped_at = NULL
                """)
        }
    }

    public func heartbeat(_ r: NodeRegistration) throws -> Bool {
        try write { db in
            try !db.rows(
                """
                UPDATE node SET heartbeat_at = now()
                WHERE name = \(r.name) AND host = \(r.host) AND pid = \(r.pid) AND process_start IS NOT DISTINCT FROM \(r.processStart) RETURNING 1
                """
            ).isEmpty
        }
    }

    public func nodes() throws -> (nodes: [NodeRecord], lease: Lease?) {
        try reading { db in
            let nodes = try db.rows(
                """
                SELECT name, host, pid, process_start, labels, extract(epoch FROM started_at)::float8, extract(epoch FROM heartbeat_at)::float8,
                       extract(epoch FROM now() - heartbeat_at)::float8, stopped_at IS NOT NULL
                FROM node ORDER BY name
                """
            ).map { row in
                NodeRecord(
                    name: try row[0].decode(String.self), host: try row[1].decode(String.self), pid: try row[2].decode(Int32.self),
                    processStart: try row[3].decode(Int64?.self), labels: try row[4].decode(String.self).split(separator: ",").map(String.init),
                    startedAt: try row[5].decode(Double.self), heartbeatAt: try row[6].decode(Double.self), silence: try row[7].decode(Double.self),
                    stopped: try row[8].decode(Bool.self))
            }
            let lease = try db.rows("SELECT node, term, extract(epoch FROM expires_at - now())::float8 FROM lease WHERE name = 'leader'").first.map(
                Self.lease)
            return (nodes, lease)
        }
    }

    static func lease(_ row: PostgresRandomAccessRow) throws -> Lease {
        Lease(node: try row[0].decode(String.self), term: try row[1].decode(Int64.self), expiresIn: try row[2].decode(Double.self))
    }

    public func lease(term: Int64?, ttl: Double) throws -> Lease? {
        try write { db in
            if let term {
                // Renewed only by its holder, at its term, before it expires.
                return try db.rows(
                    """
                    UPDATE lease SET expires_at = now() + make_interval(secs => \(ttl))
                    WHERE name = 'leader' AND node = \(node) AND term = \(term) AND expires_at >= now()
                    RETURNING node, term, extract(epoch FROM expires_at - now())::float8
                    """
                ).first.map(Self.lease)
            }
            // Taken when nobody holds it, or when it has expired: a new term.
            return try db.rows(
                """
                INSERT INTO lease (name, node, term, expires_at) VALUES ('leader', \(node), 1, now() + make_interval(secs => \(ttl)))
                ON CONFLICT (name) DO UPDATE SET node = excluded.node, term = lease.term + 1, expires_at = excluded.expires_at
                WHERE lease.expires_at < now()
                RETURNING node, term, extract(epoch FROM expires_at - now())::float8
                """
            ).first.map(Self.lease)
        }
    }

    public func releaseLease(term: Int64) throws {
        try write { db in
            try db.run("UPDATE lease SET expires_at = now() - interval '1 millisecond' WHERE name = 'leader' AND node = \(node) AND term = \(term)")
        }
    }

    public func stopNode() throws {
        try write { db in try db.run("UPDATE node SET stopped_at = now() WHERE name = \(node)") }
    }
}
