import AlphaTrader
import Backups
import Foundation
import GRDB
import OrchestratorCore
import Redis
import TestSupport
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

@Suite("Backups of Redis: a snapshot and the append-only files, checked, and loaded back equal", .serialized)
struct RedisBackupTests {
    /// Every key's type, value and TTL class, in key order.
    static func digest(_ redis: RedisClient) throws -> (keys: Int, digest: String) {
        var keys: [String] = []
        var cursor = "0"
        repeat {
            guard case .array(let parts) = try redis.command(["SCAN", cursor, "COUNT", "1000"]), parts.count == 2, case .array(let found) = parts[1] else {
                break
            }
            cursor = parts[0].text ?? "0"
            keys += found.compactMap(\.text)
        } while cursor != "0"
        var s = SHA256()
        for key in keys.sorted() {
            let type = try redis.command(["TYPE", key]).text ?? "?"
            var value: String
            switch type {
            case "string": value = try redis.command(["GET", key]).text ?? ""
            case "hash": value = "\(try redis.command(["HGETALL", key]))"
            case "list": value = "\(try redis.command(["LRANGE", key, "0", "-1"]))"
            case "stream": value = "\(try redis.command(["XRANGE", key, "-", "+"]))"
            default: value = "?"
            }
            let ttl = try redis.command(["PTTL", key]).integer ?? -2
            s.update(Array("\(key)|\(type)|\(value)|\(ttl > 0 ? "expires" : String(ttl))\n".utf8))
        }
        return (keys.count, s.finish())
    }

    @Test("backup → a new Redis on the copy → every key, value and TTL class equal; the RDB and the AOF both pass their checkers")
    func roundTrip() throws {
        let server = try RedisServer(arguments: ["--appendonly", "yes"])
        defer { server.stop() }
        let redis = try RedisClient(url: try RedisURL(parsing: server.url))
        var commands: [[String]] = []
        for i in 0..<2_000 {
            commands.append(["SET", "market:S\(i % 12):k\(i)", "{\"v\":\(i),\"name\":\"é\(i)\"}"] + (i % 3 == 0 ? ["EX", "86400"] : []))
            if i % 10 == 0 { commands.append(["HSET", "posts:morning:d\(i)", "discord", "{\"ids\":[\"\(i)\"]}", "x", "\(i)"]) }
            if i % 50 == 0 { commands.append(["RPUSH", "alerts:outbox", "a\(i)", "b\(i)"]) }
            if i % 100 == 0 { commands.append(["XADD", "signals:stream", "*", "signal", "{\"id\":\"s\(i)\"}"]) }
        }
        _ = try redis.pipeline(commands)
        let before = try Self.digest(redis)
        let dir = NSTemporaryDirectory() + "redis-backup-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let result = try RedisBackup.copy(redis, to: dir)
        #expect(result.ok, "\(result.checks)")
        #expect(result.files.first == "dump.rdb" && result.files.contains { $0.hasSuffix(".manifest") })
        #expect(result.checks["rdb"] == "ok (redis-check-rdb)" && result.checks["aof"] == "ok (redis-check-aof)")
        guard case .array(let setting) = try redis.command(["CONFIG", "GET", "auto-aof-rewrite-percentage"]) else { throw TestFailure("no CONFIG reply") }
        #expect(setting.last?.text == "100", "rewrites allowed again")
        // Restored: a Redis started on the copy.
        let restored = try RedisServer(arguments: ["--dir", dir, "--dbfilename", "dump.rdb"])
        defer { restored.stop() }
        let after = try Self.digest(try RedisClient(url: try RedisURL(parsing: restored.url)))
        #expect(after.keys == before.keys && after.keys > 2_000)
        #expect(after.digest == before.digest)
    }

    @Test("a damaged RDB fails its check; Redis down is a failure that says so")
    func failures() throws {
        let server = try RedisServer()
        let redis = try RedisClient(url: try RedisURL(parsing: server.url))
        _ = try redis.pipeline((0..<500).map { ["SET", "k\($0)", String(repeating: "v", count: 100)] })
        let dir = NSTemporaryDirectory() + "redis-backup-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let result = try RedisBackup.copy(redis, to: dir)
        #expect(result.ok && result.checks["aof"] == nil, "no AOF configured: the snapshot alone")
        var bytes = [UInt8](FileManager.default.contents(atPath: dir + "/dump.rdb")!)
        for i in stride(from: 200, to: min(bytes.count, 2_000), by: 7) { bytes[i] ^= 0xFF }
        try Data(bytes).write(to: URL(fileURLWithPath: dir + "/dump.rdb"))
        #expect(!RedisBackup.verifyRDB(dir + "/dump.rdb").ok)
        server.stop()
        #expect { _ = try RedisBackup.copy(redis, to: dir + "/again") } throws: { ($0 as! RedisBackup.Failure).description.hasPrefix("redis:") }
    }
}

@Suite("Redis's AOF compacted on demand: smaller, the data unchanged; AOF off and Redis down said plainly", .serialized)
struct RedisCompactionTests {
    @Test("a book key rewritten thousands of times: after compaction the AOF is a fraction of its size and a Redis loading it has every key and value")
    func compacts() throws {
        let server = try RedisServer(arguments: ["--appendonly", "yes", "--auto-aof-rewrite-percentage", "0"])
        defer { server.stop() }
        let redis = try RedisClient(url: try RedisURL(parsing: server.url))
        for round in 0..<40 {
            _ = try redis.pipeline((0..<500).map { ["SET", "market:S\($0 % 12):book\($0)", String(repeating: "\(round)", count: 200)] })
        }
        let before = try RedisBackupTests.digest(redis)
        guard case .compacted(let r) = try RedisCompaction.run(redis, timeout: 60) else { throw TestFailure("the AOF is on") }
        #expect(r.before > 3_000_000, "forty writes of each key: \(r.before) bytes")
        #expect(r.after * 10 < r.before, "one write of each key is left: \(r.before) → \(r.after)")
        // A second compaction right after is counted as its own (not the one before).
        guard case .compacted(let again) = try RedisCompaction.run(redis, timeout: 60) else { throw TestFailure("the AOF is on") }
        #expect(again.after <= r.after + 1_000)
        // Redis restarted on its compacted files has the same data.
        try server.restart()  // same directory: it loads the compacted AOF
        let after = try RedisBackupTests.digest(try RedisClient(url: try RedisURL(parsing: server.url)))
        #expect(after.keys == 500 && after.digest == before.digest)
    }

    @Test("appendonly no: nothing to compact (not a failure); Redis down: a failure naming Redis")
    func offAndDown() throws {
        let server = try RedisServer()
        let redis = try RedisClient(url: try RedisURL(parsing: server.url))
        #expect(try RedisCompaction.run(redis, timeout: 5) == .aofOff)
        server.stop()
        #expect { _ = try RedisCompaction.run(redis, timeout: 5) } throws: { ($0 as! RedisBackup.Failure).description.hasPrefix("redis:") }
    }
}

@Suite("alphatrader backup end to end: Redis with its AOF, the stores, config; the copy elsewhere; retention; Redis down", .serialized)
struct BackupCommandTests {
    @Test("a backup verifies every part, writes its manifest, is copied to copy_to and checked; the older ones go by retention; Redis down leaves nothing")
    func backup() throws {
        let redisServer = try RedisServer(arguments: ["--appendonly", "yes"])
        defer { redisServer.stop() }
        let redis = try RedisClient(url: try RedisURL(parsing: redisServer.url))
        _ = try redis.pipeline((0..<300).map { ["SET", "k\($0)", "v\($0)"] })
        let dir = NSTemporaryDirectory() + "backup-cli-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir + "/config", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: dir + "/var", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try """
        timezone: America/New_York
        calendar: XNYS
        database: var/orchestrator.sqlite
        redis: { url: "\(redisServer.url)" }
        backup: { directory: var/backups, keep: { daily: 1, weekly: 0, monthly: 0 }, copy_to: var/offsite }
        """.write(toFile: dir + "/config/config.yaml", atomically: true, encoding: .utf8)
        let journal = try Journal(path: dir + "/var/trading.sqlite")
        try journal.recordBreaker(.halted(reason: "test"), now: 1)
        let store = try DatabaseQueue(path: dir + "/var/orchestrator.sqlite")
        try store.write { db in
            try db.execute(sql: "CREATE TABLE run (id INTEGER PRIMARY KEY, job TEXT)")
            try db.execute(sql: "INSERT INTO run (job) VALUES ('a'), ('b'), ('c')")
        }
        try store.close()
        let cli = AlphaTraderCLITests()
        let first = try cli.run(["backup", "--json"], in: dir)
        #expect(first.status == 0, "\(first.stderr)")
        let manifest = try #require(try JSONDecoder().decode(BackupManifest.self, from: Data(first.stdout.utf8)))
        #expect(manifest.verifications["runs"] == "ok (integrity ok, 3 rows in 1 tables)")
        #expect(manifest.verifications["journal"]?.hasPrefix("ok") == true)
        #expect(manifest.verifications["redis.rdb"] == "ok (redis-check-rdb)" && manifest.verifications["redis.aof"] == "ok (redis-check-aof)")
        #expect(manifest.files.map(\.path).contains("config/config.yaml") && manifest.files.map(\.path).contains("stores/runs.sqlite"))
        let made = try FileManager.default.contentsOfDirectory(atPath: dir + "/var/backups")
        #expect(made.count == 1 && made[0].hasSuffix("Z"))
        #expect(manifest.problems(in: dir + "/var/offsite/" + made[0]).isEmpty, "the copy elsewhere matches the manifest")
        sleep(1)
        let second = try cli.run(["backup"], in: dir)
        #expect(second.status == 0, "\(second.stderr)")
        let kept = try FileManager.default.contentsOfDirectory(atPath: dir + "/var/backups")
        #expect(kept.count == 1 && kept[0] != made[0], "keep daily 1: today's newer backup only")
        redisServer.stop()
        let down = try cli.run(["backup"], in: dir)
        #expect(down.status == 1 && down.stderr.contains("backup not made") && down.stderr.contains("nothing older removed"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/var/backups") == kept, "no partial copy left, nothing removed")
    }

    @Test(
        "backup → Redis flushed and stopped, the journal and the run store lost → restore → every key, value and TTL class and every row equal; refused while Redis runs, while the journal is open, when tampered with or from a newer build"
    )
    func restoreRoundTrip() throws {
        let dir = NSTemporaryDirectory() + "restore-cli-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir + "/config", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: dir + "/var/redis", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let redisArguments = ["--appendonly", "yes", "--dir", dir + "/var/redis"]
        var redisServer = try RedisServer(arguments: redisArguments)
        defer { redisServer.stop() }
        let redis = try RedisClient(url: try RedisURL(parsing: redisServer.url))
        var commands: [[String]] = []
        for i in 0..<1_000 {
            commands.append(["SET", "market:S\(i % 12):k\(i)", "{\"v\":\(i)}"] + (i % 3 == 0 ? ["EX", "86400"] : []))
            if i % 10 == 0 { commands.append(["HSET", "posts:morning:d\(i)", "discord", "\(i)"]) }
            if i % 100 == 0 { commands.append(["XADD", "signals:stream", "*", "signal", "{\"id\":\"s\(i)\"}"]) }
        }
        _ = try redis.pipeline(commands)
        try """
        timezone: America/New_York
        calendar: XNYS
        database: var/orchestrator.sqlite
        redis: { url: "\(redisServer.url)" }
        backup: { directory: var/backups }
        """.write(toFile: dir + "/config/config.yaml", atomically: true, encoding: .utf8)
        do {
            let journal = try Journal(path: dir + "/var/trading.sqlite")
            try journal.recordBreaker(.halted(reason: "test"), now: 1)
            try journal.recordBreaker(.sizeRestored, now: 2)
        }
        let store = try DatabaseQueue(path: dir + "/var/orchestrator.sqlite")
        try store.write { db in
            try db.execute(sql: "CREATE TABLE run (id INTEGER PRIMARY KEY, job TEXT)")
            try db.execute(sql: "INSERT INTO run (job) VALUES ('a'), ('b'), ('c')")
        }
        try store.close()
        let cli = AlphaTraderCLITests()
        let made = try cli.run(["backup"], in: dir)
        #expect(made.status == 0, "\(made.stderr)")
        let name = try #require(try FileManager.default.contentsOfDirectory(atPath: dir + "/var/backups").first)
        let backup = dir + "/var/backups/" + name
        let redisBefore = try RedisBackupTests.digest(redis)
        let journalBefore = try BackupTests.digest(dir + "/var/trading.sqlite")
        let runsBefore = try BackupTests.digest(dir + "/var/orchestrator.sqlite")

        // Refused while Redis runs: nothing changed.
        let running = try cli.run(["restore", "--from", backup], in: dir)
        #expect(running.status == 2 && running.stderr.contains("Redis answers at 127.0.0.1:\(redisServer.port)"), "\(running.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/var/restore-undo"))
        // The loss: Redis emptied (its AOF says so) and stopped, the journal gone, the run store damaged.
        _ = try redis.command(["FLUSHALL"])
        usleep(1_100_000)  // appendfsync everysec: the FLUSHALL on disk
        redisServer.kill()
        try FileManager.default.removeItem(atPath: dir + "/var/trading.sqlite")
        try Data("not a database".utf8).write(to: URL(fileURLWithPath: dir + "/var/orchestrator.sqlite"))
        // Held open by this process: refused, naming it.
        try Data("placeholder".utf8).write(to: URL(fileURLWithPath: dir + "/var/trading.sqlite"))
        do {
            let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: dir + "/var/trading.sqlite"))
            let held = try cli.run(["restore", "--from", backup, "--only", "journal"], in: dir)
            #expect(held.status == 2 && held.stderr.contains("is open in pid \(getpid())"), "\(held.stderr)")
            try handle.close()
        }
        let r = try cli.run(["restore", "--from", backup, "--json"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        let out = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let restored = try #require(out["restored"] as? [String: String])
        #expect(Set(restored.keys) == ["redis", "runs", "journal", "config"], "\(restored)")
        #expect(restored["redis"]?.contains("aof ok") == true && restored["redis"]?.contains("rdb ok") == true)
        let undo = try #require(out["undo"] as? String)
        #expect(FileManager.default.fileExists(atPath: dir + "/" + undo + "/stores/trading.sqlite"), "the placeholder kept in \(undo)")
        #expect(FileManager.default.fileExists(atPath: dir + "/" + undo + "/redis/appendonlydir"), "the flushed AOF kept")
        #expect(try BackupTests.digest(dir + "/var/trading.sqlite") == journalBefore)
        #expect(try BackupTests.digest(dir + "/var/orchestrator.sqlite") == runsBefore)
        redisServer = try RedisServer(arguments: redisArguments)
        let after = try RedisBackupTests.digest(try RedisClient(url: try RedisURL(parsing: redisServer.url)))
        #expect(after.keys == redisBefore.keys && after.keys > 1_000)
        #expect(after.digest == redisBefore.digest, "every key, value and TTL class as backed up")
        redisServer.stop()

        // Tampered with: refused, naming the file.
        try "timezone: Europe/London\n".write(toFile: backup + "/config/config.yaml", atomically: true, encoding: .utf8)
        let tampered = try cli.run(["restore", "--from", backup, "--only", "config"], in: dir)
        #expect(tampered.status == 2 && tampered.stderr.contains("config/config.yaml:"), "\(tampered.stderr)")
        // A journal from a newer build (its manifest made anew, so only the schema is wrong).
        let newer = dir + "/var/backups/20300101T000000Z"
        try FileManager.default.createDirectory(atPath: newer + "/stores", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: backup + "/stores/journal.sqlite", toPath: newer + "/stores/journal.sqlite")
        let q = try DatabaseQueue(path: newer + "/stores/journal.sqlite")
        try q.write { db in try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v99')") }
        try q.close()
        let manifest = try BackupManifest.of(newer, created: "2030-01-01T00:00:00Z", verifications: ["journal": "ok"])
        try Data(manifest.json.utf8).write(to: URL(fileURLWithPath: newer + "/manifest.json"))
        let fromNewer = try cli.run(["restore", "--from", newer], in: dir)
        #expect(fromNewer.status == 2 && fromNewer.stderr.contains("newer build (migration v99"), "\(fromNewer.stderr)")
        #expect(try BackupTests.digest(dir + "/var/trading.sqlite") == journalBefore, "nothing changed")
    }

    @Test("a disk that fills during the backup (RLIMIT_FSIZE: writes past 200 KB fail): exit 1, the partial copy removed, the older backup kept")
    func fullDisk() throws {
        let redisServer = try RedisServer()
        defer { redisServer.stop() }
        let redis = try RedisClient(url: try RedisURL(parsing: redisServer.url))
        let dir = NSTemporaryDirectory() + "backup-full-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir + "/config", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "timezone: America/New_York\ncalendar: XNYS\ndatabase: var/orchestrator.sqlite\nredis: { url: \"\(redisServer.url)\" }\n".write(
            toFile: dir + "/config/config.yaml", atomically: true, encoding: .utf8)
        _ = try redis.pipeline((0..<50).map { ["SET", "k\($0)", "v\($0)"] })
        let cli = AlphaTraderCLITests()
        #expect(try cli.run(["backup"], in: dir).status == 0)
        let kept = try FileManager.default.contentsOfDirectory(atPath: dir + "/var/backups")
        // Now a snapshot larger than what the process may write (random bytes: no compression).
        _ = try redis.pipeline((0..<600).map { i in ["SET", "big\(i)", (0..<1_000).map { _ in String(UInt8.random(in: 97...122), radix: 16) }.joined()] })
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        // ulimit -f counts 1,024-byte blocks; SIGXFSZ ignored, so a write past it fails with EFBIG.
        p.arguments = ["-c", "ulimit -f 200; trap '' XFSZ; exec \"$0\" backup", AlphaTraderCLITests.binary]
        p.currentDirectoryURL = URL(fileURLWithPath: dir)
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 1, "\(stderr)")
        #expect(stderr.contains("backup not made") && stderr.contains("nothing older removed"), "\(stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/var/backups") == kept, "no partial copy, the older backup kept")
    }
}
