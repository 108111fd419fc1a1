import Foundation
import GRDB

/// Why a restore did not happen or did not finish. `refused`: nothing was changed (a tampered
/// backup, a store from a newer build, its owner still running) — invalid input, exit 2.
/// `failed`: the copy or its check failed; what was replaced has been put back — exit 1.
public enum RestoreError: Error, CustomStringConvertible, Sendable, Equatable {
    case refused(String)
    case failed(String)
    public var description: String {
        switch self {
        case .refused(let why), .failed(let why): why
        }
    }
}

/// Which processes hold a file open, from `/proc` (as `fuser` finds them): a store is restored
/// only when nothing has it open.
public enum OpenFiles {
    public struct Holder: Sendable, Equatable, CustomStringConvertible {
        public var pid: Int32
        public var command: String
        public var path: String
        public var description: String { "pid \(pid) (\(command))" }
    }

    /// Processes other than this one with any of `paths` open (a directory: anything under it).
    public static func holders(of paths: [String]) -> [Holder] {
        let targets = paths.compactMap { path -> String? in
            guard let real = realpath(path, nil) else { return nil }
            defer { free(real) }
            return String(cString: real)
        }
        guard !targets.isEmpty, let pids = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        let me = getpid()
        var out: [Holder] = []
        for name in pids {
            guard let pid = Int32(name), pid != me, let fds = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(name)/fd") else { continue }
            for fd in fds {
                guard let link = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(name)/fd/\(fd)") else { continue }
                guard let hit = targets.first(where: { link == $0 || link.hasPrefix($0 + "/") }) else { continue }
                out.append(Holder(pid: pid, command: command(of: pid), path: hit))
                break
            }
        }
        return out
    }

    static func command(of pid: Int32) -> String {
        let raw = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") ?? Data()
        let words = raw.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
        guard let first = words.first else { return "?" }
        return ([URL(fileURLWithPath: first).lastPathComponent] + words.dropFirst().prefix(3)).joined(separator: " ")
    }

    /// The refusal for a store or directory still in use, naming who uses it.
    public static func refusal(_ what: String, holders: [Holder]) -> RestoreError {
        .refused("\(what) is open in \(holders.map(\.description).joined(separator: ", ")): stop \(holders.count == 1 ? "it" : "them") first")
    }
}

/// Files and directories put back from a backup: each existing target moved into the undo
/// directory first, the backup's copy written beside it under a temporary name and renamed
/// into place, then checked against the manifest. A failure puts the replaced items back.
public enum FileRestore {
    public struct Item: Sendable {
        /// Path inside the backup (as the manifest names it, or a directory holding such paths).
        public var source: String
        public var target: String
        public init(source: String, target: String) { self.source = source; self.target = target }
    }

    /// Restores `items` from `backup`, keeping what they replace under `undo` (by the item's
    /// source path). Returns how many files were restored.
    @discardableResult
    public static func restore(_ items: [Item], from backup: String, manifest: BackupManifest, undo: String) throws(RestoreError) -> Int {
        let fm = FileManager.default
        var moved: [(from: String, to: String)] = []
        var placed: [String] = []
        func rollBack() {
            for p in placed { try? fm.removeItem(atPath: p) }
            for m in moved.reversed() { try? fm.moveItem(atPath: m.to, toPath: m.from) }
        }
        do {
            for item in items {
                if fm.fileExists(atPath: item.target) {
                    let kept = undo + "/" + item.source
                    try fm.createDirectory(atPath: (kept as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                    try fm.moveItem(atPath: item.target, toPath: kept)
                    moved.append((item.target, kept))
                }
                let parent = (item.target as NSString).deletingLastPathComponent
                if !parent.isEmpty { try fm.createDirectory(atPath: parent, withIntermediateDirectories: true) }
                let temporary = item.target + ".restoring"
                try? fm.removeItem(atPath: temporary)
                try fm.copyItem(atPath: backup + "/" + item.source, toPath: temporary)
                try fm.moveItem(atPath: temporary, toPath: item.target)
                placed.append(item.target)
            }
        } catch {
            rollBack()
            throw .failed("restoring \(items.map(\.target).joined(separator: ", ")): \(error.localizedDescription); what was there is back in place")
        }
        var count = 0
        var problems: [String] = []
        for item in items {
            for f in manifest.files where f.path == item.source || f.path.hasPrefix(item.source + "/") {
                count += 1
                let restored = item.target + f.path.dropFirst(item.source.count)
                guard let (digest, bytes) = try? SHA256.file(restored), bytes == f.bytes, digest == f.sha256 else {
                    problems.append("\(restored) does not match the manifest's \(f.path)")
                    continue
                }
            }
        }
        guard problems.isEmpty else {
            rollBack()
            throw .failed(problems.joined(separator: "; ") + "; what was there is back in place")
        }
        return count
    }
}

/// A SQLite store put back from a backup's copy (`stores/NAME.sqlite`): refused when the copy
/// was written by a newer build (a migration this build does not know) or the store is open in
/// another process; the store's files (with its -wal and -shm) kept under the undo directory;
/// the copy placed through a temporary name; then `integrity_check` and every table's row count
/// against the copy's. A failed check puts the old files back.
public enum StoreRestore {
    public struct Result: Sendable, Equatable {
        public var tables: Int
        public var rows: Int
    }

    /// The refusals, checked before anything changes: the copy's schema and who has the store open.
    public static func preflight(_ copy: String, target: String, knownMigrations: [String], what: String) throws(RestoreError) {
        let unknown: [String]
        do {
            var readOnly = Configuration()
            readOnly.readonly = true
            let q = try DatabaseQueue(path: copy, configuration: readOnly)
            unknown = try q.read { db in
                guard try db.tableExists("grdb_migrations") else { return [] }
                return try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations").filter { !knownMigrations.contains($0) }
            }
        } catch {
            throw .refused("\(copy): cannot be read as a SQLite store: \(error)")
        }
        guard unknown.isEmpty else {
            throw .refused(
                "\(copy): \(what) written by a newer build (migration \(unknown.joined(separator: ", ")) unknown to this one): restore it with that build")
        }
        let holders = OpenFiles.holders(of: [target, target + "-wal", target + "-shm"])
        guard holders.isEmpty else { throw OpenFiles.refusal(target, holders: holders) }
    }

    public static func restore(_ copy: String, to target: String, undo: String, knownMigrations: [String], what: String) throws(RestoreError) -> Result {
        try preflight(copy, target: target, knownMigrations: knownMigrations, what: what)
        var rows: [String: Int] = [:]
        do {
            var readOnly = Configuration()
            readOnly.readonly = true
            let q = try DatabaseQueue(path: copy, configuration: readOnly)
            try q.read { db in
                for table in try StoreBackup.tables(db) { rows[table] = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \"\(table)\"") ?? 0 }
            }
        } catch {
            throw .refused("\(copy): cannot be read: \(error)")
        }
        let fm = FileManager.default
        let name = (target as NSString).lastPathComponent
        var moved: [(from: String, to: String)] = []
        func rollBack() {
            try? fm.removeItem(atPath: target)
            for m in moved { try? fm.moveItem(atPath: m.to, toPath: m.from) }
        }
        do {
            try fm.createDirectory(atPath: undo, withIntermediateDirectories: true)
            for suffix in ["", "-wal", "-shm"] where fm.fileExists(atPath: target + suffix) {
                try fm.moveItem(atPath: target + suffix, toPath: undo + "/" + name + suffix)
                moved.append((target + suffix, undo + "/" + name + suffix))
            }
            let parent = (target as NSString).deletingLastPathComponent
            if !parent.isEmpty { try fm.createDirectory(atPath: parent, withIntermediateDirectories: true) }
            let temporary = target + ".restoring"
            try? fm.removeItem(atPath: temporary)
            try fm.copyItem(atPath: copy, toPath: temporary)
            try fm.moveItem(atPath: temporary, toPath: target)
        } catch {
            try? fm.removeItem(atPath: target + ".restoring")
            rollBack()
            throw .failed("restoring \(target): \(error.localizedDescription); what was there is back in place")
        }
        let check: StoreBackup.Verification
        do { check = try StoreBackup.verify(target, against: rows) } catch {
            rollBack()
            throw .failed("\(target) after the restore: \(error); what was there is back in place")
        }
        guard check.ok else {
            rollBack()
            throw .failed(
                "\(target) after the restore: integrity \(check.integrity); \(check.mismatched.joined(separator: "; ")); what was there is back in place")
        }
        return Result(tables: rows.count, rows: rows.values.reduce(0, +))
    }
}

extension BackupManifest {
    /// The backup at `directory` read and checked before a restore: a missing or unreadable
    /// manifest, a backup that failed its checks when made, or any file that differs from the
    /// manifest is a refusal naming it.
    public static func checked(_ directory: String) throws(RestoreError) -> BackupManifest {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw .refused("\(directory): no such backup directory")
        }
        guard let manifest = read(directory + "/manifest.json") else {
            throw .refused("\(directory)/manifest.json: missing or not a backup manifest — not a complete backup")
        }
        if (directory as NSString).lastPathComponent.hasPrefix("failed-") {
            let failed = manifest.verifications.filter { !$0.value.hasPrefix("ok") }.map { "\($0.key): \($0.value)" }.sorted()
            throw .refused("\(directory): this backup failed its checks when it was made (\(failed.joined(separator: "; "))); choose another")
        }
        let problems = manifest.problems(in: directory)
        guard problems.isEmpty else { throw .refused("\(directory): does not match its manifest: \(problems.joined(separator: "; "))") }
        return manifest
    }
}

/// A backup's (and an undo directory's) name: its UTC time, `20261207T220000Z`.
public enum BackupName {
    static func formatter() -> DateFormatter {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        return f
    }

    public static func stamp(_ seconds: Double) -> String { formatter().string(from: Date(timeIntervalSince1970: seconds)) }

    /// The time a name stands for, or nil when it is not one (a temporary, a failed-… backup).
    public static func time(of name: String) -> Double? {
        guard name.count == 16, name.hasSuffix("Z"), name.dropFirst(8).first == "T" else { return nil }
        return formatter().date(from: name)?.timeIntervalSince1970
    }
}
