import AlphaTrader
import Backups
import Foundation
import OrchestratorCore
import Testing

@Suite("Backup retention: grandfather–father–son with restic's semantics, on a simulated calendar")
struct RetentionTests {
    static func d(_ s: String) -> LocalDate { LocalDate(parsing: s)! }

    @Test(
        "ISO weeks by hand, across year ends",
        arguments: [
            ("2026-01-01", 2026, 1), ("2026-12-31", 2026, 53), ("2027-01-03", 2026, 53), ("2027-01-04", 2027, 1), ("2024-12-30", 2025, 1),
            ("2026-12-07", 2026, 50),
        ])
    func isoWeek(_ date: String, _ year: Int, _ week: Int) {
        let w = Retention.isoWeek(Self.d(date))
        #expect(w.year == year && w.week == week, "\(date): \(w)")
    }

    @Test("a year of daily backups at 17:00 keeps exactly the last 7 days, the last of each of 4 weeks and the last of each of 12 months")
    func year() {
        var backups: [Retention.Backup] = []
        var day = Self.d("2026-01-01")
        while day <= Self.d("2026-12-31") {
            backups.append(.init(name: day.description, date: day, secondsOfDay: 17 * 3600))
            day = day.adding(days: 1)
        }
        let kept = Retention.keep(backups, rules: .init(daily: 7, weekly: 4, monthly: 12))
        let expected: Set<String> = [
            // daily: the last seven days
            "2026-12-25", "2026-12-26", "2026-12-27", "2026-12-28", "2026-12-29", "2026-12-30", "2026-12-31",
            // weekly: ISO weeks 53 (the 31st), 52 (Sunday the 27th), 51 (the 20th), 50 (the 13th)
            "2026-12-20", "2026-12-13",
            // monthly: the last day of each month (December's already kept)
            "2026-01-31", "2026-02-28", "2026-03-31", "2026-04-30", "2026-05-31", "2026-06-30", "2026-07-31", "2026-08-31", "2026-09-30",
            "2026-10-31", "2026-11-30",
        ]
        #expect(kept == expected, "kept \(kept.sorted()), expected \(expected.sorted())")
    }

    @Test("two backups in a day: the newer counts for the day; none kept with zero rules; gaps are skipped, not counted")
    func details() {
        let a = Retention.Backup(name: "a", date: Self.d("2026-12-07"), secondsOfDay: 9 * 3600)
        let b = Retention.Backup(name: "b", date: Self.d("2026-12-07"), secondsOfDay: 17 * 3600)
        let old = Retention.Backup(name: "old", date: Self.d("2026-10-01"), secondsOfDay: 17 * 3600)
        #expect(Retention.keep([a, b, old], rules: .init(daily: 1, weekly: 0, monthly: 0)) == ["b"])
        #expect(
            Retention.keep([a, b, old], rules: .init(daily: 2, weekly: 0, monthly: 0)) == ["b", "old"], "the second day kept is the next one that has a backup")
        #expect(Retention.keep([a, b, old], rules: .init(daily: 0, weekly: 0, monthly: 0)).isEmpty)
    }
}

@Suite("SHA-256 by FIPS 180's examples, whole and streamed")
struct SHA256Tests {
    @Test(
        "the published digests",
        arguments: [
            ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
            ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
            ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
        ])
    func vectors(_ text: String, _ digest: String) {
        #expect(SHA256.hex(Array(text.utf8)) == digest)
    }

    @Test("a million 'a' fed in uneven pieces, and a file read in blocks, give the published digest")
    func streamed() throws {
        var s = SHA256()
        var left = 1_000_000
        var piece = 1
        while left > 0 {
            let n = min(piece, left)
            s.update([UInt8](repeating: UInt8(ascii: "a"), count: n))
            left -= n
            piece = piece * 3 % 1_000 + 1
        }
        #expect(s.finish() == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
        let path = temporaryPath("bin")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data(repeating: UInt8(ascii: "a"), count: 1_000_000).write(to: URL(fileURLWithPath: path))
        let f = try SHA256.file(path)
        #expect(f.sha256 == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0" && f.bytes == 1_000_000)
    }
}
