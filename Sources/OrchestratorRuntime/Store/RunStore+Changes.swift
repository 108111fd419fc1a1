import Foundation
import GRDB

/// A run's change of state, in the order the store recorded it (`transition.id`: one writer,
/// so ids commit in order), with what `/metrics` folds from it.
public struct TransitionEvent: Sendable, Equatable {
    public var id: Int64
    public var at: Double
    public var job: String
    public var to: String
    public var trigger: String
    public var scheduledFor: Double?
    /// The run's first start, when it has started (its lag behind the slot).
    public var startedAt: Double?
    /// The latest finished attempt's duration, when the transition ends one (to retrying or a
    /// final state).
    public var attemptSeconds: Double?
}

extension RunStore {
    /// Transitions recorded after `cursor`, oldest first, at most `limit`.
    public func transitions(after cursor: Int64, limit: Int = 10_000) throws -> [TransitionEvent] {
        try writer.read { db in
            let rows = try Row.fetchCursor(
                db,
                sql: """
                    SELECT t.id, t.at, t.to_state, r.job, r.trigger, r.scheduled_for, r.started_at,
                           CASE WHEN t.to_state IN ('retrying', 'succeeded', 'failed', 'cancelled') THEN
                             (SELECT a.finished_at - a.started_at FROM attempt a
                              WHERE a.run_id = t.run_id AND a.finished_at IS NOT NULL ORDER BY a.number DESC LIMIT 1)
                           END
                    FROM transition t JOIN run r ON r.id = t.run_id
                    WHERE t.id > ? ORDER BY t.id LIMIT ?
                    """, arguments: [cursor, limit])
            var out: [TransitionEvent] = []
            while let row = try rows.next() {
                out.append(
                    TransitionEvent(
                        id: row[0], at: row[1], job: row[3], to: row[2], trigger: row[4], scheduledFor: row[5], startedAt: row[6], attemptSeconds: row[7]))
            }
            return out
        }
    }
}

extension RunStore {
    /// What `serve`'s pages poll to know whether to refresh: the newest run transition and the
    /// newest service event, two reads of a rowid's maximum (constant time on any store size).
    /// Any change to a run or a service's state moves one of them.
    public func changeMark() throws -> String {
        try writer.read { db in
            let row = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT (SELECT COALESCE(MAX(id), 0) FROM transition), (SELECT COALESCE(MAX(id), 0) FROM service_event)"))!
            let runs: Int64 = row[0], services: Int64 = row[1]
            return "\(runs).\(services)"
        }
    }
}
