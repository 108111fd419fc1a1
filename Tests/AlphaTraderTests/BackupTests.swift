import AlphaTrader
import Foundation
import GRDB
import OrchestratorCore
import Testing

@Suite("Backups: a verified online copy of a SQLite store, and a manifest that finds any change", .serialized)
struct BackupTests {
    /// Every row of every table, in order, as one digest.
    static func digest(_ path: String) throws -> String {
        let q = try DatabaseQueue(path: path)
        return try q.read { db in
            var s = SHA256()
            for table in try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name") {
                s.update(Array(table.utf8))
                for row in try Row.fetchAll(db, sql: "SELECT * FROM \"\(table)\" ORDER BY 1") { s.update(Array(row.description.utf8)) }
            }
            return s.finish()
        }
    }

    static func store(rows: Int) throws -> String {
        let path = temporaryPath("sqlite")
        let pool = try DatabasePool(path: path)
        try pool.write { db in
            try db.execute(sql: "CREATE TABLE run (id INTEGER PRIMARY KEY, job TEXT NOT NULL, state TEXT NOT NULL, at REAL NOT NULL)")
            try db.execute(sql: "CREATE TABLE attempt (id INTEGER PRIMARY KEY, run INTEGER NOT NULL REFERENCES run(id), exit INTEGER)")
            for i in 0..<rows {
                try db.execute(
                    sql: "INSERT INTO run (job, state, at) VALUES (?, ?, ?)", arguments: ["job\(i % 7)", i % 5 == 0 ? "failed" : "succeeded", Double(i)])
                try db.execute(sql: "INSERT INTO attempt (run, exit) VALUES (?, ?)", arguments: [i + 1, i % 5 == 0 ? 1 : 0])
            }
        }
        return path
    }

    static func remove(_ path: String) { for s in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + s) } }

    @Test("the copy is every row of the source, integrity ok, counts equal; an existing destination or a missing source is refused")
    func copy() throws {
        let source = try Self.store(rows: 5_000)
        let copy = temporaryPath("sqlite")
        defer { Self.remove(source); Self.remove(copy) }
        let v = try StoreBackup.copy(source, to: copy)
        #expect(v.ok && v.integrity == "ok" && v.rows == ["attempt": 5_000, "run": 5_000])
        #expect(try Self.digest(copy) == Self.digest(source))
        #expect { _ = try StoreBackup.copy(source, to: copy) } throws: { ($0 as! StoreBackup.Failure).description.contains("already exists") }
        #expect { _ = try StoreBackup.copy(source + ".none", to: copy + "2") } throws: { ($0 as! StoreBackup.Failure).description.contains("no such store") }
    }

    @Test("a copy taken while a writer keeps writing is one consistent snapshot: its counts are the snapshot's, and it verifies")
    func whileWriting() throws {
        let source = try Self.store(rows: 2_000)
        let copy = temporaryPath("sqlite")
        defer { Self.remove(source); Self.remove(copy) }
        let writer = try DatabasePool(path: source)
        let done = DispatchSemaphore(value: 0)
        let stop = ManagedAtomicFlag()
        Thread {
            var i = 0
            while !stop.isSet {
                try? writer.write { db in
                    try db.execute(sql: "INSERT INTO run (job, state, at) VALUES ('late', 'succeeded', ?)", arguments: [Double(i)])
                    try db.execute(sql: "INSERT INTO attempt (run, exit) VALUES (last_insert_rowid(), 0)")
                }
                i += 1
            }
            done.signal()
        }.start()
        usleep(50_000)
        let v = try StoreBackup.copy(source, to: copy)
        stop.set()
        done.wait()
        #expect(v.ok, "\(v)")
        #expect(v.rows["run"] == v.rows["attempt"], "runs and their attempts from one snapshot: \(v.rows)")
        #expect((v.rows["run"] ?? 0) > 2_000)
    }

    @Test("verification names a table whose rows differ; the manifest names a file changed, resized or missing")
    func tampering() throws {
        let source = try Self.store(rows: 100)
        let dir = NSTemporaryDirectory() + "backup-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir + "/runs", withIntermediateDirectories: true)
        defer { Self.remove(source); try? FileManager.default.removeItem(atPath: dir) }
        let v = try StoreBackup.copy(source, to: dir + "/runs/orchestrator.sqlite")
        try "timezone: America/New_York\n".write(toFile: dir + "/config.yaml", atomically: true, encoding: .utf8)
        let manifest = try BackupManifest.of(dir, created: "2026-12-07T22:00:00Z", verifications: ["runs": v.ok ? "ok" : "failed"])
        #expect(manifest.files.map(\.path) == ["config.yaml", "runs/orchestrator.sqlite"])
        #expect(manifest.problems(in: dir).isEmpty)
        #expect(BackupManifest.read(dir + "/manifest.json") == nil)
        try manifest.json.write(toFile: dir + "/manifest.json", atomically: true, encoding: .utf8)
        #expect(BackupManifest.read(dir + "/manifest.json") == manifest)
        try "timezone: Europe/London\n".write(toFile: dir + "/config.yaml", atomically: true, encoding: .utf8)
        #expect(manifest.problems(in: dir) == ["config.yaml: 24 bytes, the manifest says 27"])
        try "timezone: America/New_Yorx\n".write(toFile: dir + "/config.yaml", atomically: true, encoding: .utf8)
        #expect(manifest.problems(in: dir).first?.hasPrefix("config.yaml: SHA-256 ") == true)
        try FileManager.default.removeItem(atPath: dir + "/config.yaml")
        #expect(manifest.problems(in: dir) == ["config.yaml: missing"])
        let copy = try DatabaseQueue(path: dir + "/runs/orchestrator.sqlite")
        try copy.write { db in try db.execute(sql: "DELETE FROM attempt WHERE id > 90") }
        try copy.close()
        let again = try StoreBackup.verify(dir + "/runs/orchestrator.sqlite", against: v.rows)
        #expect(!again.ok && again.mismatched == ["attempt: 90 rows, the source had 100"])
    }
}

/// A flag one thread sets and another reads.
final class ManagedAtomicFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return value }
    func set() { lock.lock(); value = true; lock.unlock() }
}
