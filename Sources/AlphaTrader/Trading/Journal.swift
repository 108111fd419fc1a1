import Foundation
import GRDB
import SQLiteSupport
import Synchronization

/// The trade journal (SPEC §10): every order, order state change, fill (its execution id unique)
/// and commission, and the positions they make, in one SQLite file (WAL). It is the record: each
/// method is one transaction committed before it returns, so the order path writes what it is
/// about to do before doing it, and a fill reported twice (a reconnect, a duplicate message) is
/// recorded once.
public final class Journal: Sendable {
    public let path: String
    private let writer: any DatabaseWriter
    private let checkpointer = Checkpointer()
    /// Each position's orders as last read, kept while the journal is unchanged: no write through
    /// this journal (`generation`) and no commit by another connection (SQLite's `data_version`
    /// on the writer's connection). The execution service reads every open position's orders
    /// every market second; they change only when an order does.
    private let positionOrders = Mutex(PositionOrders())

    private struct PositionOrders {
        var generation = 0
        var stamp: (generation: Int, dataVersion: Int)?
        var byPosition: [String: [Order]] = [:]
    }

    public struct Failure: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    /// An order as the journal holds it.
    public struct Order: Sendable, Equatable {
        /// Our id, sent as TWS's orderRef.
        public var ref: String
        public var request: OrderRequest
        public var clientId: Int
        public var permId: Int?
        public var parentRef: String?
        public var strategy: String?
        /// The managed position the order belongs to (the execution service's), if any.
        public var position: String?
        public var status: String
        public var filled: Int
        public var averagePrice: Double
        public var commission: Double
        public var reason: String?
        public var createdAt: Double
        public var updatedAt: Double

        /// Still able to fill: not filled, cancelled, rejected or unconfirmed.
        public var isOpen: Bool { !Journal.finished.contains(status) }
    }

    public struct PositionRow: Sendable, Equatable {
        public var instrument: Instrument
        public var holding: Holding
        public var updatedAt: Double
    }

    public struct FillRow: Sendable, Equatable {
        public var execId: String
        public var ref: String
        public var instrument: Instrument
        public var action: OrderRequest.Action
        public var quantity: Int
        public var price: Double
        public var time: Double
        public var commission: Double?
        public var realizedPnL: Double?
    }

    /// Order states after which nothing more happens.
    public static let finished: Set<String> = ["Filled", "Cancelled", "ApiCancelled", "Rejected", "Unconfirmed"]

    /// Opens (creating if needed) the journal at `path`; a writer waits up to `busyTimeout`
    /// seconds for another process's transaction before it says the journal is locked.
    public init(path: String, busyTimeout: Double = 5) throws(Failure) {
        self.path = path
        var configuration = Configuration()
        configuration.busyMode = .timeout(busyTimeout)
        configuration.foreignKeysEnabled = true
        configuration.label = "alphatrader.journal"
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = NORMAL") }
        let directory = (path as NSString).deletingLastPathComponent
        do {
            if !directory.isEmpty { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        } catch {
            throw Failure(description: "\(path): cannot open the trade journal: \(error)")
        }
        writer = try Journal.open(path, configuration) { pool in try Journal.migrator.migrate(pool) }
    }

    /// Opens the journal at `path` to read only (a report, a test watching a live service):
    /// nothing is migrated or written, and a writer's transactions are not waited for.
    public init(readingOnly path: String) throws(Failure) {
        self.path = path
        var configuration = Configuration()
        configuration.readonly = true
        configuration.label = "alphatrader.journal.read"
        writer = try Journal.open(path, configuration) { pool in
            guard try pool.read(Journal.migrator.hasCompletedMigrations) else {
                throw Failure(
                    description: "\(path): the trade journal is of an older schema; a command that writes it (alphatrader orders) brings it up to date")
            }
        }
    }

    /// The pool at `path`, refused when a newer alphatrader wrote it, then `prepare`d (migrated,
    /// checked) — every failure in words, with the path.
    private static func open(_ path: String, _ configuration: Configuration, prepare: (DatabasePool) throws -> Void) throws(Failure) -> DatabasePool {
        do {
            let pool = try DatabasePool(path: path, configuration: configuration)
            if try pool.read(Journal.migrator.hasBeenSuperseded) {
                throw Failure(description: "\(path): the trade journal was written by a newer alphatrader (unknown schema); upgrade this binary")
            }
            try prepare(pool)
            return pool
        } catch let failure as Failure {
            throw failure
        } catch let error as DatabaseError {
            throw Failure(description: Journal.describe(error, path: path))
        } catch {
            throw Failure(description: "\(path): cannot open the trade journal: \(error)")
        }
    }

    deinit { checkpointer.stop() }

    /// For a long-lived writer (the execution service, a benchmark): the log is copied back into
    /// the database on a thread of its own, not inside one of the order path's commits.
    public func checkpointInBackground(every interval: Double = 0.5) {
        checkpointer.take(over: writer, path: path, interval: interval)
    }

    static func describe(_ error: DatabaseError, path: String) -> String {
        StoreError.describe(error, path: path, store: "the trade journal")
    }

    /// The schema's migrations, in order: a store holding one not in this list is from a newer
    /// build (a restore refuses it).
    public static var migrations: [String] { migrator.migrations }

    static let migrator: DatabaseMigrator = {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE "order" (
                        ref TEXT PRIMARY KEY NOT NULL,
                        broker_id INTEGER NOT NULL,
                        client_id INTEGER NOT NULL,
                        perm_id INTEGER,
                        symbol TEXT NOT NULL,
                        sec_type TEXT NOT NULL CHECK (sec_type IN ('STK', 'OPT')),
                        expiry TEXT,
                        strike REAL,
                        option_right TEXT CHECK (option_right IS NULL OR option_right IN ('C', 'P')),
                        action TEXT NOT NULL CHECK (action IN ('BUY', 'SELL')),
                        quantity INTEGER NOT NULL CHECK (quantity > 0),
                        order_type TEXT NOT NULL CHECK (order_type IN ('MKT', 'LMT', 'STP', 'STP LMT')),
                        limit_price REAL,
                        stop_price REAL,
                        tif TEXT NOT NULL CHECK (tif IN ('DAY', 'IOC')),
                        parent_ref TEXT REFERENCES "order"(ref),
                        oca_group TEXT,
                        strategy TEXT,
                        status TEXT NOT NULL,
                        filled INTEGER NOT NULL DEFAULT 0 CHECK (filled >= 0),
                        average_price REAL NOT NULL DEFAULT 0,
                        commission REAL NOT NULL DEFAULT 0,
                        reason TEXT,
                        created_at REAL NOT NULL,
                        updated_at REAL NOT NULL
                    ) WITHOUT ROWID;
                    CREATE TABLE order_event (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        ref TEXT NOT NULL REFERENCES "order"(ref),
                        time REAL NOT NULL,
                        status TEXT NOT NULL,
                        detail TEXT
                    );
                    CREATE TABLE fill (
                        exec_id TEXT PRIMARY KEY NOT NULL,
                        ref TEXT NOT NULL REFERENCES "order"(ref),
                        time REAL NOT NULL,
                        action TEXT NOT NULL CHECK (action IN ('BUY', 'SELL')),
                        quantity INTEGER NOT NULL CHECK (quantity > 0),
                        price REAL NOT NULL CHECK (price >= 0),
                        commission REAL,
                        realized_pnl REAL
                    ) WITHOUT ROWID;
                    CREATE INDEX fill_ref ON fill(ref);
                    CREATE TABLE position (
                        instrument TEXT PRIMARY KEY NOT NULL,
                        symbol TEXT NOT NULL,
                        sec_type TEXT NOT NULL,
                        expiry TEXT,
                        strike REAL,
                        option_right TEXT,
                        quantity INTEGER NOT NULL,
                        average_cost REAL NOT NULL,
                        realized_pnl REAL NOT NULL,
                        updated_at REAL NOT NULL
                    ) WITHOUT ROWID;
                    """)
        }
        // v2: order_event's ids without AUTOINCREMENT — rows are never deleted, so the largest id
        // plus one is already unique and increasing, and AUTOINCREMENT wrote sqlite_sequence's
        // page in every transaction on the order path (one page of three for a submission).
        migrator.registerMigration("v2") { db in
            try db.execute(
                sql: """
                    CREATE TABLE order_event_v2 (
                        id INTEGER PRIMARY KEY,
                        ref TEXT NOT NULL REFERENCES "order"(ref),
                        time REAL NOT NULL,
                        status TEXT NOT NULL,
                        detail TEXT
                    );
                    INSERT INTO order_event_v2 (id, ref, time, status, detail) SELECT id, ref, time, status, detail FROM order_event;
                    DROP TABLE order_event;
                    ALTER TABLE order_event_v2 RENAME TO order_event;
                    """)
        }
        // v3: what the strategies and the risk manager decided (SPEC §10: the journal holds every
        // signal, risk decision and breaker event, so a restart and the evening report have them).
        migrator.registerMigration("v3") { db in
            try db.execute(
                sql: """
                    CREATE TABLE signal (
                        id TEXT PRIMARY KEY NOT NULL,
                        time REAL NOT NULL,
                        strategy TEXT NOT NULL,
                        symbol TEXT NOT NULL,
                        direction TEXT NOT NULL CHECK (direction IN ('long', 'short')),
                        confidence REAL NOT NULL CHECK (confidence >= 0 AND confidence <= 1),
                        document TEXT NOT NULL
                    ) WITHOUT ROWID;
                    CREATE TABLE risk_decision (
                        id INTEGER PRIMARY KEY,
                        time REAL NOT NULL,
                        strategy TEXT,
                        instrument TEXT NOT NULL,
                        action TEXT NOT NULL CHECK (action IN ('BUY', 'SELL')),
                        quantity INTEGER NOT NULL,
                        allowed INTEGER NOT NULL CHECK (allowed IN (0, 1)),
                        check_name TEXT,
                        reason TEXT NOT NULL
                    );
                    CREATE TABLE breaker_event (
                        id INTEGER PRIMARY KEY,
                        time REAL NOT NULL,
                        event TEXT NOT NULL
                    );
                    """)
        }
        // v4: the execution service's positions (SPEC §10, "restart-safe"): each entry it makes is a
        // managed position — the signal it came from, the exit plan — written before its orders,
        // and every order of it carries the position's id, so that after a kill the service
        // rebuilds its positions from the journal alone. And the day's breaker state, so that a
        // restart keeps a HALTED book halted even when Redis has lost it.
        migrator.registerMigration("v4") { db in
            try db.execute(
                sql: """
                    ALTER TABLE "order" ADD COLUMN position_id TEXT;
                    CREATE INDEX order_position ON "order"(position_id) WHERE position_id IS NOT NULL;
                    CREATE TABLE managed_position (
                        id TEXT PRIMARY KEY NOT NULL,
                        signal_id TEXT,
                        strategy TEXT NOT NULL,
                        instrument TEXT NOT NULL,
                        side TEXT NOT NULL CHECK (side IN ('BUY', 'SELL')),
                        plan TEXT NOT NULL,
                        opened_at REAL NOT NULL,
                        closed_at REAL,
                        close_reason TEXT,
                        realized_pnl REAL
                    ) WITHOUT ROWID;
                    CREATE TABLE risk_day (
                        session TEXT PRIMARY KEY NOT NULL,
                        document TEXT NOT NULL,
                        updated_at REAL NOT NULL
                    ) WITHOUT ROWID;
                    """)
        }
        // v5: good-till-cancelled orders (the exits of a position held overnight). SQLite cannot
        // change a CHECK in place: the table is rebuilt with its rows (SQLite's "make other kinds
        // of table schema changes", foreign keys off during a migration).
        migrator.registerMigration("v5") { db in
            try db.execute(
                sql: """
                    CREATE TABLE order_v5 (
                        ref TEXT PRIMARY KEY NOT NULL,
                        broker_id INTEGER NOT NULL,
                        client_id INTEGER NOT NULL,
                        perm_id INTEGER,
                        symbol TEXT NOT NULL,
                        sec_type TEXT NOT NULL CHECK (sec_type IN ('STK', 'OPT')),
                        expiry TEXT,
                        strike REAL,
                        option_right TEXT CHECK (option_right IS NULL OR option_right IN ('C', 'P')),
                        action TEXT NOT NULL CHECK (action IN ('BUY', 'SELL')),
                        quantity INTEGER NOT NULL CHECK (quantity > 0),
                        order_type TEXT NOT NULL CHECK (order_type IN ('MKT', 'LMT', 'STP', 'STP LMT')),
                        limit_price REAL,
                        stop_price REAL,
                        tif TEXT NOT NULL CHECK (tif IN ('DAY', 'IOC', 'GTC')),
                        parent_ref TEXT REFERENCES "order"(ref),
                        oca_group TEXT,
                        strategy TEXT,
                        status TEXT NOT NULL,
                        filled INTEGER NOT NULL DEFAULT 0 CHECK (filled >= 0),
                        average_price REAL NOT NULL DEFAULT 0,
                        commission REAL NOT NULL DEFAULT 0,
                        reason TEXT,
                        created_at REAL NOT NULL,
                        updated_at REAL NOT NULL,
                        position_id TEXT
                    ) WITHOUT ROWID;
                    INSERT INTO order_v5 SELECT ref, broker_id, client_id, perm_id, symbol, sec_type, expiry, strike, option_right, action,
                        quantity, order_type, limit_price, stop_price, tif, parent_ref, oca_group, strategy, status, filled, average_price,
                        commission, reason, created_at, updated_at, position_id FROM "order";
                    DROP TABLE "order";
                    ALTER TABLE order_v5 RENAME TO "order";
                    CREATE INDEX order_position ON "order"(position_id) WHERE position_id IS NOT NULL;
                    """)
        }
        return migrator
    }()

    private func write<T>(_ body: (Database) throws -> T) throws(Failure) -> T {
        // After the commit (or the failure): a read that began before it is not kept.
        defer { positionOrders.withLock { $0.generation += 1 } }
        do {
            return try writer.write(body)
        } catch let failure as Failure {
            throw failure
        } catch let error as DatabaseError {
            throw Failure(description: Journal.describe(error, path: path))
        } catch {
            throw Failure(description: "\(path): \(error)")
        }
    }

    private func read<T>(_ body: (Database) throws -> T) throws(Failure) -> T {
        do {
            return try writer.read(body)
        } catch let failure as Failure {
            throw failure
        } catch let error as DatabaseError {
            throw Failure(description: Journal.describe(error, path: path))
        } catch {
            throw Failure(description: "\(path): \(error)")
        }
    }

    // MARK: Writing

    /// An order about to be sent (state `Submitting`), before it is: a process that dies after
    /// this finds it on restart and asks the broker about it instead of sending it again.
    public func recordSubmission(
        _ request: OrderRequest, clientId: Int, parentRef: String?, strategy: String?, position: String? = nil, now: Double
    ) throws(Failure) {
        try recordSubmissions([(request, parentRef)], clientId: clientId, strategy: strategy, position: position, now: now)
    }

    /// The managed position an entry opens, written with its orders.
    public struct Opening: Sendable {
        public var id: String
        public var signalId: String?
        public var strategy: String
        public var plan: ExitPlan
        public init(id: String, signalId: String?, strategy: String, plan: ExitPlan) {
            self.id = id; self.signalId = signalId; self.strategy = strategy; self.plan = plan
        }
    }

    /// Orders about to be sent together (an entry with its exits), in one transaction — with the
    /// managed position they open, if any: one commit before the first byte is sent.
    public func recordSubmissions(
        _ requests: [(request: OrderRequest, parentRef: String?)], clientId: Int, strategy: String?, position: String? = nil, opening: Opening? = nil,
        now: Double
    ) throws(Failure) {
        try write { db in
            if let opening, let first = requests.first {
                try Journal.insert(db, opening, instrument: first.request.instrument, side: first.request.action, now: now)
            }
            for (request, parentRef) in requests {
                try Journal.submission(db, request, clientId: clientId, parentRef: parentRef, strategy: strategy, position: position, now: now)
            }
        }
    }

    static func submission(
        _ db: Database, _ request: OrderRequest, clientId: Int, parentRef: String?, strategy: String?, position: String?, now: Double
    ) throws {
        do {
            let (symbol, secType, expiry, strike, right) = Journal.columns(request.instrument)
            try db.cachedStatement(
                sql: """
                    INSERT INTO "order" (ref, broker_id, client_id, symbol, sec_type, expiry, strike, option_right, action, quantity, order_type,
                                         limit_price, stop_price, tif, parent_ref, oca_group, strategy, position_id, status, created_at, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'Submitting', ?, ?)
                    """
            ).execute(arguments: [
                request.orderRef, request.id, clientId, symbol, secType, expiry, strike, right, request.action.rawValue,
                request.quantity, request.kind.code, request.kind.limitPrice, request.kind.stopPrice,
                request.timeInForce.rawValue, parentRef, request.ocaGroup, strategy, position, now, now,
            ])
            try db.cachedStatement(sql: "INSERT INTO order_event (ref, time, status, detail) VALUES (?, ?, 'Submitting', ?)").execute(arguments: [
                request.orderRef, now, "\(request.action.rawValue) \(request.quantity) \(request.instrument) \(request.kind.code)",
            ])
        }
    }

    /// A modification of an open order (same broker id, new price or quantity), before it is sent.
    public func recordModification(ref: String, quantity: Int, kind: OrderRequest.Kind, now: Double) throws(Failure) {
        try write { db in
            try db.cachedStatement(
                sql: """
                    UPDATE "order" SET quantity = ?, order_type = ?, limit_price = ?, stop_price = ?, updated_at = ? WHERE ref = ?
                    """
            ).execute(arguments: [quantity, kind.code, kind.limitPrice, kind.stopPrice, now, ref])
            try db.cachedStatement(sql: "INSERT INTO order_event (ref, time, status, detail) VALUES (?, ?, 'Modifying', ?)").execute(arguments: [
                ref, now, "\(quantity) \(kind.code) \(kind.limitPrice.map { "lmt \($0)" } ?? "") \(kind.stopPrice.map { "stp \($0)" } ?? "")",
            ])
        }
    }

    /// A state the broker reported (or that the order path decided: Rejected, Unconfirmed).
    /// Recorded as an event only when something changed.
    public func recordStatus(
        ref: String, status: String, filled: Int? = nil, averagePrice: Double? = nil, permId: Int? = nil,
        reason: String? = nil, now: Double
    ) throws(Failure) {
        try write { db in try Journal.status(db, ref: ref, status: status, filled: filled, averagePrice: averagePrice, permId: permId, reason: reason, now: now)
        }
    }

    static func status(_ db: Database, ref: String, status: String, filled: Int?, averagePrice: Double?, permId: Int?, reason: String?, now: Double) throws {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: #"SELECT status, filled, perm_id FROM "order" WHERE ref = ?"#), arguments: [ref]) else {
            return
        }
        let oldStatus: String = row["status"], oldFilled: Int = row["filled"]
        // A finished order stays finished: a late Submitted after Filled is noise.
        if Journal.finished.contains(oldStatus) && !Journal.finished.contains(status) { return }
        guard oldStatus != status || (filled != nil && filled != oldFilled) || (permId != nil && row["perm_id"] as Int? == nil) else { return }
        try db.cachedStatement(
            sql: """
                UPDATE "order" SET status = ?, filled = MAX(filled, COALESCE(?, filled)), average_price = COALESCE(?, average_price),
                                   perm_id = COALESCE(perm_id, ?), reason = COALESCE(?, reason), updated_at = ? WHERE ref = ?
                """
        ).execute(arguments: [status, filled, averagePrice, permId, reason, now, ref])
        try db.cachedStatement(sql: "INSERT INTO order_event (ref, time, status, detail) VALUES (?, ?, ?, ?)").execute(arguments: [
            ref, now, status, [filled.map { "filled \($0)" }, reason].compactMap { $0 }.joined(separator: "; "),
        ])
    }

    /// A fill, once: false when its execution id is already recorded (a duplicate message or
    /// a reconnect's replay). A fill of an order the journal does not know (placed by another
    /// tool on the same account) is recorded under an order row of its own, status `External`.
    /// Five prepared statements in one transaction, and tables clustered on their keys (WITHOUT
    /// ROWID): this is on every order's path, and its cost is the pages each commit writes.
    @discardableResult
    public func recordFill(_ fill: TWSOrderMessages.Fill, now: Double) throws(Failure) -> Recorded {
        try write { db in try Journal.fill(db, fill, now: now) }
    }

    /// What recording a change did.
    public enum Recorded: Sendable, Equatable {
        /// Nothing: already recorded (a duplicate message, a reconnect's replay).
        case unchanged
        case changed
        /// A new fill of an order this journal did not place (recorded under its `External`
        /// order): someone must be told.
        case externalFill
    }

    static func fill(_ db: Database, _ fill: TWSOrderMessages.Fill, now: Double) throws -> Recorded {
        let ref = fill.orderRef.isEmpty ? "perm-\(fill.permId)" : fill.orderRef
        let status = try String.fetchOne(db.cachedStatement(sql: #"SELECT status FROM "order" WHERE ref = ?"#), arguments: [ref])
        if status == nil {
            let (symbol, secType, expiry, strike, right) = Journal.columns(fill.instrument)
            try db.execute(
                sql: """
                    INSERT INTO "order" (ref, broker_id, client_id, perm_id, symbol, sec_type, expiry, strike, option_right, action, quantity,
                                         order_type, tif, status, created_at, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'MKT', 'DAY', 'External', ?, ?)
                    """,
                arguments: [
                    ref, fill.orderId, fill.clientId, fill.permId, symbol, secType, expiry, strike, right, fill.action.rawValue,
                    max(fill.cumulativeQuantity, fill.quantity), now, now,
                ])
        }
        var holding = try Journal.holding(db, fill.instrument) ?? Holding()
        let realized = holding.apply(fill.action.sign * fill.quantity, price: fill.price, multiplier: fill.instrument.multiplier, commission: 0)
        try db.cachedStatement(sql: "INSERT OR IGNORE INTO fill (exec_id, ref, time, action, quantity, price, realized_pnl) VALUES (?, ?, ?, ?, ?, ?, ?)")
            .execute(arguments: [fill.execId, ref, fill.time, fill.action.rawValue, fill.quantity, fill.price, realized])
        guard db.changesCount > 0 else { return .unchanged }
        try db.cachedStatement(
            sql: """
                UPDATE "order" SET filled = filled + ?, average_price = (average_price * filled + ? * ?) / (filled + ?),
                                   perm_id = COALESCE(perm_id, ?), updated_at = ?,
                                   status = CASE WHEN filled + ? >= quantity AND status != 'External' THEN 'Filled' ELSE status END
                WHERE ref = ?
                """
        ).execute(arguments: [fill.quantity, fill.price, fill.quantity, fill.quantity, fill.permId, now, fill.quantity, ref])
        // The fill row is the fill's event: no order_event row for it (one page less a fill).
        try Journal.save(db, fill.instrument, holding, now: now)
        return status == nil || status == "External" ? .externalFill : .changed
    }

    /// A fill's commission (TWS reports it after the fill), once; false when the fill is not
    /// known yet or already has one.
    @discardableResult
    public func recordCommission(execId: String, commission: Double, now: Double) throws(Failure) -> Bool {
        try write { db in try Journal.commission(db, execId: execId, commission: commission, now: now) }
    }

    static func commission(_ db: Database, execId: String, commission: Double, now: Double) throws -> Bool {
        guard
            let row = try Row.fetchOne(
                db.cachedStatement(
                    sql: """
                        SELECT f.ref, f.commission, f.realized_pnl, o.symbol, o.sec_type, o.expiry, o.strike, o.option_right
                        FROM fill f JOIN "order" o ON o.ref = f.ref WHERE f.exec_id = ?
                        """), arguments: [execId]), row["commission"] as Double? == nil
        else { return false }
        let ref: String = row["ref"]
        let opened = (row["realized_pnl"] as Double?) == nil
        try db.cachedStatement(sql: "UPDATE fill SET commission = ?, realized_pnl = realized_pnl - ? WHERE exec_id = ?").execute(arguments: [
            commission, commission, execId,
        ])
        try db.cachedStatement(sql: #"UPDATE "order" SET commission = commission + ?, updated_at = ? WHERE ref = ?"#).execute(arguments: [commission, now, ref])
        if let instrument = Journal.instrument(row), var holding = try Journal.holding(db, instrument) {
            holding.charge(commission, opened: opened)
            try Journal.save(db, instrument, holding, now: now)
        }
        return true
    }

    /// What the order path learns from the broker, to be journaled together.
    public enum Change: Sendable {
        case status(ref: String, status: String, filled: Int?, averagePrice: Double?, permId: Int?)
        case fill(TWSOrderMessages.Fill)
        case commission(execId: String, commission: Double)
    }

    /// Several changes in one transaction (what one read from the broker brought: an order's
    /// acknowledgement, its fill and its status arrive together), in order; for each, what it
    /// did (a fill or commission already recorded changed nothing).
    @discardableResult
    public func record(_ changes: [Change], now: Double) throws(Failure) -> [Recorded] {
        guard !changes.isEmpty else { return [] }
        return try write { db in
            try changes.map { change in
                switch change {
                case .status(let ref, let status, let filled, let averagePrice, let permId):
                    try Journal.status(db, ref: ref, status: status, filled: filled, averagePrice: averagePrice, permId: permId, reason: nil, now: now)
                    return .changed
                case .fill(let fill): return try Journal.fill(db, fill, now: now)
                case .commission(let execId, let commission):
                    return try Journal.commission(db, execId: execId, commission: commission, now: now) ? .changed : .unchanged
                }
            }
        }
    }

    // MARK: Decisions

    /// A signal, once (its id is its strategy, symbol and second); false when already recorded.
    @discardableResult
    public func recordSignal(_ signal: Signal) throws(Failure) -> Bool {
        try write { db in
            try db.cachedStatement(
                sql: "INSERT OR IGNORE INTO signal (id, time, strategy, symbol, direction, confidence, document) VALUES (?, ?, ?, ?, ?, ?, ?)"
            ).execute(arguments: [
                signal.id, signal.time, signal.strategy, signal.symbol, signal.direction.rawValue, signal.confidence, signal.json,
            ])
            return db.changesCount > 0
        }
    }

    /// A pre-trade decision, allowed or not, with its reason.
    public func recordDecision(_ order: ProposedOrder, _ decision: RiskDecision, now: Double) throws(Failure) {
        try write { db in
            try db.cachedStatement(
                sql: "INSERT INTO risk_decision (time, strategy, instrument, action, quantity, allowed, check_name, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
            ).execute(arguments: [
                now, order.strategy, order.instrument.description, order.action.rawValue, order.quantity, decision.allowed ? 1 : 0,
                decision.check?.rawValue, decision.reason,
            ])
        }
    }

    /// A circuit breaker's event.
    public func recordBreaker(_ event: BreakerEvent, now: Double) throws(Failure) {
        try write { db in
            try db.cachedStatement(sql: "INSERT INTO breaker_event (time, event) VALUES (?, ?)").execute(arguments: [now, event.text])
        }
    }

    public func signals(since: Double = 0) throws(Failure) -> [Signal] {
        try read { db in
            try String.fetchAll(db, sql: "SELECT document FROM signal WHERE time >= ? ORDER BY time, id", arguments: [since]).compactMap(Signal.read)
        }
    }

    /// The decisions, oldest first: (time, allowed, check, reason).
    public func decisions() throws(Failure) -> [(time: Double, allowed: Bool, check: String?, reason: String)] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT time, allowed, check_name, reason FROM risk_decision ORDER BY id").map {
                (time: $0["time"], allowed: ($0["allowed"] as Int) == 1, check: $0["check_name"], reason: $0["reason"])
            }
        }
    }

    public func breakerEvents() throws(Failure) -> [(time: Double, event: String)] {
        try read { db in try Row.fetchAll(db, sql: "SELECT time, event FROM breaker_event ORDER BY id").map { (time: $0["time"], event: $0["event"]) } }
    }

    // MARK: Managed positions

    /// A managed position as the journal holds it.
    public struct PositionRecord: Sendable, Equatable {
        public var id: String
        public var signalId: String?
        public var strategy: String
        public var instrument: Instrument
        public var side: OrderRequest.Action
        public var plan: ExitPlan
        public var openedAt: Double
        public var closedAt: Double?
        public var closeReason: String?
        public var realizedPnL: Double?
    }

    /// The managed position an entry opens (`recordSubmissions(_:opening:)`, with its orders).
    static func insert(_ db: Database, _ opening: Opening, instrument: Instrument, side: OrderRequest.Action, now: Double) throws {
        let planJSON = Document.encode(opening.plan)
        try db.cachedStatement(
            sql: "INSERT INTO managed_position (id, signal_id, strategy, instrument, side, plan, opened_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
        ).execute(arguments: [opening.id, opening.signalId, opening.strategy, instrument.description, side.rawValue, planJSON, now])
    }

    /// The position is done: closed by its exits, by the service, or never filled.
    public func closePosition(id: String, reason: String, realizedPnL: Double, now: Double) throws(Failure) {
        try write { db in
            try db.execute(
                sql: "UPDATE managed_position SET closed_at = ?, close_reason = ?, realized_pnl = ? WHERE id = ? AND closed_at IS NULL",
                arguments: [now, reason, realizedPnL, id])
        }
    }

    /// Managed positions, oldest first; only those not closed with `open`. A row that cannot be
    /// read is an error naming it, never left out: it may be an open position to rebuild.
    public func managedPositions(open: Bool = false) throws(Failure) -> [PositionRecord] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM managed_position \(open ? "WHERE closed_at IS NULL" : "") ORDER BY opened_at, id").map { row in
                guard let side = OrderRequest.Action(rawValue: row["side"]), let instrument = Instrument(description: row["instrument"]),
                    let plan = try? Document.decoder.decode(ExitPlan.self, from: Data((row["plan"] as String).utf8))
                else {
                    throw Failure(
                        description: "\(path): managed position \(row["id"] as String? ?? "?") cannot be read (side, instrument or exit plan damaged)")
                }
                return PositionRecord(
                    id: row["id"], signalId: row["signal_id"], strategy: row["strategy"], instrument: instrument, side: side, plan: plan,
                    openedAt: row["opened_at"], closedAt: row["closed_at"], closeReason: row["close_reason"], realizedPnL: row["realized_pnl"])
            }
        }
    }

    /// A managed position's outcome, for the reports: what it traded and how it ended (its
    /// exit plan is not read).
    public struct PositionOutcome: Sendable, Equatable {
        public var id: String
        public var signalId: String?
        public var strategy: String
        public var instrument: String
        public var symbol: String
        public var openedAt: Double
        public var closedAt: Double?
        public var closeReason: String?
        public var realizedPnL: Double?
    }

    /// Every managed position's outcome, oldest first.
    public func positionOutcomes() throws(Failure) -> [PositionOutcome] {
        try read { db in
            let rows = try Row.fetchCursor(
                db,
                sql: "SELECT id, signal_id, strategy, instrument, opened_at, closed_at, close_reason, realized_pnl FROM managed_position ORDER BY opened_at, id"
            )
            var out: [PositionOutcome] = []
            while let row = try rows.next() {
                let instrument: String = row[3]
                out.append(
                    PositionOutcome(
                        id: row[0], signalId: row[1], strategy: row[2], instrument: instrument, symbol: String(instrument.prefix { $0 != " " }),
                        openedAt: row[4], closedAt: row[5], closeReason: row[6], realizedPnL: row[7]))
            }
            return out
        }
    }

    /// Every order of a managed position (entries, their exits, the closing orders), by broker id.
    public func orders(position: String) throws(Failure) -> [Order] {
        let generation = positionOrders.withLock { $0.generation }
        let dataVersion = try dataVersion()
        let cached = positionOrders.withLock { cache -> [Order]? in
            if let stamp = cache.stamp, stamp == (generation, dataVersion) { return cache.byPosition[position] }
            cache.stamp = (generation, dataVersion)
            cache.byPosition = [:]
            return nil
        }
        if let cached { return cached }
        let orders = try read { db in
            try Row.fetchAll(db.cachedStatement(sql: #"SELECT * FROM "order" WHERE position_id = ? ORDER BY broker_id"#), arguments: [position])
                .compactMap(Journal.order)
        }
        // Kept only if nothing changed meanwhile (a later stamp has cleared the entries).
        positionOrders.withLock { cache in
            if let stamp = cache.stamp, stamp == (generation, dataVersion) { cache.byPosition[position] = orders }
        }
        return orders
    }

    /// SQLite's count of commits by other connections, as the writer's connection sees it.
    private func dataVersion() throws(Failure) -> Int {
        do {
            return try writer.writeWithoutTransaction { db in try Int.fetchOne(db.cachedStatement(sql: "PRAGMA data_version")) ?? 0 }
        } catch {
            throw Failure(description: "\(path): \(error)")
        }
    }

    /// The day's breaker state (a JSON document), kept per session.
    public func saveRiskDay(session: String, document: String, now: Double) throws(Failure) {
        try write { db in
            try db.execute(
                sql: """
                    INSERT INTO risk_day (session, document, updated_at) VALUES (?, ?, ?)
                    ON CONFLICT(session) DO UPDATE SET document = excluded.document, updated_at = excluded.updated_at
                    """, arguments: [session, document, now])
        }
    }

    public func riskDay(session: String) throws(Failure) -> String? {
        try read { db in try String.fetchOne(db, sql: "SELECT document FROM risk_day WHERE session = ?", arguments: [session]) }
    }

    // MARK: Reading

    public func order(ref: String) throws(Failure) -> Order? {
        try read { db in try Row.fetchOne(db.cachedStatement(sql: #"SELECT * FROM "order" WHERE ref = ?"#), arguments: [ref]).flatMap(Journal.order) }
    }

    /// Orders, newest first; only the open ones with `open`.
    public func orders(open: Bool = false, limit: Int = 1_000) throws(Failure) -> [Order] {
        try read { db in
            let filter = open ? "WHERE status NOT IN ('Filled', 'Cancelled', 'ApiCancelled', 'Rejected', 'Unconfirmed', 'External')" : ""
            return try Row.fetchAll(db, sql: #"SELECT * FROM "order" \#(filter) ORDER BY created_at DESC, ref DESC LIMIT ?"#, arguments: [limit])
                .compactMap(Journal.order)
        }
    }

    /// Fills, oldest first: of one order with `ref`, from a time on with `since`.
    public func fills(ref: String? = nil, since: Double? = nil) throws(Failure) -> [FillRow] {
        var conditions: [String] = []
        var arguments: [any DatabaseValueConvertible] = []
        if let ref { conditions.append("f.ref = ?"); arguments.append(ref) }
        if let since { conditions.append("f.time >= ?"); arguments.append(since) }
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        return try read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT f.*, o.symbol, o.sec_type, o.expiry, o.strike, o.option_right FROM fill f JOIN "order" o ON o.ref = f.ref
                    \(filter) ORDER BY f.time, f.exec_id
                    """, arguments: StatementArguments(arguments)
            ).compactMap { row in
                guard let instrument = Journal.instrument(row), let action = OrderRequest.Action(rawValue: row["action"]) else { return nil }
                return FillRow(
                    execId: row["exec_id"], ref: row["ref"], instrument: instrument, action: action, quantity: row["quantity"],
                    price: row["price"], time: row["time"], commission: row["commission"], realizedPnL: row["realized_pnl"])
            }
        }
    }

    /// Positions, open ones first; closed ones keep their realized P&L.
    public func positions() throws(Failure) -> [PositionRow] {
        try read { db in
            try Row.fetchAll(db.cachedStatement(sql: "SELECT * FROM position ORDER BY quantity = 0, instrument")).compactMap { row in
                guard let instrument = Journal.instrument(row) else { return nil }
                return PositionRow(
                    instrument: instrument,
                    holding: Holding(
                        quantity: row["quantity"], averageCost: row["average_cost"],
                        realizedPnL: row["realized_pnl"]), updatedAt: row["updated_at"])
            }
        }
    }

    /// The largest broker order id used by `clientId`, so that a restart never reuses one.
    public func largestBrokerId(clientId: Int) throws(Failure) -> Int {
        try read { db in try Int.fetchOne(db, sql: #"SELECT MAX(broker_id) FROM "order" WHERE client_id = ?"#, arguments: [clientId]) ?? 0 }
    }

    // MARK: Rows

    private static func columns(_ i: Instrument) -> (String, String, String?, Double?, String?) {
        switch i {
        case .stock(let s): return (s, "STK", nil, nil, nil)
        case .option(let s, let e, let k, let r): return (s, "OPT", e, k, r.rawValue)
        }
    }

    private static func instrument(_ row: Row) -> Instrument? {
        try? TWSOrderMessages.instrument(
            symbol: row["symbol"], secType: row["sec_type"], expiry: row["expiry"] ?? "",
            strike: (row["strike"] as Double?).map { String($0) } ?? "", right: row["option_right"] ?? "")
    }

    private static func holding(_ db: Database, _ instrument: Instrument) throws -> Holding? {
        try Row.fetchOne(
            db.cachedStatement(sql: "SELECT quantity, average_cost, realized_pnl FROM position WHERE instrument = ?"),
            arguments: [instrument.description]
        )
        .map { Holding(quantity: $0["quantity"], averageCost: $0["average_cost"], realizedPnL: $0["realized_pnl"]) }
    }

    private static func save(_ db: Database, _ instrument: Instrument, _ h: Holding, now: Double) throws {
        let (symbol, secType, expiry, strike, right) = columns(instrument)
        try db.cachedStatement(
            sql: """
                INSERT INTO position (instrument, symbol, sec_type, expiry, strike, option_right, quantity, average_cost, realized_pnl, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(instrument) DO UPDATE SET quantity = excluded.quantity, average_cost = excluded.average_cost,
                    realized_pnl = excluded.realized_pnl, updated_at = excluded.updated_at
                """
        ).execute(arguments: [instrument.description, symbol, secType, expiry, strike, right, h.quantity, h.averageCost, h.realizedPnL, now])
    }

    private static func order(_ row: Row) -> Order? {
        guard let instrument = instrument(row), let action = OrderRequest.Action(rawValue: row["action"]),
            let tif = OrderRequest.TimeInForce(rawValue: row["tif"])
        else { return nil }
        let limit: Double? = row["limit_price"], stop: Double? = row["stop_price"]
        let kind: OrderRequest.Kind
        switch row["order_type"] as String {
        case "LMT": kind = .limit(limit ?? 0)
        case "STP": kind = .stop(trigger: stop ?? 0)
        case "STP LMT": kind = .stopLimit(trigger: stop ?? 0, limit: limit ?? 0)
        default: kind = .market
        }
        let request = OrderRequest(
            id: row["broker_id"], instrument: instrument, action: action, quantity: row["quantity"], kind: kind,
            timeInForce: tif, parentId: nil, ocaGroup: row["oca_group"], orderRef: row["ref"])
        return Order(
            ref: row["ref"], request: request, clientId: row["client_id"], permId: row["perm_id"], parentRef: row["parent_ref"],
            strategy: row["strategy"], position: row["position_id"], status: row["status"], filled: row["filled"], averagePrice: row["average_price"],
            commission: row["commission"], reason: row["reason"], createdAt: row["created_at"], updatedAt: row["updated_at"])
    }
}
