import Foundation
import GRDB

/// A consistent, verified copy of a SQLite store (the run store, the trade journal, the
/// outbox) by SQLite's online backup API, from one read snapshot: the copy passes `PRAGMA
/// integrity_check` and holds, table by table, as many rows as the source did in that snapshot.
public enum StoreBackup {
    public struct Verification: Sendable, Equatable, Codable {
        /// `PRAGMA integrity_check`'s answer on the copy ("ok").
        public var integrity: String
        /// Rows per table, in the source's snapshot.
        public var rows: [String: Int]
        /// Tables whose row count differs in the copy (none when verified).
        public var mismatched: [String]
        public var ok: Bool { integrity == "ok" && mismatched.isEmpty }
    }

    public struct Failure: Error, CustomStringConvertible, Sendable { public let description: String }

    /// Copies `source` to `destination` (which must not exist) and verifies the copy.
    public static func copy(_ source: String, to destination: String) throws(Failure) -> Verification {
        guard FileManager.default.fileExists(atPath: source) else { throw Failure(description: "\(source): no such store") }
        guard !FileManager.default.fileExists(atPath: destination) else { throw Failure(description: "\(destination): already exists") }
        do {
            var readOnly = Configuration()
            readOnly.readonly = true
            let from = try DatabasePool(path: source, configuration: readOnly)
            let to = try DatabaseQueue(path: destination)
            var rows: [String: Int] = [:]
            try from.read { db in
                for table in try tables(db) { rows[table] = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \"\(table)\"") ?? 0 }
                try to.writeWithoutTransaction { dest in try db.backup(to: dest) }
            }
            // One self-contained file: a WAL store's copy would bring a -wal and -shm beside it.
            try to.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA journal_mode = DELETE") }
            try to.close()
            return try verify(destination, against: rows)
        } catch let failure as Failure {
            throw failure
        } catch let error as DatabaseError {
            try? FileManager.default.removeItem(atPath: destination)
            throw Failure(description: "\(source) → \(destination): \(error.message ?? error.description)")
        } catch {
            try? FileManager.default.removeItem(atPath: destination)
            throw Failure(description: "\(source) → \(destination): \(error)")
        }
    }

    /// A copy checked: integrity and the row counts it should hold.
    public static func verify(_ path: String, against rows: [String: Int]) throws(Failure) -> Verification {
        do {
            var readOnly = Configuration()
            readOnly.readonly = true
            let copy = try DatabaseQueue(path: path, configuration: readOnly)
            return try copy.read { db in
                let integrity = try String.fetchAll(db, sql: "PRAGMA integrity_check").joined(separator: "; ")
                var mismatched: [String] = []
                let present = Set(try tables(db))
                for (table, n) in rows.sorted(by: { $0.key < $1.key }) {
                    let m = present.contains(table) ? try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \"\(table)\"") ?? -1 : -1
                    if m != n { mismatched.append("\(table): \(m < 0 ? "missing" : String(m)) rows, the source had \(n)") }
                }
                return Verification(integrity: integrity, rows: rows, mismatched: mismatched)
            }
        } catch let error as DatabaseError {
            throw Failure(description: "\(path): \(error.message ?? error.description)")
        } catch {
            throw Failure(description: "\(path): \(error)")
        }
    }

    static func tables(_ db: Database) throws -> [String] {
        try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
    }
}

/// A backup's `manifest.json` (SPEC §12): every file with its size and SHA-256, and what each
/// verification said. A restore checks it before touching anything.
public struct BackupManifest: Sendable, Equatable, Codable {
    public struct File: Sendable, Equatable, Codable {
        public var path: String
        public var bytes: Int
        public var sha256: String
        public init(path: String, bytes: Int, sha256: String) { self.path = path; self.bytes = bytes; self.sha256 = sha256 }
    }
    public var created: String
    public var files: [File]
    /// By part (runs, journal, redis…): what its verification found.
    public var verifications: [String: String]

    public init(created: String, files: [File], verifications: [String: String]) {
        self.created = created; self.files = files; self.verifications = verifications
    }

    /// The manifest of every file under `directory` (but the manifest itself), by relative path.
    public static func of(_ directory: String, created: String, verifications: [String: String]) throws -> BackupManifest {
        var files: [File] = []
        let root = URL(fileURLWithPath: directory).standardizedFileURL.path
        guard let walker = FileManager.default.enumerator(atPath: root) else { throw StoreBackup.Failure(description: "\(directory): cannot be read") }
        for case let relative as String in walker {
            var isDirectory: ObjCBool = false
            let full = root + "/" + relative
            guard FileManager.default.fileExists(atPath: full, isDirectory: &isDirectory), !isDirectory.boolValue, relative != "manifest.json" else { continue }
            let (digest, bytes) = try SHA256.file(full)
            files.append(File(path: relative, bytes: bytes, sha256: digest))
        }
        return BackupManifest(created: created, files: files.sorted { $0.path < $1.path }, verifications: verifications)
    }

    /// What in `directory` does not match the manifest, each file named; empty when it all does.
    public func problems(in directory: String) -> [String] {
        var out: [String] = []
        for f in files {
            let full = directory + "/" + f.path
            guard let (digest, bytes) = try? SHA256.file(full) else {
                out.append("\(f.path): missing")
                continue
            }
            if bytes != f.bytes {
                out.append("\(f.path): \(bytes) bytes, the manifest says \(f.bytes)")
            } else if digest != f.sha256 {
                out.append("\(f.path): SHA-256 \(digest.prefix(12))…, the manifest says \(f.sha256.prefix(12))…")
            }
        }
        return out
    }

    public var json: String {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return String(decoding: (try? e.encode(self)) ?? Data("{}".utf8), as: UTF8.self)
    }

    public static func read(_ path: String) -> BackupManifest? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return try? JSONDecoder().decode(BackupManifest.self, from: data)
    }
}
