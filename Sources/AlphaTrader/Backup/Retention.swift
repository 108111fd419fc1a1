public import OrchestratorCore

/// Which backups to keep: grandfather–father–son rules with restic's semantics (`forget
/// --keep-daily --keep-weekly --keep-monthly`). Backups are walked newest first; for each rule,
/// a backup is kept when its bucket (the day; the ISO week; the month — in local time) differs
/// from the last one that rule kept, while the rule has count left; a backup any rule keeps is
/// kept. So each rule keeps the newest backup of each of its last N buckets that have one. A
/// failed backup is never given to it: it neither counts nor is removed by it.
public enum Retention {
    public struct Rules: Sendable, Equatable {
        public var daily: Int, weekly: Int, monthly: Int
        public init(daily: Int = 7, weekly: Int = 4, monthly: Int = 12) { self.daily = daily; self.weekly = weekly; self.monthly = monthly }
    }

    /// A backup's name and when it was taken (local date and seconds of the day).
    public struct Backup: Sendable, Equatable {
        public var name: String
        public var date: LocalDate
        public var secondsOfDay: Int
        public init(name: String, date: LocalDate, secondsOfDay: Int) { self.name = name; self.date = date; self.secondsOfDay = secondsOfDay }
    }

    /// The names to keep; every other one may go.
    public static func keep(_ backups: [Backup], rules: Rules) -> Set<String> {
        let newestFirst = backups.sorted { ($0.date, $0.secondsOfDay, $0.name) > ($1.date, $1.secondsOfDay, $1.name) }
        var buckets: [(count: Int, last: Int?, key: (LocalDate) -> Int)] = [
            (rules.daily, nil, { $0.year * 10_000 + $0.month * 100 + $0.day }),
            (
                rules.weekly, nil,
                {
                    let w = isoWeek($0); return w.year * 100 + w.week
                }
            ),
            (rules.monthly, nil, { $0.year * 100 + $0.month }),
        ]
        var kept = Set<String>()
        for b in newestFirst {
            for i in buckets.indices {
                let value = buckets[i].key(b.date)
                if buckets[i].count > 0 && value != buckets[i].last {
                    kept.insert(b.name)
                    buckets[i].last = value
                    buckets[i].count -= 1
                }
            }
        }
        return kept
    }

    /// ISO 8601 week and its year: the week with the year's first Thursday is week 1.
    public static func isoWeek(_ d: LocalDate) -> (year: Int, week: Int) {
        let weekday = (d.weekday + 6) % 7 + 1  // Monday 1 … Sunday 7
        let thursday = d.adding(days: 4 - weekday)
        let first = LocalDate(year: thursday.year, month: 1, day: 1)!
        return (thursday.year, (thursday.daysSinceEpoch - first.daysSinceEpoch) / 7 + 1)
    }
}
