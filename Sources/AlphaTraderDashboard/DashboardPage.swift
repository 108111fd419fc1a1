import AlphaTrader
import Foundation
public import OrchestratorCore

/// The dashboard's HTML: one page, its sections rendered here both for the first paint and for
/// every update (the event stream carries each section's new HTML; the page's script swaps them
/// in) — one renderer, no template duplicated in script.
public enum DashboardPage {
    /// Money with its sign and cents: `+$1,234.50`, `-$80.00`.
    public static func money(_ x: Double, sign: Bool = true) -> String {
        let cents = Int((abs(x) * 100).rounded())
        var whole = String(cents / 100)
        var grouped = ""
        while whole.count > 3 {
            grouped = "," + whole.suffix(3) + grouped
            whole = String(whole.dropLast(3))
        }
        let fraction = cents % 100
        let text = "$" + whole + grouped + "." + (fraction < 10 ? "0" : "") + String(fraction)
        if x < 0 && cents > 0 { return "-" + text }
        return sign && cents > 0 ? "+" + text : text
    }

    static func price(_ x: Double?) -> String {
        guard let x else { return "-" }
        let cents = Int((x * 100).rounded())
        return String(cents / 100) + "." + (abs(cents % 100) < 10 ? "0" : "") + String(abs(cents % 100))
    }

    static func tone(_ x: Double?) -> String { (x ?? 0) > 0.005 ? "up" : (x ?? 0) < -0.005 ? "down" : "" }

    static func age(_ seconds: Double?) -> String {
        guard let seconds else { return "never" }
        return TimeFormat.duration(seconds) + " ago"
    }

    /// Each section's id and HTML.
    public static func sections(_ s: DashboardSnapshot, zone: ZoneRules) -> [(String, String)] {
        [
            ("summary", summary(s, zone: zone)), ("curve", curve(s, zone: zone)), ("positions", positions(s)), ("orders", orders(s)),
            ("signals", signals(s, zone: zone)), ("risk", risk(s)), ("freshness", freshness(s)), ("problems", problems(s)),
        ]
    }

    static func summary(_ s: DashboardSnapshot, zone: ZoneRules) -> String {
        var out = "<div class=\"big \(tone(s.pnl?.total))\" id=\"total\">\(s.pnl.map { money($0.total) } ?? "-")</div><div class=\"muted\">"
        if let p = s.pnl {
            out +=
                "P&amp;L \(HTMLText.escape(p.session)): realized \(money(p.realized)), unrealized \(money(p.unrealized)), commissions \(money(p.commissions, sign: false))"
        } else {
            out += "no P&amp;L for the day yet (pnl:day)"
        }
        out += " · \(HTMLText.clock(s.now, zone)) market time</div>"
        if let r = s.risk {
            let cls = r.state == .active ? "ok" : r.state == .reducing ? "warn" : "bad"
            out +=
                "<div class=\"risk-state \(cls)\" id=\"risk-state\">\(r.state.rawValue)</div><div class=\"muted\">\(HTMLText.escape(r.reason)) (since \(HTMLText.escape(r.since)))</div>"
        } else {
            out += "<div class=\"risk-state\" id=\"risk-state\">no risk state</div>"
        }
        return out
    }

    static func curve(_ s: DashboardSnapshot, zone: ZoneRules) -> String {
        let points = s.curve
        guard points.count >= 2, let t0 = points.first?.t, let t1 = points.last?.t, t1 > t0 else {
            return "<p class=\"muted\">The day's P&amp;L curve starts with the dashboard's second sample.</p>"
        }
        let low = min(0, points.map(\.total).min() ?? 0), high = max(0, points.map(\.total).max() ?? 0)
        let w = 600.0, h = 220.0, pad = 8.0
        let span = max(high - low, 1)
        let x = { (t: Double) in pad + (w - 2 * pad) * (t - t0) / (t1 - t0) }
        let y = { (v: Double) in pad + (h - 2 * pad) * (high - v) / span }
        var path = ""
        // At most one point per horizontal pixel.
        let step = max(1, points.count / 600)
        for (i, p) in points.enumerated() where i % step == 0 || i == points.count - 1 {
            path += (path.isEmpty ? "M" : "L") + f(x(p.t)) + " " + f(y(p.total))
        }
        var svg =
            "<svg id=\"pnl-curve\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(Int(w)) \(Int(h + 18))\" width=\"100%\" font-family=\"DejaVu Sans, sans-serif\" font-size=\"15\" role=\"img\" aria-label=\"The day's P&amp;L\">"
        svg += "<line x1=\"\(f(pad))\" x2=\"\(f(w - pad))\" y1=\"\(f(y(0)))\" y2=\"\(f(y(0)))\" stroke=\"#8c959f\" stroke-dasharray=\"3 3\"/>"
        svg += "<path d=\"\(path)\" fill=\"none\" stroke=\"\((points.last?.total ?? 0) >= 0 ? "#1a7f37" : "#cf222e")\" stroke-width=\"1.8\"/>"
        svg += "<text x=\"\(f(pad))\" y=\"\(f(h + 14))\" fill=\"#57606a\">\(HTMLText.clock(t0, zone))</text>"
        svg += "<text x=\"\(f(w - pad))\" y=\"\(f(h + 12))\" text-anchor=\"end\" fill=\"#57606a\">\(HTMLText.clock(t1, zone))</text>"
        svg += "<text x=\"\(f(w - pad))\" y=\"\(f(pad + 13))\" text-anchor=\"end\" fill=\"#57606a\">high \(money(high))</text>"
        svg += "<text x=\"\(f(w - pad))\" y=\"\(f(h - 2))\" text-anchor=\"end\" fill=\"#57606a\">low \(money(low))</text>"
        return svg + "</svg>"
    }

    static func f(_ x: Double) -> String {
        let tenths = Int((x * 10).rounded())
        return String(tenths / 10) + "." + String(abs(tenths % 10))
    }

    static func positions(_ s: DashboardSnapshot) -> String {
        if s.positions.isEmpty { return "<p class=\"muted\">No open position.</p>" }
        var out =
            "<table><thead><tr><th>position</th><th class=\"num\">qty</th><th class=\"num\">avg cost</th><th class=\"num\">mark</th><th class=\"num\">unrealized</th></tr></thead><tbody>"
        for p in s.positions {
            out += "<tr><td>\(HTMLText.escape(p.id))</td><td class=\"num\">\(p.quantity)</td><td class=\"num\">\(price(p.averageCost))</td>"
            out += "<td class=\"num\">\(price(p.mark))</td><td class=\"num \(tone(p.unrealized))\">\(p.unrealized.map { money($0) } ?? "unmarked")</td></tr>"
        }
        return out + "</tbody></table>"
    }

    static func orders(_ s: DashboardSnapshot) -> String {
        if s.orders.isEmpty { return "<p class=\"muted\">No open order.</p>" }
        var out =
            "<table><thead><tr><th>order</th><th>instrument</th><th>side</th><th class=\"num\">qty</th><th>type</th><th class=\"num\">limit</th><th>status</th></tr></thead><tbody>"
        for o in s.orders {
            out += "<tr><td>\(HTMLText.escape(o.id))</td><td>\(HTMLText.escape(o.instrument))</td><td>\(HTMLText.escape(o.action))</td>"
            out +=
                "<td class=\"num\">\(o.filled)/\(o.quantity)</td><td>\(HTMLText.escape(o.type))</td><td class=\"num\">\(price(o.limit))</td><td>\(HTMLText.escape(o.status))</td></tr>"
        }
        return out + "</tbody></table>"
    }

    static func signals(_ s: DashboardSnapshot, zone: ZoneRules) -> String {
        var out =
            "<table><thead><tr><th>strategy</th><th>latest signal</th><th class=\"num\">entry</th><th class=\"num\">confidence</th><th>at</th></tr></thead><tbody>"
        for (strategy, signal) in s.signals {
            if let g = signal {
                out +=
                    "<tr><td>\(HTMLText.escape(strategy))</td><td>\(HTMLText.escape(g.symbol)) \(g.direction.rawValue)</td><td class=\"num\">\(price(g.entry))</td>"
                out += "<td class=\"num\">\(Int((g.confidence * 100).rounded()))%</td><td>\(HTMLText.clock(g.time, zone))</td></tr>"
            } else {
                out += "<tr><td>\(HTMLText.escape(strategy))</td><td class=\"muted\" colspan=\"4\">none today</td></tr>"
            }
        }
        return out + "</tbody></table>"
    }

    static func risk(_ s: DashboardSnapshot) -> String {
        let rows = s.proximity
        if rows.isEmpty { return "<p class=\"muted\">No limits to show: risk:daily is not written yet (the execution service writes it).</p>" }
        var out = ""
        for r in rows {
            let pct = Int((min(r.fraction, 1) * 100).rounded())
            let cls = r.fraction >= 1 ? "bad" : r.fraction >= 0.75 ? "warn" : "ok"
            let value = r.unit == "$" ? money(r.value, sign: false) : String(Int(r.value))
            let limit = r.unit == "$" ? money(r.limit, sign: false) : String(Int(r.limit))
            out +=
                "<div class=\"limit\"><div>\(HTMLText.escape(r.name)): <b>\(value)</b> of \(limit)</div><div class=\"bar\"><div class=\"fill \(cls)\" style=\"width:\(pct)%\"></div></div></div>"
        }
        return out
    }

    static func freshness(_ s: DashboardSnapshot) -> String {
        var out = "<table><thead><tr><th>source</th><th>last write</th><th>key</th></tr></thead><tbody>"
        for f in s.freshness {
            out +=
                "<tr class=\"\(f.isStale ? "stale" : "fresh")\"><td>\(HTMLText.escape(f.source))</td><td>\(f.isStale ? "⚠ " : "")\(age(f.age))</td><td class=\"muted\"><code>\(HTMLText.escape(f.key))</code></td></tr>"
        }
        return out + "</tbody></table>"
    }

    static func problems(_ s: DashboardSnapshot) -> String {
        if s.problems.isEmpty { return "" }
        return "<div class=\"notice\">" + s.problems.map { "<div>\(HTMLText.escape($0))</div>" }.joined() + "</div>"
    }

    static let style = """
        *{box-sizing:border-box}body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;margin:0;color:#1f2328;background:#f6f8fa}
        header{display:flex;flex-wrap:wrap;gap:4px 18px;align-items:baseline;padding:10px 16px;background:#fff;border-bottom:1px solid #d0d7de}
        header a{color:#0969da}main{display:grid;grid-template-columns:repeat(auto-fit,minmax(360px,1fr));gap:12px;padding:12px 16px;max-width:1400px;margin:0 auto}
        section{background:#fff;border:1px solid #d0d7de;border-radius:6px;padding:10px 12px;min-width:0;overflow-x:auto}h2{font-size:1em;margin:0 0 8px}
        .big{font-size:2.2em;font-weight:600;font-variant-numeric:tabular-nums}.up{color:#1a7f37}.down{color:#cf222e}.muted{color:#57606a;font-size:.9em}
        .risk-state{display:inline-block;margin-top:8px;padding:2px 10px;border-radius:12px;color:#fff;background:#6e7781;font-weight:600}
        .risk-state.ok{background:#1a7f37}.risk-state.warn{background:#bf8700}.risk-state.bad{background:#cf222e}
        table{border-collapse:collapse;width:100%;font-size:.9em}th,td{text-align:left;padding:4px 6px;border-bottom:1px solid #eaeef2}
        td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}tr.stale td{color:#9a6700}
        .limit{margin:6px 0}.bar{height:8px;background:#eaeef2;border-radius:4px;overflow:hidden}.fill{height:100%}.fill.ok{background:#1a7f37}.fill.warn{background:#bf8700}.fill.bad{background:#cf222e}
        .notice{padding:8px 12px;border:1px solid #d4a72c;background:#fff8c5;border-radius:6px;grid-column:1/-1}#problems:empty{display:none}
        #live.off{color:#cf222e}
        """

    /// Swaps in each section's HTML from the event stream; says when the stream is down (the
    /// browser reconnects by itself).
    static let script = """
        (function(){var live=document.getElementById('live');if(!window.EventSource)return;
        var s=new EventSource('/events');
        s.addEventListener('update',function(e){var d=JSON.parse(e.data);for(var k in d){var el=document.getElementById(k);if(el)el.innerHTML=d[k];}
          live.textContent='live · updated '+new Date().toLocaleTimeString();live.className='';});
        s.onerror=function(){live.textContent='reconnecting…';live.className='off';};})();
        """

    public static func html(_ s: DashboardSnapshot, zone: ZoneRules, orchestratorURL: String) -> String {
        let parts = Dictionary(uniqueKeysWithValues: sections(s, zone: zone))
        func section(_ id: String, _ title: String) -> String {
            "<section><h2>\(title)</h2><div id=\"\(id)\">\(parts[id] ?? "")</div></section>\n"
        }
        var out = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        out += "<title>AlphaTrader — dashboard</title>\n<style>\(style)</style></head><body>\n"
        out +=
            "<header><b>AlphaTrader</b><span id=\"live\">live</span><a href=\"\(HTMLText.escape(orchestratorURL))\">orchestrator</a><a href=\"/api/snapshot\">JSON</a></header>\n<main>\n"
        out += "<div id=\"problems\" class=\"full\">\(parts["problems"] ?? "")</div>\n"
        out += section("summary", "Today") + section("curve", "P&amp;L through the day") + section("risk", "Risk limits")
        out += section("positions", "Positions") + section("orders", "Open orders") + section("signals", "Latest signals")
        out += section("freshness", "Data freshness")
        out += "</main>\n<script>\(script)</script>\n</body></html>\n"
        return out
    }
}
