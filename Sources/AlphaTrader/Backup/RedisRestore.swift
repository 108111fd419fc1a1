public import Backups
import Foundation
public import Redis

/// Redis's data put back from a backup (`redis/dump.rdb` and, when the AOF was on,
/// `redis/appendonlydir/`): refused while a Redis answers at the configured address (it would
/// write its own dataset over the restored one when it stops) or anything holds its directory
/// open. An AOF directory left in place with no AOF in the backup would be loaded instead of
/// the restored snapshot, so it is moved to the undo directory too.
public enum RedisRestore {
    public struct Result: Sendable, Equatable {
        public var files: Int
        /// Per part ("rdb", "aof"): what its checker said of the restored files.
        public var checks: [String: String]
    }

    public static func preflight(url: RedisURL, directory: String) throws(RestoreError) {
        if let client = try? RedisClient(url: url, timeout: 1), (try? client.command(["PING"])) != nil {
            throw .refused(
                "Redis answers at \(url.host):\(url.port): stop it first — the orchestrator's redis service (stop the daemon, orchestrator run, that supervises it) or redis-cli -p \(url.port) shutdown"
            )
        }
        let holders = OpenFiles.holders(of: [directory])
        guard holders.isEmpty else { throw OpenFiles.refusal(directory, holders: holders) }
    }

    public static func restore(
        from backup: String, manifest: BackupManifest, url: RedisURL, into directory: String, undo: String
    ) throws(RestoreError) -> Result {
        try preflight(url: url, directory: directory)
        let fm = FileManager.default
        let aof = manifest.files.first { $0.path.hasPrefix("redis/") && $0.path.hasSuffix(".manifest") }
            .map { String($0.path.dropFirst("redis/".count).split(separator: "/")[0]) }
        var items = [FileRestore.Item(source: "redis/dump.rdb", target: directory + "/dump.rdb")]
        if let aof { items.append(FileRestore.Item(source: "redis/" + aof, target: directory + "/" + aof)) }
        if aof == nil, fm.fileExists(atPath: directory + "/appendonlydir") {
            do {
                try fm.createDirectory(atPath: undo + "/redis", withIntermediateDirectories: true)
                try fm.moveItem(atPath: directory + "/appendonlydir", toPath: undo + "/redis/appendonlydir")
            } catch {
                throw .failed("\(directory)/appendonlydir could not be set aside: \(error.localizedDescription)")
            }
        }
        let files = try FileRestore.restore(items, from: backup, manifest: manifest, undo: undo)
        var checks = ["rdb": RedisBackup.verifyRDB(directory + "/dump.rdb")]
        if let aof, let name = ((try? fm.contentsOfDirectory(atPath: directory + "/" + aof)) ?? []).first(where: { $0.hasSuffix(".manifest") }) {
            checks["aof"] = RedisBackup.run("redis-check-aof", [directory + "/" + aof + "/" + name])
        }
        return Result(files: files, checks: checks.mapValues { $0.ok ? "ok" : "failed: " + $0.output })
    }
}
