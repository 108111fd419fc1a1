import ArgumentParser
import Backups
import Foundation
import OrchestratorCore
import OrchestratorRuntime

struct RestoreCommand: GlobalOptionsCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Puts the run store back from a backup (alphatrader backup's var/backups/TIME).",
        discussion: """
            Checks the backup first (its manifest.json, every file's size and SHA-256; a failed-TIME
            backup is refused), then refuses while anything holds the run store open — the daemon,
            orchestrator run, named with its pid: stop it first — or when the copy was written by a
            newer build. The store's files are kept under --undo/TIME, the copy is placed through a
            temporary name, and its integrity and every table's row count are checked against the
            backup; a failed check puts the old store back (exit 1). A refusal exits 2 with nothing
            changed. alphatrader restore puts back the rest (Redis, the journal, config/).

            Example:
              orchestrator restore --from var/backups/20261207T220000Z
            """
    )

    @OptionGroup var local: GlobalOptions
    @ParentCommand var parent: Orchestrator
    @Option(help: "The backup directory (var/backups/TIME).") var from: String
    @Option(help: "Where the replaced store is kept (a TIME directory in it).") var undo = "var/restore-undo"
    @Flag(help: "Print what was restored as JSON.") var json = false

    func run() throws {
        let workspace = try global.loadWorkspace()
        let target = workspace.config.database
        let backup = from.hasSuffix("/") ? String(from.dropLast()) : from
        let undoDirectory = "\(undo)/\(BackupName.stamp(Date().timeIntervalSince1970))"
        let result: StoreRestore.Result
        do {
            _ = try BackupManifest.checked(backup)
            let copy = backup + "/stores/runs.sqlite"
            guard FileManager.default.fileExists(atPath: copy) else { throw RestoreError.refused("\(backup): holds no run store (stores/runs.sqlite)") }
            result = try StoreRestore.restore(copy, to: target, undo: undoDirectory, knownMigrations: SQLiteRunStore.migrations, what: "the run store")
        } catch let error as RestoreError {
            switch error {
            case .refused(let why): throw CLIFailure.invalid("restore refused, nothing changed: \(why)")
            case .failed(let why): throw CLIFailure.failed("restore failed: \(why)")
            }
        }
        if json {
            let fields: [(String, JSONValue)] = [
                ("from", .string(backup)), ("store", .string(target)), ("undo", .string(undoDirectory)),
                ("tables", .int(Int64(result.tables))), ("rows", .int(Int64(result.rows))),
            ]
            print(JSONValue.object(fields).serialized(pretty: true))
        } else {
            print("restored \(target) from \(backup): integrity ok, \(result.rows) rows in \(result.tables) tables as in the backup")
            print("the replaced store is in \(undoDirectory)")
        }
    }
}
