import Foundation
import GRDB
import SQLiteSupport

/// The distribution service's durable outbox (`var/distribution.sqlite`): one row per (signal,
/// tier, channel) — unique, so a signal read twice is queued once — written with the stream
/// cursor in the same transaction before anything is sent.
///
/// A delivery goes `pending` → `sending` (committed before the request) → `sent`. A process
/// killed between the two finds it `sending` on restart: whether the service got it cannot be
/// known (Discord's webhooks and Telegram take no idempotency key), so it is marked `unknown`
/// and reported, never sent again — nothing twice; X, which refuses a duplicate text, gets it
/// again safely. A failed send waits and is tried again; after `maximumAttempts`, `failed`.
public final class Outbox: @unchecked Sendable {
    public enum State: String, Sendable, Codable { case pending, sending, sent, unknown, failed }

    public struct Delivery: Sendable, Equatable {
        public var key: String
        public var signalID: String
        public var tier: String
        public var channel: DistributionConfig.Channel
        /// Epoch seconds (market time).
        public var dueAt: Double
        public var text: String
        public var state: State
        public var attempts: Int
        public var messageID: String?
        public var error: String?
        public init(signalID: String, tier: String, channel: DistributionConfig.Channel, dueAt: Double, text: String) {
            key = "\(signalID)/\(tier)/\(channel.rawValue)"
            self.signalID = signalID; self.tier = tier; self.channel = channel; self.dueAt = dueAt; self.text = text
            state = .pending; attempts = 0
        }
    }

    public struct Failure: Error, CustomStringConvertible, Sendable { public let description: String }

    public static let maximumAttempts = 5
    let pool: DatabasePool
    let path: String

    public init(path: String) throws(Failure) {
        self.path = path
        do {
            var configuration = Configuration()
            configuration.busyMode = .timeout(5)
            pool = try DatabasePool(path: path, configuration: configuration)
            try Outbox.migrator.migrate(pool)
        } catch let error as DatabaseError {
            throw Failure(description: StoreError.describe(error, path: path, store: "the distribution outbox"))
        } catch {
            throw Failure(description: "\(path): cannot open the distribution outbox: \(error)")
        }
    }

    /// The schema's migrations, in order: a store holding one not in this list is from a newer
    /// build (a restore refuses it).
    public static var migrations: [String] { migrator.migrations }

    static let migrator: DatabaseMigrator = {
        var m = DatabaseMigrator()
        m.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE delivery (
                        key TEXT PRIMARY KEY NOT NULL,
                        signal_id TEXT NOT NULL,
                        tier TEXT NOT NULL,
                        channel TEXT NOT NULL CHECK (channel IN ('discord', 'telegram', 'x')),
                        due_at REAL NOT NULL,
                        text TEXT NOT NULL,
                        state TEXT NOT NULL CHECK (state IN ('pending', 'sending', 'sent', 'unknown', 'failed')),
                        attempts INTEGER NOT NULL DEFAULT 0,
                        message_id TEXT,
                        error TEXT,
                        created_at REAL NOT NULL,
                        sent_at REAL
                    ) WITHOUT ROWID;
                    CREATE INDEX delivery_due ON delivery(due_at) WHERE state = 'pending';
                    CREATE TABLE cursor (stream TEXT PRIMARY KEY NOT NULL, last_id TEXT NOT NULL) WITHOUT ROWID;
                    """)
        }
        return m
    }()

    private func write<T>(_ body: (Database) throws -> T) throws(Failure) -> T {
        do { return try pool.write(body) } catch let error as DatabaseError {
            throw Failure(description: StoreError.describe(error, path: path, store: "the distribution outbox"))
        } catch { throw Failure(description: "\(path): \(error)") }
    }

    private func read<T>(_ body: (Database) throws -> T) throws(Failure) -> T {
        do { return try pool.read(body) } catch let error as DatabaseError {
            throw Failure(description: StoreError.describe(error, path: path, store: "the distribution outbox"))
        } catch { throw Failure(description: "\(path): \(error)") }
    }

    /// Queues deliveries (a key already there is kept as it is) and moves the stream's cursor,
    /// in one transaction. Returns how many were new.
    @discardableResult
    public func enqueue(_ deliveries: [Delivery], stream: String, lastID: String, now: Double) throws(Failure) -> Int {
        try write { db in
            var added = 0
            for d in deliveries {
                try db.execute(
                    sql: """
                        INSERT INTO delivery (key, signal_id, tier, channel, due_at, text, state, created_at) VALUES (?, ?, ?, ?, ?, ?, 'pending', ?)
                        ON CONFLICT(key) DO NOTHING
                        """, arguments: [d.key, d.signalID, d.tier, d.channel.rawValue, d.dueAt, d.text, now])
                added += db.changesCount
            }
            try db.execute(
                sql: "INSERT INTO cursor (stream, last_id) VALUES (?, ?) ON CONFLICT(stream) DO UPDATE SET last_id = excluded.last_id",
                arguments: [stream, lastID])
            return added
        }
    }

    /// Where reading `stream` resumes ("0" at first).
    public func cursor(_ stream: String) throws(Failure) -> String {
        try read { db in try String.fetchOne(db, sql: "SELECT last_id FROM cursor WHERE stream = ?", arguments: [stream]) } ?? "0"
    }

    /// Pending deliveries due at `now` on `channel`, oldest due first.
    public func due(_ channel: DistributionConfig.Channel, now: Double, limit: Int) throws(Failure) -> [Delivery] {
        try read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM delivery WHERE state = 'pending' AND channel = ? AND due_at <= ? ORDER BY due_at, key LIMIT ?",
                arguments: [channel.rawValue, now, limit]
            ).map(Outbox.delivery)
        }
    }

    /// The next pending due time after `now` (to sleep until), nil when nothing is pending.
    public func nextDue() throws(Failure) -> Double? {
        try read { db in try Double.fetchOne(db, sql: "SELECT MIN(due_at) FROM delivery WHERE state = 'pending'") }
    }

    static func delivery(_ row: Row) -> Delivery {
        var d = Delivery(
            signalID: row["signal_id"], tier: row["tier"], channel: DistributionConfig.Channel(rawValue: row["channel"]) ?? .x, dueAt: row["due_at"],
            text: row["text"])
        d.key = row["key"]
        d.state = State(rawValue: row["state"]) ?? .failed
        d.attempts = row["attempts"]
        d.messageID = row["message_id"]
        d.error = row["error"]
        return d
    }

    /// Committed before the request goes out.
    public func markSending(_ key: String) throws(Failure) {
        try write { db in
            try db.execute(sql: "UPDATE delivery SET state = 'sending', attempts = attempts + 1 WHERE key = ? AND state = 'pending'", arguments: [key])
        }
    }

    public func markSent(_ key: String, messageID: String, now: Double) throws(Failure) {
        try write { db in
            try db.execute(
                sql: "UPDATE delivery SET state = 'sent', message_id = ?, sent_at = ?, error = NULL WHERE key = ?", arguments: [messageID, now, key])
        }
    }

    /// A send that failed: tried again at `retryAt`, or `failed` after `maximumAttempts`.
    public func markFailed(_ key: String, error: String, retryAt: Double) throws(Failure) {
        try write { db in
            try db.execute(
                sql: """
                    UPDATE delivery SET error = ?, state = CASE WHEN attempts >= ? THEN 'failed' ELSE 'pending' END,
                        due_at = CASE WHEN attempts >= ? THEN due_at ELSE MAX(due_at, ?) END WHERE key = ?
                    """, arguments: [error, Outbox.maximumAttempts, Outbox.maximumAttempts, retryAt, key])
        }
    }

    /// After a restart: deliveries left `sending` by a killed process. X's go back to `pending`
    /// (X refuses a duplicate, so sending again cannot post twice); the others become `unknown`.
    /// Returns the ones marked unknown.
    public func recoverInterrupted() throws(Failure) -> [Delivery] {
        try write { db in
            let stuck = try Row.fetchAll(db, sql: "SELECT * FROM delivery WHERE state = 'sending'").map(Outbox.delivery)
            try db.execute(sql: "UPDATE delivery SET state = 'pending' WHERE state = 'sending' AND channel = 'x'")
            try db.execute(
                sql: "UPDATE delivery SET state = 'unknown', error = 'the service stopped while sending it: not sent again' WHERE state = 'sending'")
            return stuck.filter { $0.channel != .x }
        }
    }

    /// Every delivery, by key (tests, stats).
    public func all() throws(Failure) -> [Delivery] {
        try read { db in try Row.fetchAll(db, sql: "SELECT * FROM delivery ORDER BY due_at, key").map(Outbox.delivery) }
    }

    /// Pending deliveries due before `cutoff` are too old to be worth sending (a signal of
    /// yesterday's session): `failed` as expired. Returns how many.
    @discardableResult
    public func expire(dueBefore cutoff: Double) throws(Failure) -> Int {
        try write { db in
            try db.execute(
                sql: "UPDATE delivery SET state = 'failed', error = 'expired: not sent in time' WHERE state = 'pending' AND due_at < ?", arguments: [cutoff])
            return db.changesCount
        }
    }

    /// Counts by state.
    public func counts() throws(Failure) -> [State: Int] {
        try read { db in
            var out: [State: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT state, COUNT(*) AS n FROM delivery GROUP BY state") {
                if let s = State(rawValue: row["state"]) { out[s] = row["n"] }
            }
            return out
        }
    }
}
