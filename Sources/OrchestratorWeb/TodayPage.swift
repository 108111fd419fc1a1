import Foundation
public import OrchestratorCore
public import OrchestratorRuntime

/// The Today page: the trading day's runs on the session's clock — one row per job, each run a
/// bar coloured by its state, the time it waited (queued) apart from the time it ran, the market
/// open and close (and an early close) marked, "now" drawn while the day is on; counts by state
/// and a legend of every state. Server-rendered HTML with an inline SVG: no script, no font or
/// file fetched.
public enum TodayPage {
    /// A colour per state (Airflow's palette where it has one).
    public static func color(_ state: RunState) -> String {
        switch state {
        case .pending: "#d3d3d3"
        case .queued: "#808080"
        case .running: "#00a000"
        case .retrying: "#ffd700"
        case .succeeded: "#228b22"
        case .failed: "#d00000"
        case .upstreamFailed: "#ffa500"
        case .skipped: "#ff69b4"
        case .missed: "#8b4513"
        case .cancelled: "#4b0082"
        }
    }

    /// A coordinate with one decimal, by integer arithmetic (a page writes thousands).
    static func f(_ x: Double) -> String {
        let tenths = Int((x * 10).rounded())
        return (tenths < 0 ? "-" : "") + String(abs(tenths) / 10) + "." + String(abs(tenths) % 10)
    }

    /// The page's body (Layout frames it).
    public static func body(_ view: TodayView, now: Double, zone: ZoneRules) -> String {
        let day = view.day, runs = view.runs
        var out = "<h1>Today — \(day)</h1>\n"
        if let session = view.session {
            out +=
                "<p class=\"muted\">Session \(HTMLText.clock(Double(session.open), zone))–\(HTMLText.clock(Double(session.close), zone))\(session.isEarlyClose ? " (early close)" : "") exchange time; \(runs.count) runs. <a href=\"/?day=\(day.adding(days: -1))\">← day before</a> · <a href=\"/?day=\(day.adding(days: 1))\">day after →</a></p>\n"
        } else {
            out +=
                "<p class=\"muted\">No session: \(HTMLText.escape(view.closure ?? "the exchange is closed")); \(runs.count) runs. <a href=\"/?day=\(day.adding(days: -1))\">← day before</a> · <a href=\"/?day=\(day.adding(days: 1))\">day after →</a></p>\n"
        }
        out +=
            "<div class=\"counts\" id=\"counts\">"
            + view.counts.map { "<span class=\"count \($0.0.rawValue)\"><b>\($0.1)</b> \($0.0.rawValue)</span>" }.joined()
            + "</div>\n"
        out +=
            "<div class=\"scroll\">" + timeline(day: day, runs: runs, retried: view.retried, windows: view.windows, session: view.session, now: now, zone: zone)
            + "</div>"
        out +=
            "<div class=\"legend\" id=\"legend\">"
            + RunState.allCases.map { "<span><span class=\"swatch\" style=\"background:\(color($0))\"></span>\($0.rawValue)</span>" }.joined()
            + "<span><span class=\"swatch\" style=\"background:#808080;opacity:.35\"></span>waiting (queued before it ran)</span>"
            + "<span><span class=\"swatch\" style=\"background:#8250df;opacity:.3\"></span>service window</span></div>\n"
        out += "<p class=\"muted\">JSON: <a href=\"/api/today?day=\(day)\"><code>/api/today?day=\(day)</code></a></p>\n"
        return out
    }

    static func timeline(
        day: LocalDate, runs: [RunRecord], retried: [Int64: [AttemptRecord]] = [:], windows: [PlannedWindow], session: Session?, now: Double, zone: ZoneRules
    ) -> String {
        // The day from 06:00 to 20:00 local, widened to what ran outside it.
        let midnight = Double(zone.instant(of: day, secondsOfDay: 0))
        var t0 = midnight + 6 * 3600, t1 = midnight + 20 * 3600
        for r in runs {
            t0 = min(t0, r.scheduledFor ?? r.createdAt, r.createdAt)
            t1 = max(t1, r.finishedAt ?? r.startedAt ?? r.createdAt)
        }
        // A run of the day recorded far from it (a catch-up a week later) does not stretch the axis.
        t0 = max(t0, midnight - 12 * 3600)
        t1 = min(t1, midnight + 36 * 3600)
        let jobs = Array(Set(runs.map(\.job))).sorted()
        let bands = windows.filter { $0.start != nil && $0.end != nil }
        let w = 1160.0, left = 150.0, right = 24.0, top = 24.0, row = 20.0
        let h = top + row * Double(max(jobs.count + bands.count, 1)) + 26
        let x = { (t: Double) in left + (w - left - right) * (t - t0) / max(t1 - t0, 1) }
        var svg =
            "<svg id=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(w))\" height=\"\(Int(h))\" viewBox=\"0 0 \(Int(w)) \(Int(h))\" font-family=\"DejaVu Sans, sans-serif\" font-size=\"11\" role=\"img\" aria-label=\"The day's runs\">"
        if let session {
            let open = x(Double(session.open)), close = x(Double(session.close))
            svg += "<rect class=\"session\" x=\"\(f(open))\" y=\"\(f(top - 6))\" width=\"\(f(close - open))\" height=\"\(f(h - top - 20))\" fill=\"#f1f8ff\"/>"
            svg +=
                "<line x1=\"\(f(open))\" x2=\"\(f(open))\" y1=\"\(f(top - 6))\" y2=\"\(f(h - 26))\" stroke=\"#0969da\"/><text x=\"\(f(open + 3))\" y=\"12\" fill=\"#0969da\">open</text>"
            svg +=
                "<line x1=\"\(f(close))\" x2=\"\(f(close))\" y1=\"\(f(top - 6))\" y2=\"\(f(h - 26))\" stroke=\"#0969da\"/><text x=\"\(f(close + 3))\" y=\"12\" fill=\"#0969da\">\(session.isEarlyClose ? "early close" : "close")</text>"
        }
        var hour = (t0 / 3600).rounded(.up) * 3600
        while hour <= t1 {
            svg += "<line x1=\"\(f(x(hour)))\" x2=\"\(f(x(hour)))\" y1=\"\(f(top - 6))\" y2=\"\(f(h - 26))\" stroke=\"#eaeef2\"/>"
            svg += "<text x=\"\(f(x(hour)))\" y=\"\(f(h - 10))\" text-anchor=\"middle\" fill=\"#57606a\">\(HTMLText.clock(hour, zone))</text>"
            hour += 3600
        }
        if jobs.isEmpty { svg += "<text x=\"\(f(left))\" y=\"\(f(top + row * Double(bands.count) + 14))\" fill=\"#57606a\">no runs on this day</text>" }
        // Service windows first, as bands: when each service is meant to be up.
        for (i, w) in bands.enumerated() {
            let y = top + row * Double(i)
            let from = max(t0, Double(w.start!)), to = min(t1, Double(w.end!))
            svg += "<text x=\"\(f(left - 6))\" y=\"\(f(y + 13))\" text-anchor=\"end\" fill=\"#8250df\">\(HTMLText.escape(w.service))</text>"
            if to > from {
                svg +=
                    "<rect class=\"window\" x=\"\(f(x(from)))\" y=\"\(f(y + 4))\" width=\"\(f(x(to) - x(from)))\" height=\"12\" fill=\"#8250df\" fill-opacity=\".3\"><title>\(HTMLText.escape(w.service)): \(HTMLText.clock(Double(w.start!), zone))–\(HTMLText.clock(Double(w.end!), zone))</title></rect>"
            }
        }
        let byJob = Dictionary(grouping: runs, by: \.job)
        svg.reserveCapacity(svg.utf8.count + runs.count * 400)
        for (i, job) in jobs.enumerated() {
            let y = top + row * Double(i + bands.count)
            let name = HTMLText.escape(job)
            svg += "<text x=\"\(f(left - 6))\" y=\"\(f(y + 13))\" text-anchor=\"end\">\(name)</text>"
            for r in byJob[job] ?? [] {
                let queuedFrom = r.scheduledFor.map { max($0, r.createdAt) } ?? r.createdAt
                let end = min(t1, r.finishedAt ?? (r.state == .running || r.state == .retrying ? max(now, r.startedAt ?? now) : r.startedAt ?? r.createdAt))
                let title = "\(name) #\(r.id ?? 0) \(r.state.rawValue)\(r.reason.map { ": " + HTMLText.escape($0) } ?? "")"
                if let start = r.startedAt, start > queuedFrom, queuedFrom >= t0 {
                    svg +=
                        "<rect class=\"wait\" x=\"\(f(x(queuedFrom)))\" y=\"\(f(y + 4))\" width=\"\(f(max(x(start) - x(queuedFrom), 1)))\" height=\"12\" fill=\"#808080\" fill-opacity=\".35\"/>"
                }
                let from = max(t0, r.startedAt ?? queuedFrom)
                svg +=
                    "<a href=\"/runs/\(r.id ?? 0)\"><rect class=\"run \(r.state.rawValue)\" data-run=\"\(r.id ?? 0)\" x=\"\(f(x(from)))\" y=\"\(f(y + 4))\" width=\"\(f(max(x(end) - x(from), 2)))\" height=\"12\" fill=\"\(color(r.state))\"><title>\(title)</title></rect></a>"
                // A retried run: each attempt but the last drawn over it in its own outcome's
                // colour, a white seam where the next began.
                for a in (r.id.flatMap { retried[$0] } ?? []).dropLast() {
                    let a0 = max(t0, a.startedAt), a1 = min(t1, a.finishedAt ?? a.startedAt)
                    let state: RunState = a.outcome == .succeeded ? .succeeded : a.outcome == .running ? .running : .failed
                    svg +=
                        "<rect class=\"attempt \(a.outcome.rawValue)\" x=\"\(f(x(a0)))\" y=\"\(f(y + 4))\" width=\"\(f(max(x(a1) - x(a0), 2)))\" height=\"12\" fill=\"\(color(state))\" stroke=\"#fff\" stroke-width=\"1\"><title>attempt \(a.number): \(a.outcome.rawValue)\(a.exitCode.map { ", exit \($0)" } ?? "")</title></rect>"
                }
            }
        }
        if now >= t0 && now <= t1 {
            svg += "<line id=\"now\" x1=\"\(f(x(now)))\" x2=\"\(f(x(now)))\" y1=\"\(f(top - 10))\" y2=\"\(f(h - 26))\" stroke=\"#cf222e\" stroke-width=\"2\"/>"
        }
        return svg + "</svg>\n"
    }
}
