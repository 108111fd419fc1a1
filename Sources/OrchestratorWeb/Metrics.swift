import Foundation
public import OrchestratorCore
public import OrchestratorRuntime

/// `/metrics` (Prometheus text format 0.0.4), named by Prometheus's conventions. The counters
/// and histograms are folded from the store's transitions since the last scrape (a cursor on
/// `transition.id`), so a scrape costs what changed, not the store's size; the gauges (services,
/// the daemon's heartbeat, pools) are read whole — they are a handful of rows.
public struct MetricsAggregator: Sendable {
    /// Seconds: an attempt's duration, and the scheduler's lag (a run's start behind its slot).
    public static let durationBuckets: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600]
    public static let lagBuckets: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 60]

    public struct Histogram: Sendable, Equatable {
        public var buckets: [Int]
        public var count = 0
        public var sum = 0.0
        init(_ bounds: Int) { buckets = Array(repeating: 0, count: bounds) }
        mutating func observe(_ x: Double, bounds: [Double]) {
            for (i, b) in bounds.enumerated() where x <= b { buckets[i] += 1 }
            count += 1
            sum += x
        }
    }

    public private(set) var cursor = ChangeCursor.start
    /// Runs that reached each final state, by job.
    public private(set) var runs: [String: [String: Int]] = [:]
    public private(set) var attempts: [String: Histogram] = [:]
    public private(set) var lag = Histogram(lagBuckets.count)

    public init() {}

    static let final: Set<String> = ["succeeded", "failed", "upstream_failed", "skipped", "missed", "cancelled"]

    /// Folds transitions (in cursor order) into the counters.
    public mutating func fold(_ events: [TransitionEvent]) {
        for e in events where e.cursor > cursor {
            cursor = e.cursor
            if Self.final.contains(e.to) { runs[e.job, default: [:]][e.to, default: 0] += 1 }
            if let d = e.attemptSeconds, d >= 0 {
                var h = attempts[e.job] ?? Histogram(Self.durationBuckets.count)
                h.observe(d, bounds: Self.durationBuckets)
                attempts[e.job] = h
            }
            // A scheduled run's first start: how far behind its slot.
            if e.to == "running", e.trigger == "schedule" || e.trigger == "catch-up", let slot = e.scheduledFor, let start = e.startedAt, start == e.at {
                lag.observe(max(0, start - slot), bounds: Self.lagBuckets)
            }
        }
    }

    /// Reads and folds everything recorded since the last call.
    public mutating func catchUp(_ store: any RunStore) throws {
        while true {
            let batch = try store.transitions(after: cursor, limit: 50_000)
            fold(batch)
            if batch.count < 50_000 { return }
        }
    }
}

/// The gauges read at each scrape.
public struct MetricsGauges: Sendable {
    public var services: [ServiceRecord]
    public var heartbeat: Double?
    /// Per pool: its size and the attempts running in it.
    public var pools: [(name: String, size: Int, used: Int)]
    public init(services: [ServiceRecord], heartbeat: Double?, pools: [(name: String, size: Int, used: Int)]) {
        self.services = services; self.heartbeat = heartbeat; self.pools = pools
    }
}

public enum PrometheusText {
    static func escape(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.append(c)
            }
        }
        return out
    }

    static func number(_ x: Double) -> String {
        if x == x.rounded() && abs(x) < 1e15 { return String(Int64(x)) }
        return String(x)
    }

    static func histogram(_ name: String, _ labels: String, _ h: MetricsAggregator.Histogram, bounds: [Double], into out: inout String) {
        let sep = labels.isEmpty ? "" : labels + ","
        for (i, b) in bounds.enumerated() { out += "\(name)_bucket{\(sep)le=\"\(number(b))\"} \(h.buckets[i])\n" }
        out += "\(name)_bucket{\(sep)le=\"+Inf\"} \(h.count)\n"
        out += "\(name)_sum\(labels.isEmpty ? "" : "{\(labels)}") \(number(h.sum))\n"
        out += "\(name)_count\(labels.isEmpty ? "" : "{\(labels)}") \(h.count)\n"
    }

    /// The exposition: every family with its HELP and TYPE, labels escaped, in a stable order.
    public static func render(_ a: MetricsAggregator, _ g: MetricsGauges) -> String {
        var out = "# HELP orchestrator_runs_total Runs that reached a final state, by job and state.\n# TYPE orchestrator_runs_total counter\n"
        for (job, states) in a.runs.sorted(by: { $0.key < $1.key }) {
            for (state, n) in states.sorted(by: { $0.key < $1.key }) {
                out += "orchestrator_runs_total{job=\"\(escape(job))\",state=\"\(state)\"} \(n)\n"
            }
        }
        out += "# HELP orchestrator_attempt_duration_seconds How long attempts ran, by job.\n# TYPE orchestrator_attempt_duration_seconds histogram\n"
        for (job, h) in a.attempts.sorted(by: { $0.key < $1.key }) {
            histogram("orchestrator_attempt_duration_seconds", "job=\"\(escape(job))\"", h, bounds: MetricsAggregator.durationBuckets, into: &out)
        }
        out +=
            "# HELP orchestrator_scheduler_lag_seconds How far a scheduled run's start was behind its slot.\n# TYPE orchestrator_scheduler_lag_seconds histogram\n"
        histogram("orchestrator_scheduler_lag_seconds", "", a.lag, bounds: MetricsAggregator.lagBuckets, into: &out)
        out += "# HELP orchestrator_service_up Whether the service is running (1) or not (0).\n# TYPE orchestrator_service_up gauge\n"
        for s in g.services.sorted(by: { $0.name < $1.name }) {
            out += "orchestrator_service_up{service=\"\(escape(s.name))\"} \(s.state == "running" ? 1 : 0)\n"
        }
        out +=
            "# HELP orchestrator_service_restarts_total Restarts of the service since the daemon started it.\n# TYPE orchestrator_service_restarts_total counter\n"
        for s in g.services.sorted(by: { $0.name < $1.name }) {
            out += "orchestrator_service_restarts_total{service=\"\(escape(s.name))\"} \(s.restarts)\n"
        }
        out +=
            "# HELP orchestrator_daemon_heartbeat_timestamp_seconds The daemon's last heartbeat (Unix time); absent when no daemon is alive.\n# TYPE orchestrator_daemon_heartbeat_timestamp_seconds gauge\n"
        if let beat = g.heartbeat { out += "orchestrator_daemon_heartbeat_timestamp_seconds \(number(beat))\n" }
        out += "# HELP orchestrator_pool_slots Slots of the pool.\n# TYPE orchestrator_pool_slots gauge\n"
        for p in g.pools { out += "orchestrator_pool_slots{pool=\"\(escape(p.name))\"} \(p.size)\n" }
        out += "# HELP orchestrator_pool_slots_used Attempts running in the pool.\n# TYPE orchestrator_pool_slots_used gauge\n"
        for p in g.pools { out += "orchestrator_pool_slots_used{pool=\"\(escape(p.name))\"} \(p.used)\n" }
        return out
    }
}
