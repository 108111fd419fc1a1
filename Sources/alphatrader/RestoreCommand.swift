import AlphaTrader
import ArgumentParser
import Backups
import Foundation
import OrchestratorCore
import OrchestratorRuntime

struct RestoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Puts back what a backup holds: Redis, the run store, the journal, the outbox, config/, the reports.",
        discussion: """
            Checks the backup first: its manifest.json must be there and every file must match it
            (size and SHA-256), and a backup kept aside as failed-TIME is refused. Then refuses,
            before changing anything, while what owns the data runs: Redis answering at redis.url,
            or any process holding a store or Redis's directory open (named with its pid: stop it
            first), or a store written by a newer build. Each part replaced is kept under
            --undo/TIME (var/restore-undo/TIME/), the backup's copy is placed through a temporary
            name, and the result is checked: every restored file against the manifest, a store's
            integrity and its row counts, redis-check-rdb and redis-check-aof. A failed check puts
            the old files back and exits 1; a refusal exits 2 with nothing changed.

            The emergency procedure (README, "When data is lost"):
              orchestrator status                     # what runs
              (stop the daemon: its services stop with it)
              alphatrader restore --from var/backups/20261207T220000Z
              orchestrator run &                      # Redis loads the restored data

            Examples:
              alphatrader restore --from var/backups/20261207T220000Z
              alphatrader restore --from var/backups/20261207T220000Z --only journal
              alphatrader restore --from var/backups/20261207T220000Z --only redis,config --json
            """
    )

    enum Part: String, CaseIterable {
        case redis, runs, journal, outbox, config, reports
    }

    @OptionGroup var common: CommonOptions
    @Option(help: "The backup directory (var/backups/TIME).") var from: String
    @Option(help: "Only these parts, comma-separated: redis, runs, journal, outbox, config, reports.") var only: String?
    @Option(help: "Where what is replaced is kept (a TIME directory in it).") var undo = "var/restore-undo"
    @Option(help: "Redis's data directory (jobs/services.yaml starts it with --dir var/redis).") var redisDirectory = "var/redis"
    @OptionGroup var data: DataLocations
    @Flag(help: "Print what was restored as JSON.") var json = false

    func run() throws {
        let context = try loadContext(common, module: "restore")
        let backup = from.hasSuffix("/") ? String(from.dropLast()) : from
        let manifest: BackupManifest
        do { manifest = try BackupManifest.checked(backup) } catch { throw exit(error) }
        let present = Part.allCases.filter { has($0, manifest) }
        var parts = present
        if let only {
            parts = []
            for word in only.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) {
                guard let part = Part(rawValue: word) else {
                    throw invalidInput("--only \(word): expected one of \(Part.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                guard present.contains(part) else { throw invalidInput("--only \(word): \(backup) holds no \(word)") }
                if !parts.contains(part) { parts.append(part) }
            }
        }
        guard !parts.isEmpty else { throw invalidInput("\(backup): holds nothing to restore") }
        // Every refusal before anything changes.
        do {
            for part in parts {
                switch part {
                case .redis: try RedisRestore.preflight(url: context.redisURL, directory: redisDirectory)
                case .runs, .journal, .outbox:
                    let (copy, target, known, what) = store(part, backup: backup, context: context)
                    try StoreRestore.preflight(copy, target: target, knownMigrations: known, what: what)
                case .config, .reports: break
                }
            }
        } catch { throw exit(error) }
        let undoDirectory = "\(undo)/\(BackupName.stamp(Date().timeIntervalSince1970))"
        var said: [(Part, String)] = []
        do {
            for part in parts {
                switch part {
                case .redis:
                    let r = try RedisRestore.restore(from: backup, manifest: manifest, url: context.redisURL, into: redisDirectory, undo: undoDirectory)
                    let checks = r.checks.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
                    said.append((part, "\(r.files) files into \(redisDirectory), matching the manifest; \(checks)"))
                case .runs, .journal, .outbox:
                    let (copy, target, known, what) = store(part, backup: backup, context: context)
                    let r = try StoreRestore.restore(copy, to: target, undo: undoDirectory + "/stores", knownMigrations: known, what: what)
                    said.append((part, "\(target): integrity ok, \(r.rows) rows in \(r.tables) tables as in the backup"))
                case .config:
                    let n = try FileRestore.restore(
                        [.init(source: "config", target: data.configDirectory)], from: backup, manifest: manifest, undo: undoDirectory)
                    said.append((part, "\(n) files into \(data.configDirectory)/, matching the manifest"))
                case .reports:
                    let days = manifest.files.compactMap { f -> String? in
                        let p = f.path.split(separator: "/")
                        return p.count > 2 && p[0] == "reports" ? String(p[1]) : nil
                    }
                    let items = Array(Set(days)).sorted().map { FileRestore.Item(source: "reports/" + $0, target: "\(data.reports)/\($0)") }
                    let n = try FileRestore.restore(items, from: backup, manifest: manifest, undo: undoDirectory)
                    said.append((part, "\(n) files into \(data.reports)/, matching the manifest"))
                }
                context.log("restored", ["part": part.rawValue, "from": backup])
            }
        } catch {
            for (part, text) in said { FileHandle.standardError.write(Data("restored before the failure: \(part.rawValue): \(text)\n".utf8)) }
            throw exit(error)
        }
        if json {
            let restored = JSONValue.object(said.map { ($0.0.rawValue, .string($0.1)) })
            print(JSONValue.object([("from", .string(backup)), ("undo", .string(undoDirectory)), ("restored", restored)]).serialized(pretty: true))
        } else {
            print("restored from \(backup) (the replaced files are in \(undoDirectory)):")
            for (part, text) in said { print("  \(part.rawValue): \(text)") }
        }
    }

    func has(_ part: Part, _ manifest: BackupManifest) -> Bool {
        let prefix: String
        switch part {
        case .redis: prefix = "redis/dump.rdb"
        case .runs: prefix = "stores/runs.sqlite"
        case .journal: prefix = "stores/journal.sqlite"
        case .outbox: prefix = "stores/outbox.sqlite"
        case .config: prefix = "config/"
        case .reports: prefix = "reports/"
        }
        return manifest.files.contains { $0.path.hasPrefix(prefix) }
    }

    func store(_ part: Part, backup: String, context: AlphaContext) -> (copy: String, target: String, known: [String], what: String) {
        switch part {
        case .runs: (backup + "/stores/runs.sqlite", context.config.database, SQLiteRunStore.migrations, "the run store")
        case .journal: (backup + "/stores/journal.sqlite", data.journal, Journal.migrations, "the trade journal")
        default: (backup + "/stores/outbox.sqlite", data.outbox, Outbox.migrations, "the distribution outbox")
        }
    }

    func exit(_ error: any Error) -> ExitCode {
        switch error as? RestoreError {
        case .refused(let why)?: invalidInput("restore refused, nothing changed: \(why)")
        case .failed(let why)?: failure("restore failed: \(why)")
        case nil: failure("restore failed: \(error)")
        }
    }
}
