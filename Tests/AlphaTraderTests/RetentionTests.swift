import AlphaTrader
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
