import Foundation
public import OrchestratorCore

/// The evening report as a self-contained HTML page (inline CSS and SVG; no script, font or
/// image fetched from anywhere) and its equity chart as a standalone SVG (for the PNG the posts
/// carry). Times on the exchange's clock.
public enum EveningRender {
    static let green = "#1a7f37", red = "#cf222e", blue = "#0969da", grey = "#57606a"

    /// The page; `title` names it (default: "Evening report — SESSION"; a backtest's names its days).
    public static func html(_ r: EveningReport, zone: ZoneRules, title: String? = nil) -> String {
        let heading = HTMLText.escape(title ?? "Evening report — \(r.session)")
        var out = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>AlphaTrader — \(title.map(HTMLText.escape) ?? "evening report \(r.session)")</title>
            <style>
            body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;margin:0 auto;max-width:1100px;padding:16px;color:#1f2328;background:#fff}
            h1{font-size:1.5em;margin:0 0 4px}h2{font-size:1.15em;margin:28px 0 8px;border-bottom:1px solid #d0d7de;padding-bottom:4px}
            .muted{color:#57606a}.pos{color:\(green)}.neg{color:\(red)}
            .cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:10px;margin:14px 0}
            .card{border:1px solid #d0d7de;border-radius:6px;padding:8px 10px}.card b{display:block;font-size:1.35em}
            table{border-collapse:collapse;width:100%;font-size:.92em}th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #eaeef2}
            td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}svg{max-width:100%;height:auto}
            .charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(480px,1fr));gap:16px}
            </style></head><body>
            <h1>\(heading)</h1>
            <p class="muted">Session \(HTMLText.clock(r.open, zone))–\(HTMLText.clock(r.close, zone)) (exchange time). P&amp;L includes commissions.</p>

            """
        out += cards(r)
        out += "<h2>Charts</h2><div class=\"charts\">\n"
        out +=
            "<figure id=\"equity-chart\">" + equitySVG(r, zone: zone)
            + "<figcaption class=\"muted\">Realized P&amp;L through the day and its drawdown from the day's high</figcaption></figure>\n"
        out += "<figure id=\"strategy-chart\">" + strategySVG(r) + "<figcaption class=\"muted\">P&amp;L by strategy</figcaption></figure>\n"
        if r.history.count >= 2 {
            out += "<figure id=\"history-chart\">" + historySVG(r) + "<figcaption class=\"muted\">Equity to date</figcaption></figure>\n"
        }
        if let runs = r.runs, !runs.isEmpty {
            out +=
                "<figure id=\"runs-chart\">" + runsSVG(runs, r: r, zone: zone)
                + "<figcaption class=\"muted\">The day's job runs (exchange time)</figcaption></figure>\n"
        }
        out += "</div>\n"
        out += groupsTable("By strategy", r.byStrategy, id: "by-strategy")
        out += groupsTable("By symbol", r.bySymbol, id: "by-symbol")
        out += historySection(r)
        out += tradesTable(r, zone: zone)
        out += riskSection(r, zone: zone)
        out += signalsSection(r)
        out += runsSection(r)
        out += "<p class=\"muted\">Written by alphatrader evening-report from the trade journal, Redis and the orchestrator's run store.</p>\n</body></html>\n"
        return out
    }

    // MARK: Pieces

    static func money(_ x: Double?) -> String { x.map { ReportMessages.fixed($0, places: 2, minus: "−") } ?? "—" }

    static func signed(_ x: Double?) -> String {
        guard let x else { return "—" }
        return "<span class=\"\(x < 0 ? "neg" : x > 0 ? "pos" : "")\">\(money(x))</span>"
    }

    static func ratio(_ x: Double?) -> String { money(x) }
    static func percent(_ x: Double?) -> String { x.map { ReportMessages.fixed($0 * 100, places: 1, minus: "−") + " %" } ?? "—" }

    static func cards(_ r: EveningReport) -> String {
        let items: [(String, String, String)] = [
            ("realized", "Realized P&amp;L", signed(r.realized)),
            ("unrealized", "Unrealized P&amp;L", r.unrealized == nil ? "—" : signed(r.unrealized)),
            ("trades", "Trades", "\(r.trades.count)"),
            ("win-rate", "Win rate", percent(r.winRate)),
            ("profit-factor", "Profit factor", ratio(r.profitFactor)),
            ("largest-loss", "Largest loss", signed(r.largestLoss)),
            ("commissions", "Commissions", money(r.commissions)),
            ("max-exposure", "Largest exposure", money(r.maxExposure)),
            ("sharpe", "Sharpe (\(r.history.count) d)", ratio(r.sharpe)),
            ("sortino", "Sortino (\(r.history.count) d)", ratio(r.sortino)),
        ]
        return "<div class=\"cards\">\n"
            + items.map { "<div class=\"card\" id=\"card-\($0.0)\"><span class=\"muted\">\($0.1)</span><b>\($0.2)</b></div>" }.joined(separator: "\n")
            + "\n</div>\n"
    }

    static func groupsTable(_ title: String, _ groups: [EveningReport.Group], id: String) -> String {
        var out =
            "<h2>\(title)</h2><table id=\"\(id)\"><tr><th>\(title.dropFirst(3).capitalized)</th><th class=\"n\">Trades</th><th class=\"n\">Won</th><th class=\"n\">P&amp;L</th></tr>\n"
        if groups.isEmpty { out += "<tr><td colspan=\"4\" class=\"muted\">no trades closed</td></tr>\n" }
        for g in groups {
            out +=
                "<tr><td>\(HTMLText.escape(g.name))</td><td class=\"n\">\(g.trades)</td><td class=\"n\">\(g.wins)</td><td class=\"n\">\(signed(g.pnl))</td></tr>\n"
        }
        return out + "</table>\n"
    }

    static func historySection(_ r: EveningReport) -> String {
        var out = "<h2>To date</h2><table id=\"history\">"
        let dd = r.maximumDrawdown.map { "\(money($0.amount)) (\(percent($0.fraction))), \($0.peak) → \($0.trough)" } ?? "none"
        out += "<tr><td>Days</td><td class=\"n\">\(r.history.count)</td></tr>"
        out += "<tr><td>Equity</td><td class=\"n\">\(money(r.history.last?.equity ?? r.capital)) (from \(money(r.capital)))</td></tr>"
        out += "<tr><td>Sharpe / Sortino (annualised, √252, risk-free 0)</td><td class=\"n\">\(ratio(r.sharpe)) / \(ratio(r.sortino))</td></tr>"
        out += "<tr><td>Maximum drawdown</td><td class=\"n\">\(dd)</td></tr>"
        out += "<tr><td>Average win / loss today</td><td class=\"n\">\(signed(r.averageWin)) / \(signed(r.averageLoss))</td></tr>"
        out += "<tr><td>Intraday drawdown</td><td class=\"n\">\(money(r.intradayDrawdown))</td></tr>"
        if !r.openPositions.isEmpty {
            out += "<tr><td>Open at the close</td><td class=\"n\">\(r.openPositions.map(HTMLText.escape).joined(separator: ", "))</td></tr>"
        }
        return out + "</table>\n"
    }

    static func tradesTable(_ r: EveningReport, zone: ZoneRules) -> String {
        var out = "<h2>Trades</h2><table id=\"trades\"><tr><th>Closed</th><th>Strategy</th><th>Instrument</th><th>Why</th><th class=\"n\">P&amp;L</th></tr>\n"
        if r.trades.isEmpty { out += "<tr><td colspan=\"5\" class=\"muted\">no trades closed</td></tr>\n" }
        for t in r.trades {
            out += "<tr><td>\(HTMLText.clock(t.closedAt, zone))</td><td>\(HTMLText.escape(t.strategy))</td><td>\(HTMLText.escape(t.instrument))</td>"
            out += "<td>\(HTMLText.escape(t.reason))</td><td class=\"n\">\(signed(t.pnl))</td></tr>\n"
        }
        return out + "</table>\n"
    }

    static func riskSection(_ r: EveningReport, zone: ZoneRules) -> String {
        var out = "<h2>Risk events</h2><table id=\"risk\">"
        if r.breakerEvents.isEmpty && r.denied.isEmpty { out += "<tr><td class=\"muted\">none</td></tr>" }
        for e in r.breakerEvents { out += "<tr><td>\(HTMLText.clock(e.time, zone))</td><td>\(HTMLText.escape(e.event))</td></tr>" }
        for (check, n) in r.denied.sorted(by: { $0.key < $1.key }) {
            out += "<tr><td>denied</td><td>\(n) order\(n == 1 ? "" : "s") by the \(HTMLText.escape(check)) check</td></tr>"
        }
        return out + "</table>\n"
    }

    static func signalsSection(_ r: EveningReport) -> String {
        var by: [String: [String: Int]] = [:]
        for s in r.signals { by[s.strategy, default: [:]][s.outcome, default: 0] += 1 }
        let outcomes = ["won", "lost", "open", "not filled", "not traded"]
        var out = "<h2>Signals and their outcomes</h2><table id=\"signals\"><tr><th>Strategy</th><th class=\"n\">Signals</th>"
        out += outcomes.map { "<th class=\"n\">\($0)</th>" }.joined() + "</tr>\n"
        if by.isEmpty { out += "<tr><td colspan=\"7\" class=\"muted\">no signals</td></tr>\n" }
        for (strategy, counts) in by.sorted(by: { $0.key < $1.key }) {
            out += "<tr><td>\(HTMLText.escape(strategy))</td><td class=\"n\">\(counts.values.reduce(0, +))</td>"
            out += outcomes.map { "<td class=\"n\">\(counts[$0] ?? 0)</td>" }.joined() + "</tr>\n"
        }
        return out + "</table>\n"
    }

    static func runsSection(_ r: EveningReport) -> String {
        var out = "<h2>Job runs and services</h2>"
        guard let runs = r.runs else { return out + "<p class=\"muted\">\(HTMLText.escape(r.runsNote ?? "no run history"))</p>\n" }
        var byJob: [String: [EveningReport.Run]] = [:]
        for run in runs { byJob[run.job, default: []].append(run) }
        out +=
            "<table id=\"runs\"><tr><th>Job</th><th class=\"n\">Runs</th><th class=\"n\">Succeeded</th><th class=\"n\">Retries</th><th class=\"n\">Longest</th><th>Failures</th></tr>\n"
        for (job, rs) in byJob.sorted(by: { $0.key < $1.key }) {
            let ok = rs.filter { $0.state == "succeeded" }.count
            let retries = rs.reduce(0) { $0 + max(0, $1.attempts - 1) }
            let longest = rs.compactMap { r in r.startedAt.flatMap { s in r.finishedAt.map { $0 - s } } }.max()
            let failures = rs.filter { $0.state != "succeeded" }.map { "\($0.state)\($0.reason.map { ": " + $0 } ?? "")" }
            out += "<tr><td>\(HTMLText.escape(job))</td><td class=\"n\">\(rs.count)</td><td class=\"n\">\(ok)</td><td class=\"n\">\(retries)</td>"
            out +=
                "<td class=\"n\">\(longest.map { ReportMessages.fixed($0, places: 1) + " s" } ?? "—")</td><td>\(HTMLText.escape(failures.joined(separator: "; ")))</td></tr>\n"
        }
        out += "</table>\n"
        if let services = r.services, !services.isEmpty {
            out += "<table id=\"services\"><tr><th>Service</th><th>State</th><th class=\"n\">Restarts</th><th>Health</th></tr>\n"
            for s in services {
                out += "<tr><td>\(HTMLText.escape(s.name))</td><td>\(HTMLText.escape(s.state))</td><td class=\"n\">\(s.restarts)</td>"
                out += "<td>\(HTMLText.escape(s.health ?? "—"))</td></tr>\n"
            }
            out += "</table>\n"
        }
        return out
    }

    // MARK: Charts

    /// SVG coordinates, one decimal (String(format:) costs microseconds on Linux; a day of
    /// 1,000 trades draws thousands).
    static func f(_ x: Double) -> String { ReportMessages.fixed(x, places: 1) }

    /// The intraday equity (realized P&L) with the drawdown from its running high shaded; a
    /// standalone SVG document (the PNG is rendered from it).
    public static func equitySVG(_ r: EveningReport, zone: ZoneRules) -> String {
        let w = 640.0, h = 300.0, left = 64.0, right = 16.0, top = 28.0, bottom = 36.0
        let points = r.equity + [EveningReport.Point(time: max(r.close, r.equity.last?.time ?? r.close), value: r.equity.last?.value ?? 0)]
        let lo = min(0, points.map(\.value).min() ?? 0), hi = max(0, points.map(\.value).max() ?? 0)
        let span = max(hi - lo, 1)
        let t0 = r.open, t1 = max(r.close, points.last!.time)
        let x = { (t: Double) in left + (w - left - right) * (t - t0) / max(t1 - t0, 1) }
        let y = { (v: Double) in top + (h - top - bottom) * (1 - (v - lo) / span) }
        var line = "", peakLine = "", peak = -Double.infinity
        for (i, p) in points.enumerated() {
            // A step: the value holds until the next close.
            if i > 0 { line += " L\(f(x(p.time))),\(f(y(points[i - 1].value)))"; peakLine += " L\(f(x(p.time))),\(f(y(peak)))" }
            peak = max(peak, p.value)
            line += (i == 0 ? "M" : " L") + "\(f(x(p.time))),\(f(y(p.value)))"
            peakLine += (i == 0 ? "M" : " L") + "\(f(x(p.time))),\(f(y(peak)))"
        }
        // The drawdown: between the running high and the equity.
        var area = peakLine
        for p in points.reversed() { area += " L\(f(x(p.time))),\(f(y(p.value)))" }
        var svg =
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(w))\" height=\"\(Int(h))\" viewBox=\"0 0 \(Int(w)) \(Int(h))\" font-family=\"DejaVu Sans, sans-serif\" font-size=\"11\" role=\"img\" aria-label=\"Intraday equity\">"
        svg += "<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>"
        svg +=
            "<text x=\"\(Int(left))\" y=\"17\" font-size=\"13\" font-weight=\"bold\">\(r.session): realized P&amp;L \(money(r.realized)) over \(r.trades.count) trades</text>"
        for k in 0...4 {
            let v = lo + span * Double(k) / 4
            svg += "<line x1=\"\(f(left))\" x2=\"\(f(w - right))\" y1=\"\(f(y(v)))\" y2=\"\(f(y(v)))\" stroke=\"#eaeef2\"/>"
            svg += "<text x=\"\(f(left - 6))\" y=\"\(f(y(v) + 4))\" text-anchor=\"end\" fill=\"\(grey)\">\(money(v))</text>"
        }
        svg += "<line x1=\"\(f(left))\" x2=\"\(f(w - right))\" y1=\"\(f(y(0)))\" y2=\"\(f(y(0)))\" stroke=\"\(grey)\"/>"
        let hours = Int((t1 - t0) / 3600)
        for k in 0...max(hours, 1) {
            let t = t0 + Double(k) * 3600
            guard t <= t1 else { break }
            svg += "<text x=\"\(f(x(t)))\" y=\"\(f(h - bottom + 16))\" text-anchor=\"middle\" fill=\"\(grey)\">\(HTMLText.clock(t, zone))</text>"
        }
        svg += "<path d=\"\(area) Z\" fill=\"\(red)\" fill-opacity=\"0.18\" stroke=\"none\" class=\"drawdown\"/>"
        svg += "<path d=\"\(line)\" fill=\"none\" stroke=\"\(blue)\" stroke-width=\"2\" class=\"equity\"/>"
        return svg + "</svg>"
    }

    static func strategySVG(_ r: EveningReport) -> String {
        let groups = r.byStrategy
        let w = 640.0, row = 30.0, left = 90.0, right = 10.0, top = 10.0
        let h = top * 2 + row * Double(max(groups.count, 1))
        let m = max(groups.map { abs($0.pnl) }.max() ?? 1, 1)
        // Room for the value beside the longest bar on either side.
        let mid = left + (w - left - right) / 2, half = (w - left - right) / 2 - 90
        var svg =
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(w))\" height=\"\(Int(h))\" viewBox=\"0 0 \(Int(w)) \(Int(h))\" font-family=\"DejaVu Sans, sans-serif\" font-size=\"12\" role=\"img\" aria-label=\"P&amp;L by strategy\">"
        svg += "<line x1=\"\(f(mid))\" x2=\"\(f(mid))\" y1=\"0\" y2=\"\(f(h))\" stroke=\"\(grey)\"/>"
        if groups.isEmpty { svg += "<text x=\"\(f(mid))\" y=\"\(f(top + 18))\" text-anchor=\"middle\" fill=\"\(grey)\">no trades closed</text>" }
        for (i, g) in groups.enumerated() {
            let yy = top + row * Double(i)
            let len = half * abs(g.pnl) / m
            let x0 = g.pnl < 0 ? mid - len : mid
            svg += "<text x=\"\(f(left - 8))\" y=\"\(f(yy + 19))\" text-anchor=\"end\">\(HTMLText.escape(g.name))</text>"
            svg += "<rect class=\"bar\" x=\"\(f(x0))\" y=\"\(f(yy + 6))\" width=\"\(f(max(len, 1)))\" height=\"18\" fill=\"\(g.pnl < 0 ? red : green)\"/>"
            svg +=
                "<text x=\"\(f(g.pnl < 0 ? x0 - 4 : x0 + len + 4))\" y=\"\(f(yy + 19))\" text-anchor=\"\(g.pnl < 0 ? "end" : "start")\">\(money(g.pnl)) (\(g.trades))</text>"
        }
        return svg + "</svg>"
    }

    static func historySVG(_ r: EveningReport) -> String {
        let w = 640.0, h = 220.0, left = 70.0, right = 16.0, top = 14.0, bottom = 30.0
        let values = [r.capital] + r.history.map(\.equity)
        let lo = values.min()!, hi = values.max()!, span = max(hi - lo, 1)
        let x = { (i: Int) in left + (w - left - right) * Double(i) / Double(max(values.count - 1, 1)) }
        let y = { (v: Double) in top + (h - top - bottom) * (1 - (v - lo) / span) }
        var svg =
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(w))\" height=\"\(Int(h))\" viewBox=\"0 0 \(Int(w)) \(Int(h))\" font-family=\"DejaVu Sans, sans-serif\" font-size=\"11\" role=\"img\" aria-label=\"Equity to date\">"
        for v in [lo, hi] {
            svg += "<text x=\"\(f(left - 6))\" y=\"\(f(y(v) + 4))\" text-anchor=\"end\" fill=\"\(grey)\">\(money(v))</text>"
            svg += "<line x1=\"\(f(left))\" x2=\"\(f(w - right))\" y1=\"\(f(y(v)))\" y2=\"\(f(y(v)))\" stroke=\"#eaeef2\"/>"
        }
        svg += "<text x=\"\(f(left))\" y=\"\(f(h - 8))\" fill=\"\(grey)\">\(r.history.first!.day)</text>"
        svg += "<text x=\"\(f(w - right))\" y=\"\(f(h - 8))\" text-anchor=\"end\" fill=\"\(grey)\">\(r.history.last!.day)</text>"
        let d = values.enumerated().map { "\($0.offset == 0 ? "M" : "L")\(f(x($0.offset))),\(f(y($0.element)))" }.joined(separator: " ")
        return svg + "<path d=\"\(d)\" fill=\"none\" stroke=\"\(blue)\" stroke-width=\"2\"/></svg>"
    }

    static func runsSVG(_ runs: [EveningReport.Run], r: EveningReport, zone: ZoneRules) -> String {
        let jobs = Array(Set(runs.map(\.job))).sorted()
        let times = runs.flatMap { [$0.startedAt, $0.finishedAt].compactMap { $0 } }
        let t0 = min(times.min() ?? r.open, r.open), t1 = max(times.max() ?? r.close, r.close)
        let w = 640.0, row = 18.0, left = 130.0, right = 12.0, top = 8.0, bottom = 24.0
        let h = top + bottom + row * Double(jobs.count)
        let x = { (t: Double) in left + (w - left - right) * (t - t0) / max(t1 - t0, 1) }
        var svg =
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(w))\" height=\"\(Int(h))\" viewBox=\"0 0 \(Int(w)) \(Int(h))\" font-family=\"DejaVu Sans, sans-serif\" font-size=\"11\" role=\"img\" aria-label=\"Job runs\">"
        svg += "<rect x=\"\(f(x(r.open)))\" y=\"0\" width=\"\(f(x(r.close) - x(r.open)))\" height=\"\(f(h - bottom))\" fill=\"#f6f8fa\"/>"
        for (i, job) in jobs.enumerated() {
            let yy = top + row * Double(i)
            svg += "<text x=\"\(f(left - 6))\" y=\"\(f(yy + 12))\" text-anchor=\"end\">\(HTMLText.escape(job))</text>"
            for run in runs where run.job == job {
                guard let s = run.startedAt else { continue }
                let e = run.finishedAt ?? s
                let color = run.state == "succeeded" ? green : run.state == "running" ? blue : red
                svg +=
                    "<rect class=\"run \(run.state)\" x=\"\(f(x(s)))\" y=\"\(f(yy + 3))\" width=\"\(f(max(x(e) - x(s), 2)))\" height=\"12\" fill=\"\(color)\"><title>\(HTMLText.escape(job)) \(run.state)</title></rect>"
            }
        }
        var t = (t0 / 3600).rounded(.up) * 3600
        while t <= t1 {
            svg += "<text x=\"\(f(x(t)))\" y=\"\(f(h - 8))\" text-anchor=\"middle\" fill=\"\(grey)\">\(HTMLText.clock(t, zone))</text>"
            t += 7200
        }
        return svg + "</svg>"
    }
}
