import AlphaTrader
import ArgumentParser
import Backups
import Foundation
import OrchestratorCore
import Redis

struct BackupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "One verified, consistent copy of what cannot be recomputed, with retention.",
        discussion: """
            Copies into backup.directory (var/backups)/TIME, through a temporary name renamed when
            complete: Redis (BGSAVE's snapshot, checked by redis-check-rdb; with the AOF on, its
            directory copied with rewrites held off, checked by redis-check-aof); the run store, the
            trade journal and the distribution outbox through SQLite's online backup API, each
            checked by integrity_check and its row counts; config/ (with the discovered parameters)
            and the session's reports. manifest.json names every file with its size and SHA-256 and
            what each check said. A backup that fails a check is kept aside as failed-TIME and the
            command exits 1; nothing older is removed then. After a good backup, older ones go by
            backup.keep (daily 7, weekly 4, monthly 12: restic's rules), and backup.copy_to, when set,
            receives a copy checked against the manifest.

            Examples:
              alphatrader backup
              alphatrader backup --json
            """
    )

    @OptionGroup var common: CommonOptions
    @OptionGroup var data: DataLocations
    @Flag(help: "Print the manifest as JSON.") var json = false

    func run() throws {
        let context = try loadContext(common, module: "backup")
        let settings = context.config.backup
        let now = context.clock.now()
        let name = BackupName.stamp(now)
        let root = settings.directory
        let temporary = "\(root)/.tmp-\(name)"
        let fm = FileManager.default
        do { try fm.createDirectory(atPath: temporary, withIntermediateDirectories: true) } catch {
            throw failure("\(temporary): \(error.localizedDescription)")
        }
        var verifications: [String: String] = [:]
        do {
            try copyParts(context, into: temporary, verifications: &verifications)
            let manifest = try BackupManifest.of(temporary, created: TimeFormat.utc(Int64(now)), verifications: verifications)
            try Data(manifest.json.utf8).write(to: URL(fileURLWithPath: temporary + "/manifest.json"))
            let good = verifications.values.allSatisfy { $0.hasPrefix("ok") }
            let final = "\(root)/\(good ? "" : "failed-")\(name)"
            try fm.moveItem(atPath: temporary, toPath: final)
            let bytes = manifest.files.reduce(0) { $0 + $1.bytes }
            context.log(good ? "backup done" : "backup failed a check", ["path": final, "files": String(manifest.files.count), "bytes": String(bytes)])
            if json {
                print(manifest.json)
            } else {
                print("\(good ? "backup" : "FAILED backup") \(final): \(manifest.files.count) files, \(bytes) bytes")
                for (part, said) in verifications.sorted(by: { $0.key < $1.key }) { print("  \(part): \(said)") }
            }
            guard good else { throw failure("a check failed; kept aside as \(final), nothing older removed") }
            if let target = settings.copyTo { try copyAway(final, name: name, to: target, manifest: manifest) }
            prune(root, settings: settings, zone: ZoneRules.of(context.config.timeZone), context: context)
        } catch let code as ExitCode {
            throw code
        } catch {
            // A full disk, Redis down, a store that cannot be read: the partial copy goes.
            try? fm.removeItem(atPath: temporary)
            throw failure("backup not made: \(error); nothing older removed")
        }
    }

    func copyParts(_ context: AlphaContext, into directory: String, verifications: inout [String: String]) throws {
        let redis = try RedisClient(url: context.redisURL, timeout: 10)
        let r = try RedisBackup.copy(redis, to: directory + "/redis")
        for (part, said) in r.checks { verifications["redis." + part] = said }
        try FileManager.default.createDirectory(atPath: directory + "/stores", withIntermediateDirectories: true)
        for (part, path) in [("runs", context.config.database), ("journal", data.journal), ("outbox", data.outbox)]
        where FileManager.default.fileExists(atPath: path) {
            let v = try StoreBackup.copy(path, to: "\(directory)/stores/\(part).sqlite")
            let rows = v.rows.values.reduce(0, +)
            verifications[part] =
                v.ok ? "ok (integrity ok, \(rows) rows in \(v.rows.count) tables)" : "failed: \(v.integrity); \(v.mismatched.joined(separator: "; "))"
        }
        if FileManager.default.fileExists(atPath: data.configDirectory) {
            try FileManager.default.copyItem(atPath: data.configDirectory, toPath: directory + "/config")
        }
        if let day = try? context.config.calendar.tradingDay(of: Int64(context.clock.now())), FileManager.default.fileExists(atPath: "\(data.reports)/\(day)") {
            try FileManager.default.createDirectory(atPath: directory + "/reports", withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: "\(data.reports)/\(day)", toPath: "\(directory)/reports/\(day)")
        }
    }

    /// The backup copied to `target` under a temporary name, checked against its manifest, then
    /// renamed into place.
    func copyAway(_ backup: String, name: String, to target: String, manifest: BackupManifest) throws {
        let temporary = "\(target)/.tmp-\(name)"
        do {
            try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
            try? FileManager.default.removeItem(atPath: temporary)
            try FileManager.default.copyItem(atPath: backup, toPath: temporary)
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw failure("backup.copy_to \(target): \(error.localizedDescription)")
        }
        let problems = manifest.problems(in: temporary)
        guard problems.isEmpty else {
            try? FileManager.default.removeItem(atPath: temporary)
            throw failure("backup.copy_to \(target): the copy does not match the manifest: \(problems.joined(separator: "; "))")
        }
        do { try FileManager.default.moveItem(atPath: temporary, toPath: "\(target)/\(name)") } catch {
            throw failure("backup.copy_to \(target): \(error.localizedDescription)")
        }
        if !json { print("copied to \(target)/\(name), checked against the manifest") }
    }

    /// Older good backups beyond `backup.keep` removed (failed ones and temporaries are not counted).
    func prune(_ root: String, settings: Config.Backup, zone: ZoneRules, context: AlphaContext) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        var backups: [Retention.Backup] = []
        for n in names {
            guard let seconds = BackupName.time(of: n) else { continue }
            let t = Int64(seconds)
            let local = zone.localDate(of: t)
            backups.append(.init(name: n, date: local, secondsOfDay: Int(t - zone.instant(of: local, secondsOfDay: 0))))
        }
        let keep = Retention.keep(backups, rules: .init(daily: settings.keepDaily, weekly: settings.keepWeekly, monthly: settings.keepMonthly))
        for b in backups where !keep.contains(b.name) {
            do {
                try FileManager.default.removeItem(atPath: "\(root)/\(b.name)")
                context.log("removed by retention", ["backup": b.name])
            } catch { context.log("warning: an old backup could not be removed", ["backup": b.name, "error": error.localizedDescription]) }
        }
    }
}
