import Testing

@testable import OrchestratorCore

/// Loads one job file against a small configuration; returns the diagnostics as text.
func problems(
    _ jobs: String, file: String = "jobs/a.yaml", more: [(String, String)] = [],
    config: String = "pools: { alphavantage: 1 }\n"
) -> [String] {
    let files = [Workspace.SourceFile(path: file, contents: jobs)] + more.map { Workspace.SourceFile(path: $0.0, contents: $0.1) }
    switch Workspace.load(config: .init(path: "config/config.yaml", contents: config), jobFiles: files, environment: [:]) {
    case .success: return []
    case .failure(let d): return d.all.map(\.description)
    }
}

@Suite("Job file validation: every problem, with its position")
struct ValidationTests {
    @Test("an unknown key is reported at the key with a did-you-mean")
    func unknownKey() {
        let p = problems(
            """
            jobs:
              a:
                command: [true]
                retires: 2
            """)
        #expect(p == ["jobs/a.yaml:4:5: error: unknown key \"retires\" in job \"a\"; did you mean \"retries\"?"])
    }

    @Test("a wrong type names what was expected and what was found")
    func wrongType() {
        let p = problems(
            """
            jobs:
              a:
                command: [true]
                retries: two
                depends_on: b
            """)
        #expect(
            p == [
                "jobs/a.yaml:4:14: error: retries must be a whole number, found a string \"two\"",
                "jobs/a.yaml:5:17: error: depends_on must be a list, found a string",
            ])
    }

    @Test("a bad duration quotes the text at its position")
    func badDuration() {
        let p = problems(
            """
            jobs:
              a:
                command: [true]
                timeout: 10 minutes
                retry_delay: "5x"
            """)
        #expect(p.count == 2)
        #expect(p[0].hasPrefix("jobs/a.yaml:4:14: error: timeout: invalid duration \"10 minutes\""))
        #expect(p[1].hasPrefix("jobs/a.yaml:5:19: error: retry_delay: invalid duration \"5x\""))
    }

    @Test("a bad cron field points at the field inside the string")
    func badCronField() {
        let p = problems(
            """
            jobs:
              a:
                command: [true]
                schedule: { cron: "0 17 * * 1-8" }
              b:
                command: [true]
                schedule:
                  cron: 0 25 * * *
            """)
        #expect(
            p == [
                "jobs/a.yaml:4:33: error: day of week field \"1-8\": 8 is out of range 0-7",
                "jobs/a.yaml:8:15: error: hour field \"25\": 25 is out of range 0-23",
            ])
    }

    @Test("an unknown dependency is reported at the name, with a suggestion")
    func unknownDependency() {
        let p = problems(
            """
            jobs:
              morning-analysis:
                command: [true]
              post:
                command: [true]
                depends_on: [morning-analysys]
            """)
        #expect(p == ["jobs/a.yaml:6:18: error: \"post\" depends on unknown job or service \"morning-analysys\"; did you mean \"morning-analysis\"?"])
    }

    @Test("a dependency cycle is printed, across files")
    func cycle() {
        let p = problems(
            """
            jobs:
              a:
                command: [true]
                depends_on: [b]
            """,
            more: [
                (
                    "jobs/b.yaml",
                    """
                    jobs:
                      b:
                        command: [true]
                        depends_on: [c]
                      c:
                        command: [true]
                        depends_on: [a]
                    """
                )
            ])
        #expect(p == ["jobs/a.yaml:4:18: error: dependency cycle: a -> b -> c -> a"])
    }

    @Test("a job depending on itself is reported")
    func selfDependency() {
        let p = problems("jobs:\n  a: { command: [true], depends_on: [a] }\n")
        #expect(p == ["jobs/a.yaml:2:38: error: \"a\" depends on itself"])
    }

    @Test("an unknown pool lists the declared ones")
    func unknownPool() {
        let p = problems("jobs:\n  a: { command: [true], pool: alphavantge }\n")
        #expect(
            p == [
                "jobs/a.yaml:2:31: error: job \"a\" uses unknown pool \"alphavantge\" (pools are declared in the configuration: alphavantage); did you mean \"alphavantage\"?"
            ])
    }

    @Test("on_failure must name a job")
    func onFailureTargets() {
        let p = problems(
            """
            jobs:
              a: { command: [true], on_failure: [alrt] }
              alert: { command: [true] }
            services:
              s: { command: [sleep, "9"], on_failure: [a, s] }
            """)
        #expect(
            p == [
                "jobs/a.yaml:2:38: error: on_failure of \"a\" names unknown job \"alrt\"; did you mean \"alert\"?",
                "jobs/a.yaml:5:47: error: on_failure of \"s\" names \"s\", which is a service; on_failure triggers jobs",
            ])
    }

    @Test("a deadline shorter than zero is an error")
    func negativeDeadline() {
        let p = problems("jobs:\n  a: { command: [true], deadline: -5m }\n")
        #expect(p == ["jobs/a.yaml:2:35: error: deadline must not be shorter than zero, found \"-5m\""])
    }

    @Test("a service with a schedule is an error")
    func serviceWithSchedule() {
        let p = problems(
            """
            services:
              feed:
                command: [sleep, "100"]
                schedule: { at: "09:00" }
            """)
        #expect(p.count == 1)
        #expect(p[0].hasPrefix("jobs/a.yaml:4:5: error: service \"feed\" cannot have a schedule"))
    }

    @Test("a file that is not YAML gets the parser's position")
    func notYAML() {
        let p = problems("jobs:\n  a: { command: [true]\n  b: 1\n")
        #expect(p.count == 1)
        #expect(p[0].hasPrefix("jobs/a.yaml:3:"))
        #expect(p[0].contains("error: not valid YAML"))
        let tab = problems("jobs:\n\ta: 1\n")
        #expect(tab.count == 1 && tab[0].hasPrefix("jobs/a.yaml:2:1: error: not valid YAML"))
    }

    @Test("names are unique across files")
    func duplicateNames() {
        let p = problems("jobs:\n  a: { command: [true] }\n", more: [("jobs/b.yaml", "services:\n  a: { command: [true] }\n")])
        #expect(p == ["jobs/b.yaml:2:3: error: \"a\" is already declared at jobs/a.yaml:2:3; job and service names are unique across all files"])
    }

    @Test("a duplicate key in one mapping is an error")
    func duplicateKey() {
        let p = problems("jobs:\n  a:\n    command: [true]\n    retries: 1\n    retries: 2\n")
        #expect(p.count == 1)
        #expect(p[0].contains("duplicate key \"retries\""))
    }

    @Test("every problem is reported, not the first, in file order")
    func everyProblem() {
        let p = problems(
            """
            jobs:
              a:
                command: [true]
                overlap: sometimes
                catch_up: every
                schedule: { every: 15m, during: lunch }
              b:
                shell: "echo hi"
                command: [echo, hi]
              c:
                description: no command
            services:
              s:
                command: [true]
                restart: sometimes
                health: { tcp: "localhost" }
                active: { from: "9am", to: { market: close } }
            """)
        #expect(p.count == 8)
        let lines = p.map { Int($0.split(separator: ":")[1])! }
        #expect(lines == lines.sorted())
        #expect(p.contains { $0.hasPrefix("jobs/a.yaml:4:14: error: overlap must be one of skip, queue, replace") })
        #expect(p.contains { $0.hasPrefix("jobs/a.yaml:5:15: error: catch_up must be one of none, latest, all") })
        #expect(p.contains { $0.hasPrefix("jobs/a.yaml:6:37: error: during must be one of session, premarket, postmarket, day") })
        #expect(p.contains { $0.hasPrefix("jobs/a.yaml:9:5: error: job \"b\" has both command: and shell:") })
        #expect(p.contains { $0.hasPrefix("jobs/a.yaml:10:3: error: job \"c\" needs a command:") })
        #expect(p.contains { $0.hasPrefix("jobs/a.yaml:15:14: error: restart must be one of always, on-failure, never") })
        #expect(p.contains { $0.hasPrefix("jobs/a.yaml:16:21: error: health.tcp must be host:port") })
        #expect(p.contains { $0.hasPrefix("jobs/a.yaml:17:22: error: active.from must be a time of day") })
    }

    @Test("a command given as one string explains argv versus shell")
    func commandAsString() {
        let p = problems("jobs:\n  a: { command: \"echo hi\" }\n")
        #expect(p.count == 1 && p[0].contains("write shell: instead"))
    }

    @Test("a service setting on a job says where it belongs")
    func serviceKeyOnJob() {
        let p = problems("jobs:\n  a: { command: [true], restart: always }\n")
        #expect(p == ["jobs/a.yaml:2:25: error: \"restart\" is a service setting; job \"a\" is declared under jobs: (move it under services: to supervise it)"])
    }

    @Test("schedule forms are exclusive and their companions checked")
    func scheduleForms() {
        #expect(
            problems("jobs:\n  a: { command: [true], schedule: { at: \"07:00\", cron: \"0 7 * * *\" } }\n")
                == ["jobs/a.yaml:2:50: error: schedule has both at: and cron:; use one form"])
        #expect(
            problems("jobs:\n  a: { command: [true], schedule: { every: 15m } }\n")
                == ["jobs/a.yaml:2:37: error: every: needs during: (session, premarket, postmarket or day)"])
        #expect(
            problems("jobs:\n  a: { command: [true], schedule: { at: \"25:00\" } }\n")
                == ["jobs/a.yaml:2:42: error: at must be a time of day such as \"17:00\", found \"25:00\""])
        #expect(problems("jobs:\n  a: { command: [true], schedule: { market: open, offset: -15m } }\n").isEmpty)
        #expect(
            problems("jobs:\n  a: { command: [true], schedule: { days: daily } }\n")
                == ["jobs/a.yaml:2:35: error: schedule needs one of cron:, market:, every: or at:"])
        #expect(
            problems("services:\n  s: { command: [true], health: { tcp: \"h:1\", command: [true] } }\n")
                == ["jobs/a.yaml:2:47: error: health has both tcp: and command:; use one check"])
    }

    @Test("a valid file of every key loads with the values given and the defaults of SPEC §3")
    func everyKey() throws {
        let text = """
            jobs:
              parameter-discovery:
                description: Re-discover
                command: [alphatrader, discover]
                schedule: { every: 15m, during: session }
                timezone: America/Chicago
                depends_on: [ibkr-ingestion]
                timeout: 2m
                retries: 2
                retry_delay: 10s
                max_retry_delay: 5m
                overlap: queue
                catch_up: all
                deadline: 10m
                pool: alphavantage
                env: { LOG_LEVEL: info, N: 3 }
                on_failure: [alert]
              alert:
                shell: "echo failed"
            services:
              ibkr-ingestion:
                command: [alphatrader, ingest, --source, ibkr]
                active: { from: { market: open, offset: -30m }, to: { market: close, offset: 15m } }
                restart: on-failure
                restart_delay: 1s
                max_restart_delay: 1m
                start_limit: { burst: 5, interval: 10m }
                health: { redis_key: "module:heartbeat:ibkr_ingestion", max_age: 15s }
                stop_timeout: 10s
            """
        let w = try Workspace.load(
            config: .init(path: "c.yaml", contents: "pools: { alphavantage: 1 }"),
            jobFiles: [.init(path: "j.yaml", contents: text)], environment: [:]
        ).get()
        let job = try #require(w.jobs["parameter-discovery"])
        #expect(job.schedule == .every(.minutes(15), during: .session))
        #expect(job.timeZoneIdentifier == "America/Chicago")
        #expect(job.overlap == .queue && job.catchUp == .all && job.retries == 2)
        #expect(job.deadline == .minutes(10) && job.timeout == .minutes(2) && job.pool == "alphavantage")
        #expect(job.env == ["LOG_LEVEL": "info", "N": "3"])
        let alert = try #require(w.jobs["alert"])
        #expect(alert.command == .shell("echo failed"))
        #expect(alert.command.arguments == ["/bin/sh", "-c", "echo failed"])
        #expect(alert.retries == 0 && alert.retryDelay == .seconds(10) && alert.maxRetryDelay == .minutes(5))
        #expect(alert.overlap == .skip && alert.catchUp == .latest && alert.deadline == nil && alert.timeout == nil)
        let service = try #require(w.services["ibkr-ingestion"])
        #expect(service.restart == .onFailure && service.startLimit.burst == 5 && service.startLimit.interval == .minutes(10))
        #expect(service.health?.probe == .redisKey("module:heartbeat:ibkr_ingestion", maxAge: .seconds(15)))
        #expect(w.graph.allDownstreams(of: "ibkr-ingestion") == ["parameter-discovery"])
    }

    @Test("an unavailable job or service is validated but left out of the schedule with everything downstream of it")
    func unavailable() throws {
        let text = """
            jobs:
              fetch: { command: [fetch], schedule: { at: "07:00" }, unavailable: lands later, on_failure: [alert] }
              report: { command: [report], depends_on: [fetch], on_failure: [alert] }
              tidy: { command: [tidy], schedule: { at: "18:00" }, on_failure: [alert, page] }
              alert: { command: [alert], unavailable: no channels yet }
              page: { command: [page] }
            services:
              feed: { command: [feed], unavailable: no account }
              reader: { command: [reader], depends_on: [feed] }
              cache: { command: [cache] }
            """
        let w = try Workspace.load(
            config: .init(path: "c.yaml", contents: ""), jobFiles: [.init(path: "j.yaml", contents: text)],
            environment: [:]
        ).get()
        #expect(Set(w.jobs.keys) == ["tidy", "page"])
        #expect(Set(w.services.keys) == ["cache"])
        #expect(w.jobs["tidy"]?.onFailure == ["page"], "on_failure no longer names what cannot run")
        #expect(
            w.unavailable == [
                "fetch": "lands later", "report": "upstream fetch is not available", "alert": "no channels yet",
                "feed": "no account", "reader": "upstream feed is not available",
            ])
        #expect(Set(w.graph.names) == ["tidy", "page", "cache"])
        // The declared day still has all of them (for plan).
        #expect(w.declared.jobs.count == 5 && w.declared.services.count == 3)
        #expect(problems("jobs:\n  a: { command: [true], unavailable: \"\" }\n").count == 1, "an empty reason is an error")
    }

    @Test("health: redis_ping takes true and nothing else")
    func redisPingHealth() throws {
        let w = try Workspace.load(
            config: .init(path: "c.yaml", contents: ""),
            jobFiles: [.init(path: "j.yaml", contents: "services:\n  r: { command: [r], health: { redis_ping: true } }\n")], environment: [:]
        ).get()
        #expect(w.services["r"]?.health?.probe == .redisPing)
        #expect(problems("services:\n  r: { command: [r], health: { redis_ping: maybe } }\n").first?.contains("redis_ping takes true") == true)
        #expect(problems("services:\n  r: { command: [r], health: { redis_ping: true, tcp: \"h:1\" } }\n").count == 1, "one probe per check")
    }

    @Test(
        "cpu_scheduling: each policy with what it takes",
        arguments: [
            ("{ policy: fifo, priority: 10, reset_on_fork: true }", CPUScheduling(policy: .fifo, priority: 10, resetOnFork: true)),
            ("{ policy: rr, priority: 99 }", CPUScheduling(policy: .rr, priority: 99)),
            ("{ policy: batch, nice: 5 }", CPUScheduling(policy: .batch, nice: 5)),
            ("{ policy: other, nice: -20 }", CPUScheduling(policy: .other, nice: -20)),
            ("{ policy: idle, reset_on_fork: false }", CPUScheduling(policy: .idle)),
        ])
    func cpuScheduling(yaml: String, expected: CPUScheduling) throws {
        let w = try Workspace.load(
            config: .init(path: "c.yaml", contents: ""),
            jobFiles: [.init(path: "j.yaml", contents: "services:\n  r: { command: [r], cpu_scheduling: \(yaml) }\n")],
            environment: [:]
        ).get()
        #expect(w.services["r"]?.cpuScheduling == expected)
    }

    @Test(
        "cpu_scheduling: a policy without what it needs, or with what it ignores, is an error at the key",
        arguments: [
            ("{ priority: 10 }", "needs policy:"),
            ("{ policy: fast }", "must be one of other, batch, idle, fifo, rr"),
            ("{ policy: fifo }", "policy fifo needs priority: (1 to 99"),
            ("{ policy: fifo, priority: 0 }", "priority must be at least 1, found 0"),
            ("{ policy: rr, priority: 100 }", "priority must be from 1 to 99, found 100"),
            ("{ policy: other, priority: 5 }", "priority applies to the real-time policies fifo and rr, not other (use nice:"),
            ("{ policy: fifo, priority: 5, nice: 3 }", "nice applies to the policies other and batch, not fifo (a real-time process is ranked by priority:)"),
            ("{ policy: idle, nice: 3 }", "nice applies to the policies other and batch, not idle"),
            ("{ policy: batch, nice: 20 }", "nice must be from -20 to 19, found 20"),
            ("{ policy: batch, reset_on_fork: yes }", "reset_on_fork takes true or false"),
            ("{ policy: batch, priorty: 1 }", "unknown key \"priorty\" in cpu_scheduling"),
            ("fifo", "cpu_scheduling must be a mapping"),
        ])
    func cpuSchedulingErrors(yaml: String, message: String) {
        let found = problems("services:\n  r: { command: [r], cpu_scheduling: \(yaml) }\n")
        #expect(found.count == 1 && found[0].contains(message) && found[0].hasPrefix("jobs/a.yaml:2:"), "\(found)")
    }

    @Test("cpu_scheduling on a job says it is a service's setting")
    func cpuSchedulingOnJob() {
        #expect(
            problems("jobs:\n  j: { command: [true], cpu_scheduling: { policy: batch } }\n").first?.contains("\"cpu_scheduling\" is a service setting") == true)
    }

    @Test("service defaults follow SPEC §3")
    func serviceDefaults() throws {
        let w = try Workspace.load(
            config: .init(path: "c.yaml", contents: ""),
            jobFiles: [.init(path: "j.yaml", contents: "services:\n  s: { command: [sleep, \"1\"] }\n")],
            environment: [:]
        ).get()
        let s = try #require(w.services["s"])
        #expect(s.restart == .always && s.restartDelay == TimeSpan(milliseconds: 100) && s.maxRestartDelay == .minutes(1))
        #expect(s.startLimit == ServiceSpec.StartLimit(burst: 5, interval: .seconds(10)))
        #expect(s.stopTimeout == .seconds(10) && s.active == nil && s.health == nil)
    }

    @Test("on_failure that names its own job, or loops back, is an error")
    func onFailureLoops() {
        #expect(problems("jobs:\n  a: { command: [true], on_failure: [a] }\n") == ["jobs/a.yaml:2:38: error: on_failure of \"a\" names itself"])
        #expect(
            problems("jobs:\n  a: { command: [true], on_failure: [alert] }\n  alert: { command: [true], on_failure: [a] }\n")
                == ["jobs/a.yaml:2:38: error: on_failure cycle: a -> alert -> a"])
    }

    @Test("a cycle through a job with another error is still reported")
    func cycleThroughBrokenJob() {
        let p = problems("jobs:\n  a: { command: [true], depends_on: [b], retries: -1 }\n  b: { command: [true], depends_on: [a] }\n")
        #expect(
            p == [
                "jobs/a.yaml:2:38: error: dependency cycle: a -> b -> a",
                "jobs/a.yaml:2:51: error: retries must be at least 0, found -1",
            ])
    }

    @Test("an error in the configuration does not hide the pools it declares")
    func configErrorKeepsPools() {
        let p = problems("jobs:\n  a: { command: [true], pool: alphavantage }\n", config: "pools: { alphavantage: 1 }\nmax_parallel: none\n")
        #expect(p == ["config/config.yaml:2:15: error: max_parallel must be a whole number, found a string \"none\""])
    }

    @Test("a first delay longer than its cap is an error, whichever was written")
    func delayCaps() {
        #expect(
            problems("jobs:\n  a: { command: [true], max_retry_delay: 5s }\n")
                == ["jobs/a.yaml:2:42: error: retry_delay 10s is longer than max_retry_delay 5s"])
        #expect(
            problems("services:\n  s: { command: [true], restart_delay: 2m }\n")
                == ["jobs/a.yaml:2:40: error: restart_delay 2m is longer than max_restart_delay 1m"])
    }

    @Test("offsets and intervals are whole seconds; offsets stay within a day; days: goes with plain times")
    func offsetsAndIntervals() {
        #expect(
            problems("jobs:\n  a: { command: [true], schedule: { every: 1500ms, during: day } }\n")
                == ["jobs/a.yaml:2:44: error: every must be whole seconds, at least 1s, found \"1500ms\""])
        #expect(
            problems("jobs:\n  a: { command: [true], schedule: { market: open, offset: 25h } }\n")
                == ["jobs/a.yaml:2:59: error: offset must be whole seconds and less than a day either way, found \"25h\""])
        #expect(
            problems("services:\n  s: { command: [true], active: { from: { market: open }, to: \"17:00\", days: daily } }\n")
                == ["jobs/a.yaml:2:72: error: active.days applies to windows of plain times; a window from a market event runs on trading days"])
    }

    @Test("a cron expression written as a YAML block scalar parses despite its newline")
    func cronBlockScalar() throws {
        #expect(problems("jobs:\n  a:\n    command: [true]\n    schedule:\n      cron: |\n        0 17 * * 1-5\n").isEmpty)
    }
}
