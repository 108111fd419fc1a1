public import OrchestratorCore
public import OrchestratorRuntime

/// The bodies of the pages other than Today, each from its view (the JSON twin shows the same).
public enum Pages {
    static func f(_ x: Double) -> String { TodayPage.f(x) }

    // MARK: Grid

    public static func grid(_ view: GridView) -> String {
        var out = "<h1>Grid — the last \(view.days.count) trading days</h1>\n"
        out +=
            "<p class=\"muted\">Each cell: a job's runs that day, coloured by the state that most needs a look (failed before missed before running … before succeeded). Above: the time the day's runs took in all. <a href=\"/api/grid?days=\(view.days.count)\">JSON</a></p>\n"
        // The day's job run time as a bar above each day's column (services, up for hours by
        // design, left out), in the table so that bars and columns line up at any width.
        let totals = view.days.map { day in view.jobs.filter { !view.services.contains($0) }.reduce(0.0) { $0 + (view.cells[$1]?[day]?.seconds ?? 0) } }
        let top = max(totals.max() ?? 0, 1)
        out +=
            "<div class=\"scroll\"><table class=\"grid\" id=\"grid\"><thead><tr class=\"durations\" id=\"durations\"><td class=\"muted\">job run time (max \(TimeFormat.duration(top)))</td>"
        for (i, total) in totals.enumerated() {
            let h = Int((40 * total / top).rounded())
            out += "<td class=\"dur\" title=\"\(view.days[i]): \(TimeFormat.duration(total))\"><div style=\"height:\(max(h, total > 0 ? 1 : 0))px\"></div></td>"
        }
        out += "</tr><tr><th>job</th>"
        for day in view.days {
            out += "<th class=\"num\" title=\"\(day)\"><a href=\"/?day=\(day)\">\(String(day.description.suffix(5)))</a></th>"
        }
        out += "</tr></thead><tbody>\n"
        for job in view.jobs {
            out += "<tr><td>\(Layout.jobLink(job))\(view.services.contains(job) ? " <span class=\"muted\">service</span>" : "")</td>"
            for day in view.days {
                let cell = view.cells[job]?[day]
                if let cell, let state = cell.state {
                    let label = cell.runs.count > 1 ? String(cell.runs.count) : ""
                    out +=
                        "<td class=\"cell\"><a class=\"\(state.rawValue)\" href=\"/jobs/\(URLText.component(job))?day=\(day)\" style=\"background:\(TodayPage.color(state))\" title=\"\(HTMLText.escape(job)) \(day): \(cell.runs.count) run\(cell.runs.count == 1 ? "" : "s"), \(state.rawValue), \(TimeFormat.duration(cell.seconds))\">\(label)</a></td>"
                } else {
                    out += "<td class=\"cell\"></td>"
                }
            }
            out += "</tr>\n"
        }
        out += "</tbody></table></div>\n"
        out +=
            "<div class=\"legend\">"
            + RunState.allCases.map { "<span><span class=\"swatch\" style=\"background:\(TodayPage.color($0))\"></span>\($0.rawValue)</span>" }.joined()
            + "</div>\n"
        return out
    }

    // MARK: Schedule

    public static func schedule(_ view: ScheduleView, zone: ZoneRules) -> String {
        var out =
            "<h1>Schedule</h1>\n<p class=\"muted\">Every job's next slot from the exchange calendar, and its last run. <a href=\"/api/schedule\">JSON</a></p>\n"
        if view.rows.isEmpty { return out + "<p class=\"notice\">The job files did not load: no schedule to show (orchestrator validate says why).</p>\n" }
        out +=
            "<div class=\"scroll\"><table id=\"schedule\"><thead><tr><th>next</th><th>in</th><th>job</th><th>schedule</th><th>last run</th><th class=\"wide\">ended</th></tr></thead><tbody>\n"
        for row in view.rows {
            let next = row.next.map { Layout.time(Double($0), zone) } ?? "-"
            let left = row.next.map { TimeFormat.duration(Double($0) - view.now) } ?? "-"
            var last = "-"
            if let run = row.last {
                last = "\(Layout.runLink(run)) \(Layout.state(run.state))"
            }
            out +=
                "<tr><td>\(next)</td><td class=\"num\">\(left)</td><td>\(Layout.jobLink(row.job.name))</td><td>\(HTMLText.escape(ScheduleView.when(row.job)))</td><td>\(last)</td><td class=\"wide\">\(Layout.time(row.last?.finishedAt, zone))</td></tr>\n"
        }
        return out + "</tbody></table></div>\n"
    }

    // MARK: Job

    public static func job(_ view: JobView, zone: ZoneRules) -> String {
        let name = HTMLText.escape(view.name)
        var out = "<h1>Job \(name)</h1>\n"
        if let spec = view.spec {
            if let d = spec.description { out += "<p>\(HTMLText.escape(d))</p>\n" }
            out += "<dl class=\"facts\"><dt>schedule</dt><dd>\(HTMLText.escape(ScheduleView.when(spec)))</dd>"
            if !spec.dependsOn.isEmpty { out += "<dt>depends on</dt><dd>\(spec.dependsOn.map(Layout.jobLink).joined(separator: ", "))</dd>" }
            out += "<dt>retries</dt><dd>\(spec.retries)</dd><dt>timeout</dt><dd>\(spec.timeout.map { $0.description } ?? "none")</dd>"
            out += "<dt>overlap</dt><dd>\(spec.overlap.rawValue)</dd><dt>catch up</dt><dd>\(spec.catchUp.rawValue)</dd>"
            if let pool = spec.pool { out += "<dt>pool</dt><dd>\(HTMLText.escape(pool))</dd>" }
            out += "</dl>\n"
        } else {
            out += "<p class=\"notice\">Not declared in the job files loaded now; its past runs follow.</p>\n"
        }
        // The filters are a plain GET form: the URL carries them (a link to a filtered history
        // is a link to this page); the script submits on change.
        let f = view.filters
        out += "<form class=\"filters\" id=\"filters\" method=\"get\" action=\"/jobs/\(URLText.component(view.name))\">"
        out += "<label>state <select name=\"state\" onchange=\"this.form.submit()\"><option value=\"\">any</option>"
        for s in RunState.allCases { out += "<option\(f.state == s ? " selected" : "")>\(s.rawValue)</option>" }
        out += "</select></label><label>trigger <select name=\"trigger\" onchange=\"this.form.submit()\"><option value=\"\">any</option>"
        for t in RunTrigger.allCases { out += "<option\(f.trigger == t ? " selected" : "")>\(t.rawValue)</option>" }
        out += "</select></label><label>day <input type=\"date\" name=\"day\" value=\"\(f.day?.description ?? "")\" onchange=\"this.form.submit()\"></label>"
        out += "<noscript><button>filter</button></noscript> <a href=\"/jobs/\(URLText.component(view.name))\">clear</a></form>\n"
        out += runTable(view.runs, zone: zone, showJob: false)
        var query: [String] = []
        if let s = f.state { query.append("state=\(s.rawValue)") }
        if let t = f.trigger { query.append("trigger=\(t.rawValue)") }
        if let d = f.day { query.append("day=\(d)") }
        out +=
            "<p class=\"muted\">JSON: <a href=\"/api/jobs/\(URLText.component(view.name))\(query.isEmpty ? "" : "?" + query.joined(separator: "&"))\">/api/jobs/\(name)</a></p>\n"
        return out
    }

    static func runTable(_ runs: [RunRecord], zone: ZoneRules, showJob: Bool) -> String {
        if runs.isEmpty { return "<p class=\"muted\" id=\"no-runs\">No runs match.</p>\n" }
        var out =
            "<div class=\"scroll\"><table id=\"runs\"><thead><tr><th>run</th>\(showJob ? "<th>job</th>" : "")<th>day</th><th>slot</th><th>trigger</th><th>state</th><th class=\"num\">attempts</th><th class=\"num\">duration</th><th class=\"wide\">reason</th></tr></thead><tbody>\n"
        for r in runs {
            out += "<tr data-run=\"\(r.id ?? 0)\"><td>\(Layout.runLink(r))</td>\(showJob ? "<td>\(Layout.jobLink(r.job))</td>" : "")"
            out += "<td>\(HTMLText.escape(r.tradingDay))</td><td>\(r.scheduledFor.map { HTMLText.clock($0, zone) } ?? "-")</td><td>\(r.trigger.rawValue)</td>"
            out += "<td>\(Layout.state(r.state))</td><td class=\"num\">\(r.attempts)</td><td class=\"num\">\(TimeFormat.duration(RunJSON.duration(r)))</td>"
            out += "<td class=\"wide\">\(HTMLText.escape(r.reason ?? ""))</td></tr>\n"
        }
        return out + "</tbody></table></div>\n"
    }

    // MARK: Run

    public static func run(_ view: RunView, zone: ZoneRules) -> String {
        let r = view.run
        var out = "<h1>Run #\(r.id ?? 0) of \(Layout.jobLink(r.job)) \(Layout.state(r.state))</h1>\n<dl class=\"facts\">"
        out += "<dt>trading day</dt><dd><a href=\"/?day=\(HTMLText.escape(r.tradingDay))\">\(HTMLText.escape(r.tradingDay))</a></dd>"
        out += "<dt>slot</dt><dd>\(Layout.time(r.scheduledFor, zone))</dd><dt>trigger</dt><dd>\(r.trigger.rawValue)</dd>"
        out += "<dt>created</dt><dd>\(Layout.time(r.createdAt, zone))</dd><dt>started</dt><dd>\(Layout.time(r.startedAt, zone))</dd>"
        out += "<dt>finished</dt><dd>\(Layout.time(r.finishedAt, zone))</dd><dt>duration</dt><dd>\(TimeFormat.duration(RunJSON.duration(r)))</dd>"
        if let reason = r.reason { out += "<dt>reason</dt><dd>\(HTMLText.escape(reason))</dd>" }
        if let cause = r.causeRunId { out += "<dt>triggered by the failure of</dt><dd><a href=\"/runs/\(cause)\">#\(cause)</a></dd>" }
        out += "</dl>\n<h2>Attempts</h2>\n"
        if view.attempts.isEmpty {
            out += "<p class=\"muted\">No attempt yet.</p>\n"
        } else {
            out +=
                "<div class=\"scroll\"><table id=\"attempts\"><thead><tr><th>#</th><th>outcome</th><th class=\"num\">exit</th><th class=\"num\">signal</th><th class=\"num\">pid</th><th>started</th><th class=\"num\">duration</th><th>log</th></tr></thead><tbody>\n"
            for a in view.attempts {
                let duration = a.finishedAt.map { $0 - a.startedAt }
                out += "<tr><td>\(a.number)</td><td>\(HTMLText.escape(a.outcome.rawValue))</td><td class=\"num\">\(a.exitCode.map(String.init) ?? "-")</td>"
                out += "<td class=\"num\">\(a.signal.map(String.init) ?? "-")</td><td class=\"num\">\(a.pid.map(String.init) ?? "-")</td>"
                out += "<td>\(Layout.time(a.startedAt, zone))</td><td class=\"num\">\(TimeFormat.duration(duration))</td>"
                out += "<td><a href=\"/runs/\(r.id ?? 0)/attempts/\(a.number)/log\">log</a></td></tr>\n"
            }
            out += "</tbody></table></div>\n"
        }
        out +=
            "<h2>Environment</h2>\n<p class=\"muted\">The names its processes were given besides the orchestrator's own environment (values are not shown: some are secrets).</p>\n"
        out += "<p id=\"environment\">" + view.environment.map { "<code>\(HTMLText.escape($0))</code>" }.joined(separator: " ") + "</p>\n"
        out += "<p class=\"muted\">JSON: <a href=\"/api/runs/\(r.id ?? 0)\">/api/runs/\(r.id ?? 0)</a></p>\n"
        return out
    }

    // MARK: Services

    public static func services(_ records: [ServiceRecord], now: Double, zone: ZoneRules) -> String {
        var out = "<h1>Services</h1>\n<p class=\"muted\">As their supervisor last recorded them. <a href=\"/api/services\">JSON</a></p>\n"
        if records.isEmpty { return out + "<p class=\"muted\">No services.</p>\n" }
        out +=
            "<div class=\"scroll\"><table id=\"services\"><thead><tr><th>service</th><th>state</th><th class=\"num\">pid</th><th class=\"num\">uptime</th><th class=\"num\">restarts</th><th>health</th></tr></thead><tbody>\n"
        for s in records {
            out += "<tr><td><a href=\"/services/\(URLText.component(s.name))\">\(HTMLText.escape(s.name))</a></td><td>\(Layout.serviceState(s.state))</td>"
            out += "<td class=\"num\">\(s.pid.map(String.init) ?? "-")</td><td class=\"num\">\(TimeFormat.duration(s.startedAt.map { now - $0 }))</td>"
            out += "<td class=\"num\">\(s.restarts)</td><td>\(health(s, now: now))</td></tr>\n"
        }
        return out + "</tbody></table></div>\n"
    }

    static func health(_ s: ServiceRecord, now: Double) -> String {
        guard let at = s.healthCheckedAt else { return "-" }
        return "\((s.healthOk ?? false) ? "ok" : "<b>failing</b>") \(TimeFormat.duration(max(0, now - at))) ago: \(HTMLText.escape(s.healthDetail ?? ""))"
    }

    public static func service(_ view: ServiceView, zone: ZoneRules) -> String {
        let s = view.record
        var out = "<h1>Service \(HTMLText.escape(s.name)) \(Layout.serviceState(s.state))</h1>\n"
        if let d = view.spec?.description { out += "<p>\(HTMLText.escape(d))</p>\n" }
        out += "<dl class=\"facts\"><dt>pid</dt><dd>\(s.pid.map(String.init) ?? "-")</dd>"
        out += "<dt>uptime</dt><dd>\(TimeFormat.duration(s.startedAt.map { view.now - $0 }))</dd><dt>restarts</dt><dd>\(s.restarts)</dd>"
        var exit = "-"
        if let signal = s.lastSignal { exit = "signal \(signal)" } else if let code = s.lastExitCode { exit = "exit \(code)" }
        out += "<dt>last exit</dt><dd>\(exit)\(s.lastExitAt.map { " at " + Layout.time($0, zone) } ?? "")</dd>"
        out += "<dt>health</dt><dd>\(health(s, now: view.now))</dd>"
        if let reason = s.reason { out += "<dt>reason</dt><dd>\(HTMLText.escape(reason))</dd>" }
        if let window = view.spec?.active { out += "<dt>active</dt><dd>\(HTMLText.escape("\(window)"))</dd>" }
        if let run = s.runId { out += "<dt>run</dt><dd><a href=\"/runs/\(run)\">#\(run)</a></dd>" }
        out += "</dl>\n"
        if let run = s.runId, !view.attempts.isEmpty {
            out += "<h2>Starts of run #\(run)</h2>\n<p>"
            out += view.attempts.reversed().prefix(20).map { a in
                "<a href=\"/runs/\(run)/attempts/\(a.number)/log\">start \(a.number)</a> (\(HTMLText.escape(a.outcome.rawValue)))"
            }.joined(separator: " · ")
            out += "</p>\n"
        }
        out += "<h2>Events</h2>\n"
        if view.events.isEmpty { return out + "<p class=\"muted\">None recorded.</p>\n" }
        out +=
            "<div class=\"scroll\"><table id=\"events\"><thead><tr><th>at</th><th>event</th><th>state</th><th class=\"num\">pid</th><th>detail</th></tr></thead><tbody>\n"
        for e in view.events {
            out += "<tr><td>\(Layout.time(e.at, zone))</td><td>\(HTMLText.escape(e.kind))</td><td>\(HTMLText.escape(e.state))</td>"
            out += "<td class=\"num\">\(e.pid.map(String.init) ?? "-")</td><td>\(HTMLText.escape(e.detail ?? ""))</td></tr>\n"
        }
        out +=
            "</tbody></table></div>\n<p class=\"muted\">JSON: <a href=\"/api/services/\(URLText.component(s.name))\">/api/services/\(HTMLText.escape(s.name))</a></p>\n"
        return out
    }

    public static func problem(_ error: WebError) -> String {
        let title =
            switch error {
            case .badRequest: "Not a valid request"
            case .notFound: "Not found"
            case .forbidden: "Not served"
            case .unavailable: "The run store cannot be read"
            }
        return "<h1>\(title)</h1>\n<p class=\"notice\">\(HTMLText.escape(error.description))</p>\n<p><a href=\"/\">Today</a></p>\n"
    }
}
