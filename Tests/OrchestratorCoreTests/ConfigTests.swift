import Foundation
import Testing

@testable import OrchestratorCore

@Suite("Configuration")
struct ConfigTests {
    func load(_ text: String, _ env: [String: String] = [:]) -> Result<Config, Diagnostics> {
        Config.load(text, file: "config/config.yaml", environment: env)
    }

    @Test(
        "${VAR} and ${VAR:-default} substitute from the environment",
        arguments: [
            ("${A}", ["A": "x"], "x"), ("${A:-d}", [:], "d"), ("${A:-d}", ["A": ""], "d"), ("${A:-d}", ["A": "x"], "x"),
            ("pre-${A}-${B:-b}", ["A": "1"], "pre-1-b"), ("$${A}", [:], "${A}"), ("no vars", [:], "no vars"), ("$5", [:], "$5"),
            ("${A:-}", [:], ""),
        ])
    func substitution(text: String, env: [String: String], expected: String) throws {
        #expect(try Substitution.apply(text, environment: env).get() == expected)
    }

    @Test("an unset ${VAR} without default names the variable and its place")
    func unsetVariable() {
        let result = load("database: var/db.sqlite\nredis:\n  url: \"redis://${REDIS_HOST}:6379\"\n")
        guard case .failure(let d) = result else { Issue.record("should fail"); return }
        #expect(
            d.all.map(\.description) == [
                "config/config.yaml:3:17: error: environment variable REDIS_HOST is not set (set it, or write ${REDIS_HOST:-default})"
            ])
    }

    @Test("the example configuration of SPEC §2 loads with its defaults and overrides")
    func exampleConfig() throws {
        let text = try String(contentsOfFile: repositoryRoot + "/config/config.yaml", encoding: .utf8)
        let c = try load(text, ["IBKR_PORT": "4002", "ALPHAVANTAGE_URL": "http://127.0.0.1:9000/query"]).get()
        #expect(c.timeZone.identifier == "America/New_York")
        #expect(c.calendarCode == "XNYS" && c.maxParallel == 8 && c.pools == ["alphavantage": 1])
        #expect(c.redisURL == "redis://127.0.0.1:6379/0")
        #expect(c.endpoints.ibkrPort == 4002 && c.endpoints.ibkrHost == "127.0.0.1")
        #expect(c.endpoints.alphaVantage == "http://127.0.0.1:9000/query")
        #expect(c.endpoints.discord == "")
        #expect(c.symbols.all.count == 12)
    }

    @Test(
        "bad values are reported with their positions",
        arguments: [
            (
                "timezone: Mars/Olympus\n",
                "config/config.yaml:1:11: error: timezone: unknown time zone \"Mars/Olympus\" (use an IANA name such as America/New_York)"
            ),
            ("calendar: XLON\n", "config/config.yaml:1:11: error: unknown exchange calendar \"XLON\" (known: XNYS)"),
            ("max_parallel: 0\n", "config/config.yaml:1:15: error: max_parallel must be at least 1, found 0"),
            ("timezon: UTC\n", "config/config.yaml:1:1: error: unknown key \"timezon\" in the configuration; did you mean \"timezone\"?"),
            ("endpoints:\n  openai: ftp://x\n", "config/config.yaml:2:11: error: endpoints.openai must be an http:// or https:// URL"),
        ])
    func badValues(text: String, expected: String) {
        guard case .failure(let d) = load(text) else { Issue.record("should fail"); return }
        #expect(d.all.map(\.description) == [expected])
    }

    @Test("numbers may come from the environment, quoted or not")
    func substitutedNumbers() throws {
        let c = try load(
            "max_parallel: ${MAXP:-3}\npools: { av: \"${AV:-2}\" }\nendpoints:\n  ibkr:\n    port: \"${P}\"\n    client_id: ${CID:-7}\n",
            ["P": "4001"]
        ).get()
        #expect(c.maxParallel == 3 && c.pools == ["av": 2] && c.endpoints.ibkrPort == 4001 && c.endpoints.ibkrClientID == 7)
        guard case .failure(let d) = load("max_parallel: ${MAXP}\n", ["MAXP": "many"]) else { Issue.record("should fail"); return }
        #expect(d.all.map(\.description) == ["config/config.yaml:1:15: error: max_parallel must be a whole number, found a string \"many\""])
    }

    @Test("a bad URL is reported without echoing it: it may hold a password or a token")
    func urlsNotEchoed() throws {
        guard
            case .failure(let d) = load(
                "redis:\n  url: \"${R}\"\nendpoints:\n  discord: \"${D}\"\n",
                ["R": "tcp://:hunter2@host:6379", "D": "ftp://hooks/SECRET-TOKEN"])
        else {
            Issue.record("should fail"); return
        }
        #expect(d.all.count == 2)
        #expect(!d.description.contains("hunter2") && !d.description.contains("SECRET-TOKEN"))
        #expect(try load("redis:\n  url: rediss://127.0.0.1:6380/0\n").get().redisURL == "rediss://127.0.0.1:6380/0")
    }

    @Test("secrets are not configuration: a key in the file is an unknown key")
    func noSecretKeys() {
        guard case .failure(let d) = load("endpoints:\n  alphavantage_key: abc\n") else { Issue.record("should fail"); return }
        #expect(d.all.count == 1)
        #expect(!d.description.contains("abc"))
    }
}

@Suite("Dependency graph")
struct JobGraphTests {
    let graph = JobGraph(
        kinds: ["redis": .service, "feed": .service, "a": .job, "b": .job, "c": .job, "d": .job],
        upstreams: ["feed": ["redis"], "a": ["feed"], "b": ["a"], "c": ["a", "b"], "d": []])

    @Test("topological order puts every node after its upstreams, ties by name")
    func order() {
        #expect(graph.topologicalOrder() == ["d", "redis", "feed", "a", "b", "c"])
    }

    @Test("upstream and downstream sets are transitive")
    func closures() {
        #expect(graph.allUpstreams(of: "c") == ["a", "b", "feed", "redis"])
        #expect(graph.allDownstreams(of: "feed") == ["a", "b", "c"])
        #expect(graph.allDownstreams(of: "d").isEmpty)
    }

    @Test("each cycle is found once and printed closed, from its smallest name")
    func cycles() {
        let g = JobGraph(
            kinds: ["x": .job, "y": .job, "z": .job, "w": .job],
            upstreams: ["x": ["y"], "y": ["z"], "z": ["x"], "w": ["w"]])
        #expect(g.cycles() == [["w", "w"], ["x", "y", "z", "x"]])
        #expect(graph.cycles().isEmpty)
    }
}
