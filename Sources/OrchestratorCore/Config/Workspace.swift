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

    init(config: Config, jobs: [String: JobSpec], services: [String: ServiceSpec], graph: JobGraph) {
        self.config = config
        self.jobs = jobs
        self.services = services
        self.graph = graph
        unscheduledJobs = jobs.values.filter { $0.schedule == nil }.map(\.name).sorted()
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
    public static func load(config configFile: SourceFile, jobFiles: [SourceFile],
                            environment: [String: String]) -> Result<Workspace, Diagnostics> {
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
