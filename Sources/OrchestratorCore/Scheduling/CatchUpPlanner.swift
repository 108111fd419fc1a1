/// What `catch-up` does about the slots an outage missed, job by job (SPEC §3 `catch_up`,
/// `deadline`): `none` runs nothing, `latest` runs the most recent missed slot, `all` runs every
/// one; a slot older than its deadline is `missed`. Slots passed over are recorded too (`skipped`
/// or `missed`), so history shows the outage and no later catch-up looks at them again.
public enum CatchUpPlanner {
    public struct Item: Hashable, Sendable {
        public let job: String
        public let time: Int64
        public let tradingDay: LocalDate
        public let state: RunState
        public let reason: String?
    }

    /// The slots in `(from, to]` that have no run yet, with what becomes of each, in time order.
    public static func plan(_ workspace: Workspace, from: Int64, to: Int64, claimed: Set<String>) throws(CalendarError) -> [Item] {
        guard to > from else { return [] }
        let calendar = workspace.calendar
        var items: [Item] = []
        for (name, job) in workspace.jobs.sorted(by: { $0.key < $1.key }) {
            guard let schedule = job.schedule else { continue }
            let zone = ZoneRules.of(workspace.timeZone(ofJob: name))
            var times: [Int64] = []
            var date = zone.localDate(of: from).adding(days: -1)
            let last = zone.localDate(of: to).adding(days: 1)
            while date <= last {
                if calendar.validRange.contains(date) {
                    times += try schedule.slots(on: date, zone: zone, calendar: calendar).filter { $0 > from && $0 <= to }
                }
                date = date.adding(days: 1)
            }
            let all = Set(times).sorted()
            // `latest` means the latest slot of the window, claimed or not: when a later slot
            // already ran, an earlier missed one is superseded, not run.
            let latest = all.last
            for t in all where !claimed.contains("\(name)@\(t)") {
                let day = try calendar.tradingDay(of: t)
                let isLatest = t == latest
                let state: RunState
                let reason: String?
                if let deadline = job.deadline, Double(to) > Double(t) + deadline.seconds {
                    (state, reason) = (.missed, "missed during an outage: older than its deadline of \(deadline)")
                } else {
                    switch job.catchUp {
                    case .none: (state, reason) = (.missed, "missed during an outage (catch_up: none)")
                    case .latest where !isLatest: (state, reason) = (.skipped, "superseded by a later slot (catch_up: latest)")
                    default:
                        let waits = job.dependsOn.contains { workspace.jobs[$0] != nil }
                        (state, reason) = waits ? (.pending, "catch-up, waiting for upstreams") : (.queued, "catch-up")
                    }
                }
                items.append(Item(job: name, time: t, tradingDay: day, state: state, reason: reason))
            }
        }
        return items.sorted { ($0.time, $0.job) < ($1.time, $1.job) }
    }
}
