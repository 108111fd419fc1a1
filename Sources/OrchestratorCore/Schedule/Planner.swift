/// One line of `plan`: a job's slot, or an unscheduled job placed after its upstreams.
public struct PlannedSlot: Hashable, Sendable {
    public let job: String
    /// Epoch seconds; nil for a job that runs after its upstreams rather than at a time.
    public let time: Int64?
    /// `cron 0 17 * * 1-5`, `market close -10m`, `every 15m during session`, `after morning-analysis`.
    public let reason: String
    /// The job's direct `depends_on`, jobs and services.
    public let upstreams: [String]
}

/// A service's window on a day, for `plan`.
public struct PlannedWindow: Hashable, Sendable {
    public let service: String
    /// Nil start and end: always on.
    public let start: Int64?
    public let end: Int64?
    public let reason: String
    public let upstreams: [String]
}

/// Every slot of a day, in time order (SPEC §5 `plan`).
public enum Planner {
    /// The jobs' slots on a date: scheduled slots in time order (ties by name), and each
    /// unscheduled job that has upstream jobs running that day listed right after the last of
    /// them, as `after X`. Jobs that run only when triggered are left out.
    public static func slots(of workspace: Workspace, on date: LocalDate) throws(CalendarError) -> [PlannedSlot] {
        var entries: [PlannedSlot] = []
        let home = ZoneRules.of(workspace.config.timeZone)
        let dayStart = home.instant(of: date, secondsOfDay: 0)
        let dayEnd = home.instant(of: date.adding(days: 1), secondsOfDay: 0)
        for (name, job) in workspace.jobs {
            guard let schedule = job.schedule else { continue }
            let zone = ZoneRules.of(workspace.timeZone(ofJob: name))
            var times: [Int64]
            if schedule.followsSessionDate || zone === home {
                times = try schedule.slots(on: date, zone: zone, calendar: workspace.calendar)
            } else {
                // A job in another zone: its local days around the date, kept to the date as the
                // configured zone reads it (07:00 in Tokyo is 17:00 the day before in New York).
                times = []
                for d in [date.adding(days: -1), date, date.adding(days: 1)] {
                    times += try schedule.slots(on: d, zone: zone, calendar: workspace.calendar).filter { $0 >= dayStart && $0 < dayEnd }
                }
            }
            for t in times {
                entries.append(PlannedSlot(job: name, time: t, reason: schedule.description, upstreams: job.dependsOn))
            }
        }
        entries.sort { ($0.time!, $0.job) < ($1.time!, $1.job) }
        for name in workspace.graph.topologicalOrder() {
            guard let job = workspace.jobs[name], job.schedule == nil else { continue }
            let upstreamJobs = job.dependsOn.filter { workspace.jobs[$0] != nil }
            guard !upstreamJobs.isEmpty,
                let last = entries.lastIndex(where: { upstreamJobs.contains($0.job) })
            else { continue }
            var index = last + 1
            while index < entries.count, entries[index].time == nil { index += 1 }
            entries.insert(
                PlannedSlot(
                    job: name, time: nil, reason: "after " + upstreamJobs.joined(separator: ", "),
                    upstreams: job.dependsOn), at: index)
        }
        return entries
    }

    /// Each service's window on a date, in start order; services not active that day are left out.
    public static func windows(of workspace: Workspace, on date: LocalDate) throws(CalendarError) -> [PlannedWindow] {
        var result: [PlannedWindow] = []
        for (name, service) in workspace.services {
            guard let active = service.active else {
                result.append(PlannedWindow(service: name, start: nil, end: nil, reason: "always on", upstreams: service.dependsOn))
                continue
            }
            let zone = ZoneRules.of(workspace.timeZone(ofJob: name))
            if let (start, end) = try active.interval(on: date, zone: zone, calendar: workspace.calendar) {
                result.append(PlannedWindow(service: name, start: start, end: end, reason: "active \(active)", upstreams: service.dependsOn))
            }
        }
        return result.sorted { ($0.start ?? Int64.min, $0.service) < ($1.start ?? Int64.min, $1.service) }
    }

    /// Jobs with no schedule and no upstream job: they run only when triggered.
    public static func manualJobs(of workspace: Workspace) -> [String] {
        workspace.jobs.values.filter { job in
            job.schedule == nil && !job.dependsOn.contains { workspace.jobs[$0] != nil }
        }.map(\.name).sorted()
    }

    /// The next slot of each scheduled job strictly after `now` (looking up to two weeks
    /// ahead), soonest first: `status`'s "next" and `serve`'s Schedule page.
    public static func nextSlots(of workspace: Workspace, after now: Double) -> [(job: String, time: Int64)] {
        let zone = ZoneRules.of(workspace.config.timeZone)
        var found: [String: Int64] = [:]
        let wanted = Set(workspace.jobs.values.filter { $0.schedule != nil }.map(\.name))
        var day = zone.localDate(of: Int64(now)).adding(days: -1)
        for _ in 0..<15 where found.count < wanted.count {
            if workspace.calendar.validRange.contains(day), let slots = try? Planner.slots(of: workspace, on: day) {
                for p in slots { if let t = p.time, Double(t) > now, found[p.job] == nil { found[p.job] = t } }
            }
            day = day.adding(days: 1)
        }
        return found.map { (job: $0.key, time: $0.value) }.sorted { ($0.time, $0.job) < ($1.time, $1.job) }
    }
}
