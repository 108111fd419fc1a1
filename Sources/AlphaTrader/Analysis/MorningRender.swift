import Foundation
import OrchestratorCore

/// The morning report as files (`var/reports/DATE/morning.md` and `.html`): the same content,
/// the HTML self-contained (no script, font or image from the network), everything escaped.
public enum MorningRender {
    static func byline(_ r: MorningReport) -> String {
        if r.generatedBy == "rules" {
            return "Generated without AI, by rules from the same data" + (r.fallbackReason.map { " (\($0))" } ?? "") + "."
        }
        var s = "Written by \(r.generatedBy)"
        if let u = r.usage {
            s += String(format: " — %d prompt and %d completion tokens, $%.4f", u.promptTokens, u.completionTokens, u.costUSD)
        }
        return s + "."
    }

    static func price(_ x: Double) -> String { String(format: "%.2f", x) }

    public static func markdown(_ r: MorningReport) -> String {
        let a = r.analysis
        var out = "# Morning analysis — \(r.date)\n\n_\(byline(r))_\n\n**Bias: \(a.bias.rawValue)**\n\n\(a.summary)\n"
        out += "\n## Today's releases\n\n"
        if r.events.isEmpty && r.unknownSchedules.isEmpty { out += "None scheduled.\n" }
        for e in r.events { out += "- \(e.time) ET — \(e.title)\n" }
        if !r.unknownSchedules.isEmpty { out += "- Schedule not yet published: \(r.unknownSchedules.joined(separator: ", "))\n" }
        out += "\n## Scenarios\n\n| Scenario | Probability | Trigger | Plan |\n|---|---:|---|---|\n"
        for s in a.scenarios {
            out += "| \(cell(s.name)) | \(Int((s.probability * 100).rounded())) % | \(cell(s.trigger)) | \(cell(s.plan)) |\n"
        }
        out += "\n## Levels\n\n| Symbol | Price | Kind | Why |\n|---|---:|---|---|\n"
        for l in a.levels { out += "| \(l.symbol) | \(price(l.price)) | \(l.kind.rawValue) | \(cell(l.note)) |\n" }
        out += "\n## Risks\n\n"
        out += a.risks.isEmpty ? "None noted.\n" : a.risks.map { "- \($0)\n" }.joined()
        out += "\n## Symbols\n\n"
        for n in a.symbols { out += "- **\(n.symbol)** (\(n.bias.rawValue)): \(n.note)\n" }
        return out
    }

    static func cell(_ s: String) -> String { s.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ") }

    public static func html(_ r: MorningReport) -> String {
        let a = r.analysis
        let color = a.bias == .bullish ? "#137333" : a.bias == .bearish ? "#b3261e" : "#5f6368"
        var out = """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>Morning analysis \(HTMLText.escape(r.date))</title>
            <style>
            body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#202124}
            h1{font-size:1.5rem;margin-bottom:.2rem}.by{color:#5f6368;font-style:italic}.rules{background:#fef7e0;border-left:4px solid #f9ab00;padding:.4rem .8rem}
            .bias{display:inline-block;padding:.15rem .6rem;border-radius:1rem;color:#fff;font-weight:600}
            table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem}th,td{border-bottom:1px solid #e0e0e0;padding:.3rem .5rem;text-align:left;vertical-align:top}
            td.n{text-align:right;font-variant-numeric:tabular-nums}th{background:#f8f9fa}
            </style></head><body>
            <h1>Morning analysis — \(HTMLText.escape(r.date))</h1>

            """
        out += "<p class=\"by\(r.generatedBy == "rules" ? " rules" : "")\" id=\"byline\">\(HTMLText.escape(byline(r)))</p>\n"
        out += "<p>Bias: <span class=\"bias\" id=\"bias\" style=\"background:\(color)\">\(HTMLText.escape(a.bias.rawValue))</span></p>\n"
        out += "<p id=\"summary\">\(HTMLText.escape(a.summary))</p>\n<h2>Today's releases</h2>\n<ul id=\"events\">\n"
        if r.events.isEmpty && r.unknownSchedules.isEmpty { out += "<li>None scheduled.</li>\n" }
        for e in r.events { out += "<li>\(HTMLText.escape(e.time)) ET — \(HTMLText.escape(e.title))</li>\n" }
        if !r.unknownSchedules.isEmpty { out += "<li>Schedule not yet published: \(HTMLText.escape(r.unknownSchedules.joined(separator: ", ")))</li>\n" }
        out += "</ul>\n<h2>Scenarios</h2>\n<table id=\"scenarios\"><tr><th>Scenario</th><th>Probability</th><th>Trigger</th><th>Plan</th></tr>\n"
        for s in a.scenarios {
            out +=
                "<tr><td>\(HTMLText.escape(s.name))</td><td class=\"n\">\(Int((s.probability * 100).rounded())) %</td><td>\(HTMLText.escape(s.trigger))</td><td>\(HTMLText.escape(s.plan))</td></tr>\n"
        }
        out += "</table>\n<h2>Levels</h2>\n<table id=\"levels\"><tr><th>Symbol</th><th>Price</th><th>Kind</th><th>Why</th></tr>\n"
        for l in a.levels {
            out +=
                "<tr><td>\(HTMLText.escape(l.symbol))</td><td class=\"n\">\(price(l.price))</td><td>\(l.kind.rawValue)</td><td>\(HTMLText.escape(l.note))</td></tr>\n"
        }
        out += "</table>\n<h2>Risks</h2>\n<ul id=\"risks\">\n"
        out += a.risks.isEmpty ? "<li>None noted.</li>\n" : a.risks.map { "<li>\(HTMLText.escape($0))</li>\n" }.joined()
        out += "</ul>\n<h2>Symbols</h2>\n<table id=\"symbols\"><tr><th>Symbol</th><th>Bias</th><th>Note</th></tr>\n"
        for n in a.symbols { out += "<tr><td>\(HTMLText.escape(n.symbol))</td><td>\(n.bias.rawValue)</td><td>\(HTMLText.escape(n.note))</td></tr>\n" }
        out += "</table>\n</body></html>\n"
        return out
    }
}
