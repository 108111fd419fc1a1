public import Foundation
import Synchronization

/// Everything the orchestrator knows before it runs anything: the configuration, every job and
/// service, and their dependency graph — all validated.
public struct Workspace: Sendable {
    public var config: Config
    /// By name.
    public let jobs: [String: JobSpec]
    public let services: [String: ServiceSpec]
    public let graph: JobGraph
    /// Jobs with no schedule, by name: the scheduler checks them for downstream propagation
    /// on every decision.
    public let unscheduledJobs: [String]
    /// Each job's `depends_on` split into upstream jobs and upstream services (in declared
    /// order): the scheduler reads them on every decision without copying job specs.
    public let upstreamJobs: [String: [String]]
    public let upstreamServices: [String: [String]]
    /// For each job, the jobs without a schedule that depend on it (in name order): when a job
    /// succeeds, only these can become ready by downstream propagation.
    public let downstreamUnscheduled: [String: [String]]
    /// Jobs and services declared `unavailable:` (their subcommand is not in this build), and
    /// those downstream of them, by name with the reason: validated, but never scheduled.
    public let unavailable: [String: String]

    /// Everything declared, runnable or not, for `plan` and `validate`.
    public let declaredJobs: [String: JobSpec]
    public let declaredServices: [String: ServiceSpec]
    let declaredGraph: JobGraph

    /// The whole declared day, `unavailable:` entries included (what `plan` shows).
    public var declared: Workspace {
        Workspace(config: config, jobs: declaredJobs, services: declaredServices, graph: declaredGraph, leaveOutUnavailable: false)
    }

    init(config: Config, jobs: [String: JobSpec], services: [String: ServiceSpec], graph: JobGraph, leaveOutUnavailable: Bool = true) {
        declaredJobs = jobs
        declaredServices = services
        declaredGraph = graph
        // What cannot run, and what depends on it, is set aside before anything is scheduled.
        var excluded: [String: String] = [:]
        for (name, job) in jobs { if let why = job.unavailable { excluded[name] = why } }
        for (name, service) in services { if let why = service.unavailable { excluded[name] = why } }
        var changed = !excluded.isEmpty && leaveOutUnavailable
        while changed {
            changed = false
            for name in graph.names where excluded[name] == nil {
                if let up = (graph.upstreams[name] ?? []).sorted().first(where: { excluded[$0] != nil }) {
                    excluded[name] = "upstream \(up) is not available"
                    changed = true
                }
            }
        }
        unavailable = excluded
        if !leaveOutUnavailable { excluded = [:] }
        var runnableJobs: [String: JobSpec] = [:]
        for (name, var job) in jobs where excluded[name] == nil {
            job.onFailure.removeAll { excluded[$0] != nil }
            runnableJobs[name] = job
        }
        let runnableServices = services.filter { excluded[$0.key] == nil }
        self.config = config
        self.jobs = runnableJobs
        self.services = runnableServices
        self.graph =
            excluded.isEmpty
            ? graph
            : JobGraph(
                kinds: graph.kinds.filter { excluded[$0.key] == nil },
                upstreams: graph.upstreams.filter { excluded[$0.key] == nil })
        let jobs = runnableJobs
        unscheduledJobs = jobs.values.filter { $0.schedule == nil }.map(\.name).sorted()
        upstreamJobs = jobs.mapValues { $0.dependsOn.filter { jobs[$0] != nil } }
        upstreamServices = jobs.mapValues { $0.dependsOn.filter { runnableServices[$0] != nil } }
        var downstream: [String: [String]] = [:]
        for name in unscheduledJobs {
            for up in upstreamJobs[name] ?? [] { downstream[up, default: []].append(name) }
        }
        downstreamUnscheduled = downstream
    }

    public var calendar: any ExchangeCalendar { config.calendar }

    /// The zone a job's schedule reads in.
    public func timeZone(ofJob name: String) -> TimeZone {
        jobs[name]?.timeZoneIdentifier.flatMap(TimeZone.init(identifier:))
            ?? services[name]?.timeZoneIdentifier.flatMap(TimeZone.init(identifier:))
            ?? config.timeZone
    }

    /// A job file: its path (as shown in diagnostics) and its text.
    public struct SourceFile: Sendable {
        public let path: String
        public let contents: String
        public init(path: String, contents: String) {
            self.path = path
            self.contents = contents
        }
    }

    /// Validates the configuration and the job files together, reporting every problem.
    public static func load(
        config configFile: SourceFile, jobFiles: [SourceFile],
        environment: [String: String]
    ) -> Result<Workspace, Diagnostics> {
        let (config, configProblems) = Config.loadPartially(configFile.contents, file: configFile.path, environment: environment)
        var diagnostics = configProblems
        let perFile = concurrentMap(jobFiles) { [config] file in
            var part = JobFileParser(config: config)
            part.add(YAMLValue.parse(file.contents, file: file.path))
            return part
        }
        var parser = JobFileParser(config: config)
        for part in perFile { parser.merge(part) }
        diagnostics += parser.reader.diagnostics
        let (graph, graphDiagnostics) = parser.resolve()
        diagnostics += graphDiagnostics
        guard diagnostics.isEmpty else { return .failure(Diagnostics(diagnostics)) }
        return .success(Workspace(config: config, jobs: parser.jobs, services: parser.services, graph: graph))
    }

    /// Maps on every core, keeping order: each job file parses and converts independently,
    /// which is most of a large load's time.
    static func concurrentMap<T: Sendable, R: Sendable>(_ items: [T], _ transform: @Sendable (T) -> R) -> [R] {
        guard items.count > 1 else { return items.map(transform) }
        let results = Mutex<[R?]>(Array(repeating: nil, count: items.count))
        DispatchQueue.concurrentPerform(iterations: items.count) { i in
            let r = transform(items[i])
            results.withLock { $0[i] = r }
        }
        return results.withLock { $0.map { $0! } }
    }
}
