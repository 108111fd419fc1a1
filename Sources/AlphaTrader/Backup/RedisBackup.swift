import Foundation
public import Redis

/// A consistent copy of Redis's data: an RDB snapshot (`BGSAVE`, waited for until the server
/// reports it done and its save count moved) copied and checked with `redis-check-rdb`; and,
/// when the append-only file is on, its multi-part directory copied while rewrites are held off
/// (`auto-aof-rewrite-percentage 0`, no rewrite in progress), the setting put back after, and the
/// copy checked with `redis-check-aof`.
public enum RedisBackup {
    public struct Result: Sendable, Equatable {
        public var files: [String]
        /// Per part ("rdb", "aof"): what its check said.
        public var checks: [String: String]
        public var ok: Bool
    }

    public struct Failure: Error, CustomStringConvertible, Sendable { public let description: String }

    /// Copies into `directory` (created): `dump.rdb` and, with the AOF on, `appendonlydir/`.
    public static func copy(_ redis: RedisClient, to directory: String, timeout: Double = 300) throws(Failure) -> Result {
        func config(_ name: String) throws(Failure) -> String {
            guard case .array(let pair)? = try? redis.command(["CONFIG", "GET", name]), pair.count == 2, let value = pair[1].text else {
                throw Failure(description: "redis: CONFIG GET \(name) gave no answer")
            }
            return value
        }
        func info() -> [String: String] { persistence(redis) }
        let dir = try config("dir"), rdbName = try config("dbfilename")
        do { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) } catch {
            throw Failure(description: "\(directory): \(error.localizedDescription)")
        }
        // The snapshot.
        let before = info()
        let savesBefore = Int(before["rdb_saves"] ?? "") ?? -1
        let lastBefore = (try? redis.command(["LASTSAVE"]))?.integer ?? 0
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let reply = try? redis.command(["BGSAVE"])
            if case .error(let message)? = reply {
                guard message.contains("in progress") else { throw Failure(description: "redis: BGSAVE: \(message)") }
            } else if reply != nil {
                break
            } else {
                throw Failure(description: "redis: BGSAVE: no answer (is Redis up?)")
            }
            guard Date() < deadline else { throw Failure(description: "redis: another save stayed in progress") }
            usleep(50_000)
        }
        while true {
            let now = info()
            let saves = Int(now["rdb_saves"] ?? "") ?? -1
            let last = (try? redis.command(["LASTSAVE"]))?.integer ?? 0
            if now["rdb_bgsave_in_progress"] == "0" && (saves > savesBefore || last > lastBefore) {
                guard now["rdb_last_bgsave_status"] == "ok" else {
                    throw Failure(description: "redis: the snapshot failed (rdb_last_bgsave_status \(now["rdb_last_bgsave_status"] ?? "?"))")
                }
                break
            }
            guard Date() < deadline else { throw Failure(description: "redis: BGSAVE did not finish within \(Int(timeout)) s") }
            usleep(20_000)
        }
        var files: [String] = []
        var checks: [String: String] = [:]
        let rdb = directory + "/dump.rdb"
        do { try FileManager.default.copyItem(atPath: dir + "/" + rdbName, toPath: rdb) } catch {
            throw Failure(description: "copying the RDB \(dir)/\(rdbName): \(error.localizedDescription)")
        }
        files.append("dump.rdb")
        let rdbCheck = run("redis-check-rdb", [rdb])
        checks["rdb"] = rdbCheck.ok ? "ok (redis-check-rdb)" : "failed: " + rdbCheck.output
        // The append-only directory, rewrites held off meanwhile.
        if (try? config("appendonly")) == "yes" {
            let aofDir = try config("appenddirname"), percentage = try config("auto-aof-rewrite-percentage")
            _ = try? redis.command(["CONFIG", "SET", "auto-aof-rewrite-percentage", "0"])
            defer { _ = try? redis.command(["CONFIG", "SET", "auto-aof-rewrite-percentage", percentage]) }
            while info()["aof_rewrite_in_progress"] != "0" {
                guard Date() < deadline else { throw Failure(description: "redis: an AOF rewrite stayed in progress") }
                usleep(20_000)
            }
            let target = directory + "/" + aofDir
            do { try FileManager.default.copyItem(atPath: dir + "/" + aofDir, toPath: target) } catch {
                throw Failure(description: "copying the AOF directory \(dir)/\(aofDir): \(error.localizedDescription)")
            }
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: target)) ?? []).sorted()
            files += names.map { aofDir + "/" + $0 }
            let manifest = names.first { $0.hasSuffix(".manifest") }.map { target + "/" + $0 }
            let aofCheck: (ok: Bool, output: String) = manifest.map { run("redis-check-aof", [$0]) } ?? (false, "no AOF manifest in \(aofDir)")
            checks["aof"] = aofCheck.ok ? "ok (redis-check-aof)" : "failed: " + aofCheck.output
        }
        return Result(files: files, checks: checks, ok: checks.values.allSatisfy { $0.hasPrefix("ok") })
    }

    /// `INFO persistence` as fields (empty when Redis does not answer).
    static func persistence(_ redis: RedisClient) -> [String: String] {
        var out: [String: String] = [:]
        for line in ((try? redis.command(["INFO", "persistence"]))?.text ?? "").split(separator: "\r\n") {
            let kv = line.split(separator: ":", maxSplits: 1)
            if kv.count == 2 { out[String(kv[0])] = String(kv[1]) }
        }
        return out
    }

    /// `redis-check-rdb` on an RDB file: its verdict and its last lines.
    public static func verifyRDB(_ path: String) -> (ok: Bool, output: String) { run("redis-check-rdb", [path]) }

    /// A checker's verdict: exit 0 and no "not valid" in what it printed; its last lines.
    static func run(_ tool: String, _ arguments: [String]) -> (ok: Bool, output: String) {
        let p = Process()
        p.executableURL = URL(
            fileURLWithPath: ["/usr/bin/", "/usr/local/bin/"].map { $0 + tool }.first { FileManager.default.isExecutableFile(atPath: $0) } ?? "/usr/bin/" + tool
        )
        p.arguments = arguments
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        do { try p.run() } catch { return (false, "\(tool) cannot run: \(error.localizedDescription)") }
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        let tail = text.split(separator: "\n").suffix(3).joined(separator: " / ")
        return (p.terminationStatus == 0 && !text.contains("not valid") && !text.contains("CRC error"), tail)
    }
}
