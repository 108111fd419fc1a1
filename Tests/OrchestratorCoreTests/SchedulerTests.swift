import Testing

@testable import OrchestratorCore

/// The scheduler's decisions, tested as a pure function of (state, now): no clock, no sleep.
@Suite("Scheduler decisions")
struct SchedulerTests {
    static func workspace(_ jobs: String, config: String = "pools: { av: 1 }\nmax_parallel: 2\n") throws -> Workspace {
        try Workspace.load(
            config: .init(path: "c.yaml", contents: config), jobFiles: [.init(path: "j.yaml", contents: jobs)],
            environment: [:]
        ).get()
    }

    let day = date("2026-11-25")
    func at(_ hhmm: String) -> Int64 { instant("2026-11-25T\(hhmm):00-05:00") }
    func run(
        _ id: Int64, _ job: String, _ state: RunState, slot: String? = nil, trigger: RunTrigger = .schedule,
        attempts: Int = 0, next: Double? = nil, cause: Int64? = nil
    ) -> SchedulerState.Run {
        .init(
            id: id, job: job, tradingDay: day, scheduledFor: slot.map(at), trigger: trigger, state: state,
            attempts: attempts, nextAttemptAt: next, causeRunId: cause)
    }
    func state(_ ws: Workspace, _ runs: [SchedulerState.Run], up: Set<String> = [], notBefore: Int64? = nil) throws -> SchedulerState {
        SchedulerState(
            workspace: ws, tradingDay: day, slots: try SchedulerState.slots(of: ws, on: day), notBefore: notBefore,
            runs: runs, servicesUp: up)
    }

    @Test("a due slot is claimed queued; a future one is not")
    func dueSlots() throws {
        let ws = try Self.workspace("jobs:\n  a: { command: [true], schedule: { at: \"07:00\" } }\n  b: { command: [true], schedule: { at: \"08:00\" } }\n")
        let actions = Scheduler.decide(try state(ws, []), now: Double(at("07:30")))
        #expect(actions == [.claimSlot(job: "a", scheduledFor: at("07:00"), state: .queued, reason: nil, startNow: true)])
    }

    @Test(
        "node: a job with a label is claimed by any node but started only where the label is; the only node starts everything",
        arguments: [
            (Set<String>?.none, true), (Set(["gpu"]), true), (Set(["gpu", "eu"]), true), (Set<String>(), false), (Set(["eu"]), false),
        ])
    func nodeLabels(labels: Set<String>?, starts: Bool) throws {
        let ws = try Self.workspace("jobs:\n  train: { command: [true], schedule: { at: \"07:00\" }, node: gpu }\n  plain: { command: [true] }\n")
        var s = try state(ws, [run(9, "plain", .queued, trigger: .manual)])
        s.nodeLabels = labels
        let actions = Scheduler.decide(s, now: Double(at("07:30")))
        #expect(actions.contains(.claimSlot(job: "train", scheduledFor: at("07:00"), state: .queued, reason: nil, startNow: starts)))
        #expect(actions.contains(.start(runId: 9)), "a job without a label starts on any node")
        var queued = try state(ws, [run(1, "train", .queued, slot: "07:00")])
        queued.nodeLabels = labels
        #expect(Scheduler.decide(queued, now: Double(at("07:31"))).contains(.start(runId: 1)) == starts)
    }

    @Test("node: must be one label")
    func nodeLabelIsOneWord() throws {
        #expect(throws: Diagnostics.self) { try Self.workspace("jobs:\n  a: { command: [true], node: gpu eu }\n") }
        #expect(throws: Diagnostics.self) { try Self.workspace("jobs:\n  a: { command: [true], node: \"\" }\n") }
    }

    @Test("a slot claimed once is never claimed again")
    func claimedOnce() throws {
        let ws = try Self.workspace("jobs:\n  a: { command: [true], schedule: { at: \"07:00\" } }\n")
        #expect(Scheduler.decide(try state(ws, [run(1, "a", .succeeded, slot: "07:00")]), now: Double(at("09:00"))).isEmpty)
    }

    @Test("a slot not started within its deadline is missed")
    func deadline() throws {
        let ws = try Self.workspace("jobs:\n  a: { command: [true], schedule: { at: \"07:00\" }, deadline: 10m }\n")
        #expect(
            Scheduler.decide(try state(ws, []), now: Double(at("07:11")))
                == [.claimSlot(job: "a", scheduledFor: at("07:00"), state: .missed, reason: "not started within its deadline of 10m")])
    }

    @Test("a job waits pending for its upstream, queues when it succeeds, and fails when it failed for good")
    func upstreams() throws {
        let ws = try Self.workspace(
            """
            jobs:
              pre: { command: [true], schedule: { at: "07:00" } }
              ana: { command: [true], schedule: { at: "08:00" }, depends_on: [pre], deadline: 45m }
            """)
        let waiting = Scheduler.decide(try state(ws, [run(1, "pre", .running, slot: "07:00", attempts: 1)]), now: Double(at("08:00")))
        #expect(waiting == [.claimSlot(job: "ana", scheduledFor: at("08:00"), state: .pending, reason: "waiting for pre")])
        let ready = Scheduler.decide(
            try state(ws, [run(1, "pre", .succeeded, slot: "07:00"), run(2, "ana", .pending, slot: "08:00")]),
            now: Double(at("08:05")))
        #expect(ready == [.transition(runId: 2, to: .queued, reason: "upstreams succeeded"), .start(runId: 2)])
        let failed = Scheduler.decide(
            try state(ws, [run(1, "pre", .failed, slot: "07:00"), run(2, "ana", .pending, slot: "08:00")]),
            now: Double(at("08:05")))
        #expect(failed == [.transition(runId: 2, to: .upstreamFailed, reason: "upstream pre failed")])
        let late = Scheduler.decide(
            try state(ws, [run(1, "pre", .running, slot: "07:00"), run(2, "ana", .pending, slot: "08:00")]),
            now: Double(at("08:46")))
        #expect(late == [.transition(runId: 2, to: .missed, reason: "not started within its deadline of 45m")])
    }

    @Test("an unscheduled job runs once after all its upstream jobs succeeded that day")
    func downstreamPropagation() throws {
        let ws = try Self.workspace(
            """
            jobs:
              ana: { command: [true], schedule: { at: "08:00" } }
              post: { command: [true], depends_on: [ana] }
            """)
        #expect(
            Scheduler.decide(try state(ws, [run(1, "ana", .succeeded, slot: "08:00")]), now: Double(at("08:10")))
                == [.createRun(job: "post", trigger: .upstream, causeRunId: nil, startNow: true)])
        #expect(
            Scheduler.decide(
                try state(ws, [run(1, "ana", .succeeded, slot: "08:00"), run(2, "post", .succeeded, trigger: .upstream)]),
                now: Double(at("08:20"))
            ).isEmpty)
    }

    @Test(
        "overlap: skip records a skipped slot, queue waits, replace kills the running one",
        arguments: [
            ("skip", [Action.claimSlot(job: "d", scheduledFor: 0, state: .skipped, reason: "previous run still active")]),
            ("queue", [Action.claimSlot(job: "d", scheduledFor: 0, state: .queued, reason: nil, startNow: false)]),
            (
                "replace",
                [
                    Action.kill(runId: 1, reason: "replaced by the slot at 2026-11-25T14:45:00Z"),
                    Action.claimSlot(job: "d", scheduledFor: 0, state: .queued, reason: nil),
                ]
            ),
        ])
    func overlap(policy: String, expected: [Action]) throws {
        let ws = try Self.workspace("jobs:\n  d: { command: [true], schedule: { every: 15m, during: session }, overlap: \(policy) }\n")
        let actions = Scheduler.decide(
            try state(ws, [run(1, "d", .running, slot: "09:30", attempts: 1)], notBefore: at("09:30")),
            now: Double(at("09:45")))
        let slot = at("09:45")
        #expect(
            actions
                == expected.map { a in
                    if case .claimSlot(let j, _, let st, let r, let now) = a {
                        return .claimSlot(job: j, scheduledFor: slot, state: st, reason: r, startNow: now)
                    }
                    return a
                })
    }

    @Test("max_parallel and pools limit what starts")
    func capacity() throws {
        let ws = try Self.workspace(
            """
            jobs:
              a: { command: [true], pool: av }
              b: { command: [true], pool: av }
              c: { command: [true] }
              d: { command: [true] }
            """)
        let runs = ["a", "b", "c", "d"].enumerated().map { run(Int64($0.offset + 1), $0.element, .queued, trigger: .manual) }
        #expect(Scheduler.decide(try state(ws, runs), now: Double(at("10:00"))) == [.start(runId: 1), .start(runId: 3)])
    }

    @Test("due slots start at once while capacity lasts, the rest wait queued")
    func claimAndStart() throws {
        let ws = try Self.workspace(
            """
            jobs:
              a: { command: [true], schedule: { at: "07:00" } }
              b: { command: [true], schedule: { at: "07:00" } }
              c: { command: [true], schedule: { at: "07:00" }, pool: av }
              x: { command: [true] }
            """, config: "pools: { av: 1 }\nmax_parallel: 2\n")
        let actions = Scheduler.decide(try state(ws, [run(9, "x", .running, trigger: .manual)]), now: Double(at("07:00")))
        #expect(
            actions == [
                .claimSlot(job: "a", scheduledFor: at("07:00"), state: .queued, reason: nil, startNow: true),
                .claimSlot(job: "b", scheduledFor: at("07:00"), state: .queued, reason: nil, startNow: false),
                .claimSlot(job: "c", scheduledFor: at("07:00"), state: .queued, reason: nil, startNow: false),
            ])
    }

    @Test("a retrying run starts again only when its delay is over")
    func retryTiming() throws {
        let ws = try Self.workspace("jobs:\n  a: { command: [true], retries: 2 }\n")
        let r = run(1, "a", .retrying, trigger: .manual, attempts: 1, next: Double(at("10:00")) + 30)
        #expect(Scheduler.decide(try state(ws, [r]), now: Double(at("10:00")) + 29).isEmpty)
        #expect(Scheduler.decide(try state(ws, [r]), now: Double(at("10:00")) + 30) == [.start(runId: 1)])
    }

    @Test("retry delays double, are capped and jittered within ±20%")
    func retryDelays() {
        let policy = RetryPolicy(retries: 5, delay: .seconds(10), maxDelay: .seconds(60))
        for (attempt, base) in [(1, 10.0), (2, 20.0), (3, 40.0), (4, 60.0), (5, 60.0)] {
            let d = policy.delay(after: attempt, seed: 42)
            #expect(d >= base * 0.8 && d < base * 1.2)
        }
        #expect(policy.delay(after: 1, seed: 1) != policy.delay(after: 1, seed: 2))
        #expect(policy.retries(after: 5) && !policy.retries(after: 6))
    }

    @Test("after an attempt: success, a retry later, failure when retries are spent, cancelled when stopped on purpose")
    func afterAttempt() throws {
        let job = try Self.workspace("jobs:\n  a: { command: [true], retries: 1, retry_delay: 10s }\n").jobs["a"]!
        #expect(Scheduler.afterAttempt(number: 1, outcome: .succeeded, exitCode: 0, signal: nil, job: job, runId: 1, now: 0).state == .succeeded)
        let retry = Scheduler.afterAttempt(number: 1, outcome: .failed, exitCode: 3, signal: nil, job: job, runId: 1, now: 100)
        #expect(retry.state == .retrying && retry.nextAttemptAt! >= 108 && retry.nextAttemptAt! < 112)
        let failed = Scheduler.afterAttempt(number: 2, outcome: .timedOut, exitCode: nil, signal: 15, job: job, runId: 1, now: 100)
        #expect(failed.state == .failed && failed.reason.hasPrefix("timed out"))
        let stopped = Scheduler.afterAttempt(number: 1, outcome: .killed, exitCode: nil, signal: 15, job: job, runId: 1, now: 100)
        #expect(stopped.state == .cancelled && stopped.nextAttemptAt == nil)
    }

    @Test("a failed run triggers each on_failure job once")
    func onFailure() throws {
        let ws = try Self.workspace("jobs:\n  a: { command: [true], on_failure: [alert] }\n  alert: { command: [true] }\n")
        #expect(
            Scheduler.decide(try state(ws, [run(1, "a", .failed, trigger: .manual)]), now: 0)
                == [.createRun(job: "alert", trigger: .upstream, causeRunId: 1, startNow: true)])
        #expect(
            Scheduler.decide(
                try state(ws, [run(1, "a", .failed, trigger: .manual), run(2, "alert", .succeeded, trigger: .upstream, cause: 1)]),
                now: 0
            ).isEmpty)
    }

    /// The same state with the day's finished runs moved out of `runs` into `FinishedRuns`.
    func summarized(_ s: SchedulerState) -> SchedulerState {
        var out = s
        out.runs = s.runs.filter { !FinishedRuns.summarizes($0, day: s.tradingDay) }
        for r in s.runs where FinishedRuns.summarizes(r, day: s.tradingDay) { out.finished.add(r, workspace: s.workspace) }
        return out
    }

    /// `ana` at 08:00 depends on `pre` at 07:00.
    static let preThenAna =
        "jobs:\n  pre: { command: [true], schedule: { at: \"07:00\" } }\n  ana: { command: [true], schedule: { at: \"08:00\" }, depends_on: [pre] }\n"
    /// `post` has no schedule and runs once `ana` (08:00) succeeded.
    static let anaThenPost = "jobs:\n  ana: { command: [true], schedule: { at: \"08:00\" } }\n  post: { command: [true], depends_on: [ana] }\n"

    /// `c` (no schedule) after `a` (07:00) and `b` (08:00); `d` (no schedule) after `c`.
    static let diamond = """
        jobs:
          a: { command: [true], schedule: { at: "07:00" } }
          b: { command: [true], schedule: { at: "08:00" } }
          c: { command: [true], depends_on: [a, b] }
          d: { command: [true], depends_on: [c] }
        """

    @Test(
        "finished runs summarized decide exactly as finished runs listed",
        arguments: [
            (
                "jobs:\n  a: { command: [true], schedule: { at: \"07:00\" } }\n  b: { command: [true], schedule: { at: \"08:00\" } }\n",
                "08:30", ["a succeeded 07:00"]
            ),
            (Self.preThenAna, "08:05", ["pre succeeded 07:00", "ana pending 08:00"]),
            (Self.preThenAna, "08:05", ["pre failed 07:00", "ana pending 08:00"]),
            (Self.preThenAna, "08:05", ["pre cancelled 07:00", "ana pending 08:00"]),
            (Self.anaThenPost, "08:10", ["ana succeeded 08:00"]),
            (Self.anaThenPost, "08:20", ["ana succeeded 08:00", "post succeeded -"]),
            (
                "jobs:\n  a: { command: [true], on_failure: [alert] }\n  alert: { command: [true] }\n",
                "09:00", ["a failed -", "alert succeeded - cause 1"]
            ),
            (Self.diamond, "08:10", ["a succeeded 07:00"]),
            (Self.diamond, "08:10", ["a succeeded 07:00", "b succeeded 08:00"]),
            (Self.diamond, "08:10", ["a succeeded 07:00", "b succeeded 08:00", "c running -"]),
            (Self.diamond, "08:10", ["a succeeded 07:00", "b succeeded 08:00", "c succeeded -"]),
            (Self.diamond, "08:10", ["a succeeded 07:00", "b failed 08:00"]),
            (
                "jobs:\n  t: { command: [true], schedule: { every: 15m, during: session } }\n",
                "10:31", ["t succeeded 09:30", "t skipped 09:45", "t missed 10:00", "t running 10:15"]
            ),
        ])
    func finishedRunsSummarized(jobs: String, now: String, runs: [String]) throws {
        let ws = try Self.workspace(jobs)
        let list = runs.enumerated().map { i, text -> SchedulerState.Run in
            let f = text.split(separator: " ").map(String.init)
            return run(
                Int64(i + 1), f[0], RunState(rawValue: f[1])!, slot: f[2] == "-" ? nil : f[2],
                trigger: f[2] == "-" ? .manual : .schedule, cause: f.count > 4 ? Int64(f[4]) : nil)
        }
        let listed = try state(ws, list)
        let summary = summarized(listed)
        #expect(summary.runs.count < listed.runs.count || !list.contains { $0.state == .succeeded })
        #expect(Scheduler.decide(summary, now: Double(at(now))) == Scheduler.decide(listed, now: Double(at(now))))
    }

    @Test("slots up to the instant the caller says are claimed are not scanned again; later due ones are claimed")
    func claimedThroughSkipsTheScan() throws {
        let ws = try Self.workspace("jobs:\n  t: { command: [true], schedule: { every: 15m, during: session } }\n")
        var s = try state(ws, [])
        s.claimedThrough = at("10:00")
        #expect(
            Scheduler.decide(s, now: Double(at("10:20")))
                == [.claimSlot(job: "t", scheduledFor: at("10:15"), state: .queued, reason: nil, startNow: true)])
    }

    @Test("a dependency on a service waits until the service is up")
    func serviceDependency() throws {
        let ws = try Self.workspace(
            "jobs:\n  a: { command: [true], depends_on: [feed], schedule: { at: \"09:00\" } }\nservices:\n  feed: { command: [sleep, \"9\"] }\n")
        #expect(
            Scheduler.decide(try state(ws, []), now: Double(at("09:00")))
                == [.claimSlot(job: "a", scheduledFor: at("09:00"), state: .pending, reason: "waiting for service feed")])
        #expect(
            Scheduler.decide(try state(ws, [], up: ["feed"]), now: Double(at("09:00")))
                == [.claimSlot(job: "a", scheduledFor: at("09:00"), state: .queued, reason: nil, startNow: true)])
    }

    @Test("runs created in a round start in it with the capacity left after the runs already queued")
    func createdRunsStartInTheirRound() throws {
        let ws = try Self.workspace(
            Self.diamond + "\n  q: { command: [true] }\n  r: { command: [true] }\n",
            config: "max_parallel: 2\n")
        let ab = [run(1, "a", .succeeded, slot: "07:00"), run(2, "b", .succeeded, slot: "08:00")]
        // One queued run before it: both start.
        #expect(
            Scheduler.decide(try state(ws, ab + [run(3, "q", .queued, trigger: .manual)]), now: Double(at("08:10")))
                == [.createRun(job: "c", trigger: .upstream, causeRunId: nil, startNow: true), .start(runId: 3)])
        // Two queued runs take the capacity: c is created queued and waits.
        #expect(
            Scheduler.decide(
                try state(ws, ab + [run(3, "q", .queued, trigger: .manual), run(4, "r", .queued, trigger: .manual)]),
                now: Double(at("08:10")))
                == [.createRun(job: "c", trigger: .upstream, causeRunId: nil, startNow: false), .start(runId: 3), .start(runId: 4)])
    }

    /// The state a decision's actions leave, as the engine would commit them (no process ends).
    func applied(_ actions: [Action], to s: SchedulerState, now: Double) -> SchedulerState {
        var out = s
        var next = (s.runs.map(\.id).max() ?? 0) + 1
        for action in actions {
            switch action {
            case .claimSlot(let job, let time, let state, _, let startNow):
                out.runs.append(
                    .init(
                        id: next, job: job, tradingDay: s.tradingDay, scheduledFor: time, trigger: .schedule,
                        state: startNow ? .running : state, attempts: startNow ? 1 : 0, nextAttemptAt: nil, causeRunId: nil))
                next += 1
            case .createRun(let job, let trigger, let cause, let startNow):
                out.runs.append(
                    .init(
                        id: next, job: job, tradingDay: s.tradingDay, scheduledFor: nil, trigger: trigger,
                        state: startNow ? .running : .queued, attempts: startNow ? 1 : 0, nextAttemptAt: nil, causeRunId: cause))
                next += 1
            case .transition(let id, let state, _):
                if let i = out.runs.firstIndex(where: { $0.id == id }) { out.runs[i].state = state }
            case .start(let id):
                if let i = out.runs.firstIndex(where: { $0.id == id }) { out.runs[i].state = .running; out.runs[i].attempts += 1 }
            case .kill:
                break
            }
        }
        return out
    }

    @Test("when a decision says nothing more can follow at that instant, deciding again on the state it leaves finds nothing")
    func decidingAgainFindsNothing() throws {
        let ws = try Self.workspace(
            """
            jobs:
              a: { command: [true], schedule: { at: "07:00" } }
              b: { command: [true], schedule: { at: "07:00" }, pool: av, deadline: 30m }
              c: { command: [true], schedule: { at: "08:00" }, depends_on: [a], deadline: 45m }
              d: { command: [true], depends_on: [a, b] }
              e: { command: [true], depends_on: [d], pool: av, on_failure: [h] }
              f: { command: [true], schedule: { every: 15m, during: session }, overlap: skip, depends_on: [c] }
              g: { command: [true], depends_on: [c, e] }
              h: { command: [true] }
            """, config: "pools: { av: 1 }\nmax_parallel: 2\n")
        let jobs = ws.jobs.keys.sorted()
        let states: [RunState] = [.pending, .queued, .running, .retrying, .succeeded, .failed, .upstreamFailed, .skipped, .missed, .cancelled]
        var rng = UInt64(7)
        func random(_ n: Int) -> Int { rng = rng &* 6364136223846793005 &+ 1442695040888963407; return Int(rng >> 33) % n }
        let slots = try SchedulerState.slots(of: ws, on: day)
        var checked = 0, cascades = 0
        for _ in 0..<3000 {
            var runs: [SchedulerState.Run] = []
            for id in 1...Int64(1 + random(6)) {
                let job = jobs[random(jobs.count)]
                let times = slots.filter { $0.job == job }.map(\.time)
                let slot = times.isEmpty ? nil : times[random(times.count)]
                runs.append(
                    .init(
                        id: id, job: job, tradingDay: day, scheduledFor: slot, trigger: slot == nil ? .manual : .schedule,
                        state: states[random(states.count)], attempts: 1, nextAttemptAt: 0, causeRunId: random(4) == 0 ? 1 : nil))
            }
            let now = Double(at(["07:00", "07:20", "07:40", "08:10", "09:50", "11:00"][random(6)]))
            let s = try state(ws, runs)
            let actions = Scheduler.decide(s, now: now)
            if Scheduler.mayDecideMore(after: actions) { cascades += 1; continue }
            let again = Scheduler.decide(applied(actions, to: s, now: now), now: now)
            #expect(again.isEmpty, "runs \(runs) at \(now): \(actions) then \(again)")
            checked += 1
        }
        #expect(checked > 1000 && cascades > 50, "both cases are exercised: \(checked) checked, \(cascades) may cascade")
    }
}
