import Backups
import Foundation
import Testing

@Suite("orchestrator restore: the run store put back from a backup, checked; refused while open or tampered with", .serialized)
struct RestoreTests {
    let cli = CLITests()

    /// A backup directory as alphatrader backup makes one, holding this run store.
    static func backup(of store: String, into dir: String) throws -> String {
        let backup = dir + "/backups/20261207T220000Z"
        try FileManager.default.createDirectory(atPath: backup + "/stores", withIntermediateDirectories: true)
        let v = try StoreBackup.copy(store, to: backup + "/stores/runs.sqlite")
        let manifest = try BackupManifest.of(backup, created: "2026-12-07T22:00:00Z", verifications: ["runs": v.ok ? "ok" : "failed"])
        try Data(manifest.json.utf8).write(to: URL(fileURLWithPath: backup + "/manifest.json"))
        return backup
    }

    @Test("after a backup and more runs, restore brings history back to the backup's, keeps the replaced store in the undo directory")
    func roundTrip() throws {
        let (dir, args) = try CLITests.workspace("jobs:\n  ok: { shell: 'true' }\n")
        for _ in 0..<2 { #expect(try cli.run(["trigger", "ok", "--wait"] + args).status == 0) }
        let before = try cli.run(["history", "--json"] + args).stdout
        let backup = try Self.backup(of: dir + "/s.sqlite", into: dir)
        #expect(try cli.run(["trigger", "ok", "--wait"] + args).status == 0)
        #expect(try cli.run(["history", "--json"] + args).stdout != before)
        let r = try cli.run(["restore", "--from", backup, "--undo", dir + "/undo", "--json"] + args)
        #expect(r.status == 0, "\(r.stderr)")
        let out = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect((out["rows"] as? Int ?? 0) > 0)
        #expect(try cli.run(["history", "--json"] + args).stdout == before, "the history is the backup's, exactly")
        let undo = try FileManager.default.contentsOfDirectory(atPath: dir + "/undo")
        #expect(undo.count == 1)
        #expect(FileManager.default.fileExists(atPath: "\(dir)/undo/\(undo[0])/s.sqlite"), "the replaced store kept")
    }

    @Test("refused, nothing changed: the store held open by another process (named by pid), a file that differs from the manifest, a failed backup")
    func refusals() throws {
        let (dir, workspace) = try CLITests.workspace("jobs:\n  ok: { shell: 'true' }\n")
        #expect(try cli.run(["trigger", "ok", "--wait"] + workspace).status == 0)
        let args = workspace + ["--undo", dir + "/undo"]
        let backup = try Self.backup(of: dir + "/s.sqlite", into: dir)
        let stamp = try FileManager.default.attributesOfItem(atPath: dir + "/s.sqlite")[.modificationDate] as? Date
        do {
            let holder = try FileHandle(forReadingFrom: URL(fileURLWithPath: dir + "/s.sqlite"))
            let held = try cli.run(["restore", "--from", backup] + args)
            #expect(held.status == 2 && held.stderr.contains("is open in pid \(getpid())") && held.stderr.contains("stop it first"), "\(held.stderr)")
            try holder.close()
        }
        var bytes = [UInt8](FileManager.default.contents(atPath: backup + "/stores/runs.sqlite")!)
        bytes[bytes.count / 2] ^= 0x01
        try Data(bytes).write(to: URL(fileURLWithPath: backup + "/stores/runs.sqlite"))
        let tampered = try cli.run(["restore", "--from", backup] + args)
        #expect(tampered.status == 2 && tampered.stderr.contains("stores/runs.sqlite: SHA-256"), "\(tampered.stderr)")
        try FileManager.default.moveItem(atPath: backup, toPath: dir + "/backups/failed-20261207T220000Z")
        let failed = try cli.run(["restore", "--from", dir + "/backups/failed-20261207T220000Z"] + args)
        #expect(failed.status == 2 && failed.stderr.contains("failed its checks when it was made"))
        #expect(try FileManager.default.attributesOfItem(atPath: dir + "/s.sqlite")[.modificationDate] as? Date == stamp, "the store untouched")
        #expect(!FileManager.default.fileExists(atPath: dir + "/undo"), "no undo directory made by a refusal")
    }
}

@Suite("orchestrator serve's command line")
struct ServeCommandTests {
    let cli = CLITests()

    @Test("serve refuses an address off loopback without a token file, a bad --listen and an empty token file, with exit 2")
    func refusals() throws {
        let (dir, args) = try CLITests.workspace("jobs:\n  ok: { shell: 'true' }\n")
        let open = try cli.run(["serve", "--listen", "0.0.0.0:8080"] + args)
        #expect(open.status == 2 && open.stderr.contains("not loopback: give --token-file"), "\(open.stderr)")
        #expect(try cli.run(["serve", "--listen", "8080"] + args).status == 2)
        try "\n".write(toFile: dir + "/token", atomically: true, encoding: .utf8)
        let empty = try cli.run(["serve", "--listen", "0.0.0.0:8080", "--token-file", dir + "/token"] + args)
        #expect(empty.status == 2 && empty.stderr.contains("missing, unreadable or empty"))
    }
}
