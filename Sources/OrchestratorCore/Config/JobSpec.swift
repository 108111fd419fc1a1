/// A batch job from `jobs:` (SPEC §3), validated, with the defaults of §3 filled in.
public struct JobSpec: Hashable, Sendable {
    public enum Overlap: String, Hashable, Sendable, CaseIterable { case skip, queue, replace }
    public enum CatchUp: String, Hashable, Sendable, CaseIterable { case none, latest, all }

    public let name: String
    public var description: String?
    public var command: Command
    /// Nil: runs when triggered, or when its upstream jobs succeeded (downstream propagation).
    public var schedule: Schedule?
    /// The zone its schedule reads in, when not the configuration's.
    public var timeZoneIdentifier: String?
    public var dependsOn: [String]
    public var timeout: TimeSpan?
    public var retries: Int
    public var retryDelay: TimeSpan
    public var maxRetryDelay: TimeSpan
    public var overlap: Overlap
    public var catchUp: CatchUp
    public var deadline: TimeSpan?
    public var pool: String?
    public var env: [String: String]
    public var onFailure: [String]
    /// `node:` — a label: with several orchestrator nodes (issue 21), only a node started with
    /// it (`orchestrator run --labels`) starts this job's attempts; any node may claim its slots.
    public var node: String?
    /// Declared but not runnable in this build (its subcommand lands later): the reason. Such a
    /// job, and everything downstream of it, is left out of the schedule and named by `validate`.
    public var unavailable: String?
    /// Where the job is declared (its name's position).
    public let location: SourceLocation

    public init(name: String, command: Command, location: SourceLocation) {
        self.name = name
        self.command = command
        self.location = location
        description = nil
        schedule = nil
        timeZoneIdentifier = nil
        dependsOn = []
        timeout = nil
        retries = 0
        retryDelay = .seconds(10)
        maxRetryDelay = .minutes(5)
        overlap = .skip
        catchUp = .latest
        deadline = nil
        pool = nil
        env = [:]
        onFailure = []
    }

    static let keys = [
        "description", "command", "shell", "schedule", "timezone", "depends_on", "timeout", "retries",
        "retry_delay", "max_retry_delay", "overlap", "catch_up", "deadline", "pool", "env", "on_failure", "unavailable", "node",
    ]
}
