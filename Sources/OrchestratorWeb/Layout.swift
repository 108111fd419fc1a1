public import OrchestratorCore
public import OrchestratorRuntime

/// The frame every page of `serve` shares: the navigation, one stylesheet, and the small script
/// that keeps a page current. Server-rendered HTML, no build step, nothing fetched from elsewhere.
public enum Layout {
    public enum Section: String, CaseIterable, Sendable {
        case today = "Today", grid = "Grid", schedule = "Schedule", services = "Services"

        var path: String {
            switch self {
            case .today: "/"
            case .grid: "/grid"
            case .schedule: "/schedule"
            case .services: "/services"
            }
        }
    }

    /// How a page stays current.
    public enum Live: Sendable, Equatable {
        /// It does not change (a finished run's log, an error).
        case none
        /// Re-rendered when `/api/changes` moves (checked every two seconds while the tab is
        /// visible), and at least once a minute for the clock-drawn parts ("now", uptimes).
        case refresh(mark: String)
    }

    static let style = """
        *{box-sizing:border-box}
        body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;margin:0;color:#1f2328;background:#fff}
        header{display:flex;flex-wrap:wrap;align-items:baseline;gap:4px 18px;padding:10px 16px;border-bottom:1px solid #d0d7de;background:#f6f8fa}
        header b{font-size:1.05em}header a{color:#0969da;text-decoration:none}header a.on{color:#1f2328;font-weight:600;border-bottom:2px solid #fd8c73}
        main{max-width:1200px;margin:0 auto;padding:12px 16px}
        h1{font-size:1.35em;margin:4px 0 8px}h2{font-size:1.1em;margin:18px 0 6px}
        .muted{color:#57606a}a{color:#0969da}svg{max-width:100%;height:auto}
        table{border-collapse:collapse;width:100%;font-size:.92em}th,td{text-align:left;padding:5px 8px;border-bottom:1px solid #eaeef2;vertical-align:top}
        th{background:#f6f8fa;font-weight:600}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
        .scroll{overflow-x:auto}
        .state{display:inline-block;padding:1px 7px;border-radius:10px;color:#fff;font-size:.85em;white-space:nowrap}
        .counts,.legend{display:flex;flex-wrap:wrap;gap:6px 14px;margin:10px 0;font-size:.92em}
        .swatch{display:inline-block;width:12px;height:12px;border-radius:2px;vertical-align:-1px;margin-right:4px}
        form.filters{display:flex;flex-wrap:wrap;gap:8px 14px;align-items:center;margin:8px 0}
        dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:4px 14px;margin:8px 0}dl.facts dt{color:#57606a}dl.facts dd{margin:0}
        pre.log{font:12px/1.45 "DejaVu Sans Mono",ui-monospace,monospace;background:#0d1117;color:#e6edf3;padding:8px 0;border-radius:6px;overflow-x:auto;margin:8px 0}
        pre.log .l{display:block;padding:0 10px 0 0;white-space:pre-wrap;word-break:break-all}
        pre.log .l a{display:inline-block;width:5.5em;padding-right:10px;text-align:right;color:#6e7681;text-decoration:none;user-select:none}
        pre.log .l:target{background:#3b2e00}
        .grid tr.durations td{border:0;vertical-align:bottom;height:48px;padding:0 4px}.grid td.dur div{background:#8c959f;border-radius:2px 2px 0 0}
        .grid td.cell{padding:2px;text-align:center}.grid td.cell a{display:block;height:22px;border-radius:3px;color:#fff;font-size:.8em;line-height:22px;text-decoration:none}
        .notice{padding:10px 14px;border:1px solid #d4a72c;background:#fff8c5;border-radius:6px}
        @media (max-width:700px){main{padding:8px}table{font-size:.85em}th,td{padding:4px}.wide{display:none}}
        """

    /// The script that keeps a page current: it asks `/api/changes` every two seconds while the
    /// tab is visible (nothing while hidden), and when the mark moved, fetches the page again and
    /// swaps its `<main>`; a log page follows its attempt over server-sent events.
    static let script = """
        (function(){
        var main=document.querySelector('main[data-mark]');
        if(main){
          var mark=main.getAttribute('data-mark'),last=Date.now(),timer=null,busy=false;
          function swap(){busy=true;fetch(location.href,{credentials:'same-origin'}).then(function(r){return r.text()}).then(function(html){
            var doc=new DOMParser().parseFromString(html,'text/html'),fresh=doc.querySelector('main[data-mark]');
            if(fresh){main.innerHTML=fresh.innerHTML;mark=fresh.getAttribute('data-mark');main.setAttribute('data-mark',mark);last=Date.now();}
          }).finally(function(){busy=false})}
          function check(){if(busy||document.hidden)return;fetch('/api/changes',{credentials:'same-origin'}).then(function(r){return r.json()}).then(function(c){
            if(c.mark!==mark||Date.now()-last>60000)swap();}).catch(function(){})}
          function start(){if(!timer)timer=setInterval(check,2000)}
          function stop(){if(timer){clearInterval(timer);timer=null}}
          document.addEventListener('visibilitychange',function(){if(document.hidden)stop();else{check();start()}});
          if(!document.hidden)start();
        }
        var log=document.querySelector('pre.log[data-follow]');
        if(log&&window.EventSource){
          var n=log.querySelectorAll('.l').length,source=new EventSource(log.getAttribute('data-follow'));
          source.onmessage=function(e){n+=1;var line=document.createElement('span');line.className='l';line.id='L'+n;
            var a=document.createElement('a');a.href='#L'+n;a.textContent=n;line.appendChild(a);line.appendChild(document.createTextNode(e.data+'\\n'));log.appendChild(line);};
          source.addEventListener('end',function(){source.close();var s=document.getElementById('follow');if(s)s.textContent='the attempt has ended';});
        }
        })();
        """

    public static func page(title: String, section: Section?, live: Live, body: String) -> String {
        var out = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        out += "<title>\(HTMLText.escape(title)) — orchestrator</title>\n<style>\(style)</style></head><body>\n<header><b>orchestrator</b>"
        for s in Section.allCases {
            out += "<a href=\"\(s.path)\"\(s == section ? " class=\"on\"" : "")>\(s.rawValue)</a>"
        }
        out += "<a href=\"/api/openapi.json\">API</a><a href=\"/metrics\">Metrics</a></header>\n"
        if case .refresh(let mark) = live {
            out += "<main data-mark=\"\(HTMLText.escape(mark))\">\n"
        } else {
            out += "<main>\n"
        }
        out += body
        out += "</main>\n<script>\(script)</script>\n</body></html>\n"
        return out
    }

    /// A run state as a coloured label.
    static func state(_ state: RunState) -> String {
        "<span class=\"state \(state.rawValue)\" style=\"background:\(TodayPage.color(state))\">\(state.rawValue)</span>"
    }

    /// A service state as a coloured label.
    static func serviceState(_ state: String) -> String {
        let color =
            switch state {
            case "running": "#1a7f37"
            case "starting", "stopping": "#0969da"
            case "unhealthy", "backoff": "#bf8700"
            case "failed": "#d00000"
            default: "#6e7781"
            }
        return "<span class=\"state\" style=\"background:\(color)\">\(HTMLText.escape(state))</span>"
    }

    /// Date and time of an instant on the exchange's clock, or "-".
    static func time(_ t: Double?, _ zone: ZoneRules) -> String {
        guard let t else { return "-" }
        return "\(zone.localDate(of: Int64(t))) " + TimeFormat.clockWithSeconds(Int64(t.rounded(.down)), in: zone)
    }

    static func runLink(_ run: RunRecord) -> String {
        "<a href=\"/runs/\(run.id ?? 0)\">#\(run.id ?? 0)</a>"
    }

    static func jobLink(_ job: String) -> String {
        "<a href=\"/jobs/\(URLText.component(job))\">\(HTMLText.escape(job))</a>"
    }
}

/// Percent-encoding of a path segment or a query value (job names are plain, but a page never
/// trusts that).
enum URLText {
    static func component(_ s: String) -> String {
        var out = ""
        for byte in s.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                out.append(Character(UnicodeScalar(byte)))
            default:
                let hex = Array("0123456789ABCDEF")
                out += "%" + String(hex[Int(byte >> 4)]) + String(hex[Int(byte & 15)])
            }
        }
        return out
    }
}
