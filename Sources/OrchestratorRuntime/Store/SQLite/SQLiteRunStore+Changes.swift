import Foundation
import GRDB

extension SQLiteRunStore {
    /// Transitions recorded after `cursor`, oldest first, at most `limit`.
    public func transitions(after cursor: ChangeCursor, limit: Int) throws -> [TransitionEvent] {
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
                    """, arguments: [cursor.id, limit])
            var out: [TransitionEvent] = []
            while let row = try rows.next() {
                out.append(
                    TransitionEvent(
                        cursor: ChangeCursor(id: row[0]), at: row[1], job: row[3], to: row[2], trigger: row[4], scheduledFor: row[5], startedAt: row[6],
                        attemptSeconds: row[7]))
            }
            return out
        }
    }
}

extension SQLiteRunStore {
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
