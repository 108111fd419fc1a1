/// A long-running service from `services:` (SPEC §3), validated, with §3's defaults.
public struct ServiceSpec: Hashable, Sendable {
    public enum Restart: String, Hashable, Sendable, CaseIterable {
        case always
        case onFailure = "on-failure"
        case never
    }

    public struct StartLimit: Hashable, Sendable {
        public var burst: Int
        public var interval: TimeSpan
    }

    public let name: String
    public var description: String?
    public var command: Command
    /// Nil: always on.
    public var active: ActiveWindow?
    public var timeZoneIdentifier: String?
    public var dependsOn: [String]
    public var restart: Restart
    public var restartDelay: TimeSpan
    public var maxRestartDelay: TimeSpan
    public var startLimit: StartLimit
    /// Nil: running counts as healthy.
    public var health: HealthCheck?
    public var stopTimeout: TimeSpan
    /// Nil: the policy and nice value the orchestrator itself runs under.
    public var cpuScheduling: CPUScheduling?
    /// Declared but not runnable in this build: the reason (see `JobSpec.unavailable`).
    public var unavailable: String?
    public var env: [String: String]
    public var onFailure: [String]
    public let location: SourceLocation

    public init(name: String, command: Command, location: SourceLocation) {
        self.name = name
        self.command = command
        self.location = location
        description = nil
        active = nil
        timeZoneIdentifier = nil
        dependsOn = []
        restart = .always
        restartDelay = TimeSpan(milliseconds: 100)
        maxRestartDelay = .minutes(1)
        startLimit = StartLimit(burst: 5, interval: .seconds(10))
        health = nil
        stopTimeout = .seconds(10)
        env = [:]
        onFailure = []
    }

    static let keys = [
        "description", "command", "shell", "active", "timezone", "depends_on", "restart", "restart_delay",
        "max_restart_delay", "start_limit", "health", "stop_timeout", "env", "on_failure", "unavailable", "cpu_scheduling",
    ]
}
