import Testing

@testable import OrchestratorCore

/// The service supervisor's decisions as a pure state machine: events in, actions out, on
/// explicit instants (no clock, no sleep, no process).
@Suite("Service supervision decisions")
struct ServiceBoardTests {
    static func workspace(_ services: String) throws -> Workspace {
        try Workspace.load(
            config: .init(path: "c.yaml", contents: "timezone: America/New_York\n"),
            jobFiles: [.init(path: "s.yaml", contents: services)], environment: [:]
        ).get()
    }

    /// 2026-11-25 (a Wednesday before Thanksgiving) and 2026-11-27 (the early close, 13:00).
    func at(_ hhmm: String, _ day: String = "2026-11-25") -> Double { Double(instant("\(day)T\(hhmm):00-05:00")) }

    static let flappy = """
        services:
          s: { command: [x], restart_delay: 1s, max_restart_delay: 5s, start_limit: { burst: 3, interval: 1m } }
        """

    @Test("restart delay doubles per consecutive failure and is capped", arguments: [(1, 1.0), (2, 2.0), (3, 4.0), (4, 5.0), (9, 5.0)])
    func restartDelay(failures: Int, seconds: Double) throws {
        let spec = try Self.workspace(Self.flappy).services["s"]!
        #expect(ServiceBoard.restartDelay(spec, consecutiveFailures: failures) == seconds)
    }

    @Test("an always-on service starts at once and is running without a health check")
    func startsAlwaysOn() throws {
        var board = ServiceBoard(workspace: try Self.workspace(Self.flappy))
        #expect(board.tick(now: at("10:00")) == [.start("s")])
        board.started("s", pid: 100, runId: 7, now: at("10:00"))
        #expect(board.statuses["s"]!.state == .running)
        #expect(board.up == ["s"])
        #expect(board.tick(now: at("10:00")).isEmpty)
    }

    @Test("a crash backs off with a doubling delay, then more exits than the burst make it failed for good")
    func flappingHitsStartLimit() throws {
        var board = ServiceBoard(workspace: try Self.workspace(Self.flappy))
        var t = at("10:00")
        var delays: [Double] = []
        for pid in Int32(1)...4 {
            #expect(board.tick(now: t) == [.start("s")])
            board.started("s", pid: pid, runId: 7, now: t)
            t += 0.5
            let actions = board.exited("s", exit: .init(code: 1, signal: nil, at: t), now: t)
            if pid <= 3 {
                let next = board.statuses["s"]!.nextStartAt!
                delays.append(next - t)
                #expect(actions == [.runState("s", runId: 7, state: .retrying, reason: board.statuses["s"]!.reason!, nextAt: next)])
                #expect(board.tick(now: next - 0.01).isEmpty)
                t = next
            } else {
                #expect(board.statuses["s"]!.state == .failed)
                guard case .runState(_, 7, .failed, let reason, nil)? = actions.first else { Issue.record("\(actions)"); return }
                #expect(reason.contains("start limit"))
            }
        }
        #expect(delays == [1, 2, 4])
        // Failed until the next window or a manual restart: no more starts.
        #expect(board.tick(now: t + 3600).isEmpty)
        _ = board.requestRestart("s", now: t + 3600)
        #expect(board.tick(now: t + 3600) == [.start("s")])
    }

    @Test("a process that stayed up resets the doubling")
    func stableUptimeResets() throws {
        var board = ServiceBoard(workspace: try Self.workspace(Self.flappy))
        let t = at("10:00")
        _ = board.tick(now: t)
        board.started("s", pid: 1, runId: 1, now: t)
        _ = board.exited("s", exit: .init(code: 1, signal: nil, at: t + 1), now: t + 1)
        _ = board.tick(now: t + 2)
        board.started("s", pid: 2, runId: 1, now: t + 2)
        _ = board.exited("s", exit: .init(code: 1, signal: nil, at: t + 40), now: t + 40)
        #expect(board.statuses["s"]!.nextStartAt == t + 41)
    }

    @Test(
        "restart policies on a clean exit and on a failure",
        arguments: [
            ("always", 0, ServiceStatus.State.backoff), ("always", 3, .backoff),
            ("on-failure", 0, .stopped), ("on-failure", 3, .backoff),
            ("never", 0, .stopped), ("never", 3, .failed),
        ])
    func policies(restart: String, code: Int, expected: ServiceStatus.State) throws {
        var board = ServiceBoard(workspace: try Self.workspace("services:\n  s: { command: [x], restart: \(restart) }\n"))
        _ = board.tick(now: at("10:00"))
        board.started("s", pid: 1, runId: 1, now: at("10:00"))
        _ = board.exited("s", exit: .init(code: code, signal: nil, at: at("10:01")), now: at("10:01"))
        #expect(board.statuses["s"]!.state == expected)
        if expected != .backoff { #expect(board.tick(now: at("11:00")).isEmpty) }
    }

    @Test("a window opens and closes the service by the exchange calendar; the early close moves the stop")
    func windowOnEarlyClose() throws {
        let ws = try Self.workspace(
            """
            services:
              feed: { command: [x], active: { from: { market: open, offset: -30m }, to: { market: close, offset: 15m } }, stop_timeout: 5s }
            """)
        var board = ServiceBoard(workspace: ws)
        let day = "2026-11-27"  // the day after Thanksgiving: close at 13:00
        #expect(board.tick(now: at("08:59", day)).isEmpty)
        #expect(board.statuses["feed"]!.state == .inactive)
        #expect(board.nextWake(after: at("08:59", day)) == at("09:00", day))
        #expect(board.tick(now: at("09:00", day)) == [.start("feed")])
        board.started("feed", pid: 5, runId: 3, now: at("09:00", day))
        #expect(board.nextWake(after: at("12:00", day)) == at("13:15", day))
        #expect(board.tick(now: at("13:14", day)).isEmpty)
        #expect(board.tick(now: at("13:15", day)) == [.stop("feed")])
        #expect(board.statuses["feed"]!.state == .stopping)
        // Hung: SIGKILL once stop_timeout has passed.
        #expect(board.tick(now: at("13:15", day) + 4.9).isEmpty)
        #expect(board.tick(now: at("13:15", day) + 5) == [.kill("feed")])
        let actions = board.exited("feed", exit: .init(code: nil, signal: 9, at: at("13:15", day) + 5), now: at("13:15", day) + 5)
        #expect(actions == [.runState("feed", runId: 3, state: .succeeded, reason: "stopped: its window closed", nextAt: nil)])
        #expect(board.statuses["feed"]!.state == .inactive)
        // Thanksgiving: no window at all; the next opens the following Monday... after the 27th.
        #expect(board.tick(now: at("10:00", "2026-11-26")).isEmpty)
        #expect(board.nextWake(after: at("14:00", day)) == at("09:00", "2026-11-30"))
    }

    static let chain = """
        services:
          redis: { command: [x] }
          feed: { command: [x], depends_on: [redis], health: { redis_key: hb, max_age: 15s, unhealthy_after: 2 } }
          analytics: { command: [x], depends_on: [feed] }
        """

    @Test("services start in dependency order, each once the one before is up and healthy")
    func dependencyOrder() throws {
        var board = ServiceBoard(workspace: try Self.workspace(Self.chain))
        let t = at("10:00")
        #expect(board.tick(now: t) == [.start("redis")])
        board.started("redis", pid: 1, runId: 1, now: t)
        #expect(board.tick(now: t) == [.start("feed")])
        board.started("feed", pid: 2, runId: 2, now: t)
        #expect(board.statuses["feed"]!.state == .starting)
        #expect(board.tick(now: t + 0.5).isEmpty)
        #expect(board.tick(now: t + 1) == [.check("feed")])
        _ = board.checked("feed", ok: true, detail: "heartbeat 0.4s old", now: t + 1)
        #expect(board.tick(now: t + 1) == [.start("analytics")])
    }

    @Test("a service that answers 'not ready yet' (Redis loading its dataset) is neither healthy nor restarted, however long it takes; its dependents wait")
    func notReadyWaits() throws {
        var board = ServiceBoard(workspace: try Self.workspace(Self.chain))
        let t = at("10:00")
        _ = board.tick(now: t); board.started("redis", pid: 1, runId: 1, now: t)
        _ = board.tick(now: t); board.started("feed", pid: 2, runId: 2, now: t)
        for i in 1...10 {
            let now = t + Double(i) * 5
            _ = board.tick(now: now)
            #expect(board.checked("feed", outcome: .notReady, detail: "LOADING Redis is loading the dataset in memory", now: now).isEmpty)
            #expect(board.statuses["feed"]!.state == .starting)
            #expect(!board.tick(now: now).contains(.start("analytics")))
        }
        _ = board.checked("feed", outcome: .failed, detail: "heartbeat 16s old", now: t + 55)
        #expect(board.statuses["feed"]!.state == .starting, "not-ready answers did not count as failures before it")
        _ = board.tick(now: t + 60)
        _ = board.checked("feed", outcome: .passed, detail: "ok", now: t + 60)
        #expect(board.statuses["feed"]!.state == .running)
    }

    @Test("within its start period a starting service's failed checks (yesterday's heartbeat) do not count; after it, or once healthy, they do")
    func startPeriod() throws {
        let text = """
            services:
              redis: { command: [x] }
              execution: { command: [x], depends_on: [redis], health: { redis_key: hb, max_age: 60s, unhealthy_after: 2, start_period: 10m } }
            """
        var board = ServiceBoard(workspace: try Self.workspace(text))
        let t = at("09:30")
        _ = board.tick(now: t); board.started("redis", pid: 1, runId: 1, now: t)
        _ = board.tick(now: t); board.started("execution", pid: 2, runId: 2, now: t)
        for minute in 1...9 {
            #expect(board.checked("execution", ok: false, detail: "heartbeat 62963.1s old", now: t + Double(minute) * 60).isEmpty)
        }
        #expect(board.statuses["execution"]!.state == .starting && board.statuses["execution"]!.health?.detail == "heartbeat 62963.1s old")
        _ = board.checked("execution", ok: false, detail: "heartbeat 63563.1s old", now: t + 601)
        #expect(board.checked("execution", ok: false, detail: "heartbeat 63564.1s old", now: t + 602) == [.stop("execution")])
        #expect(board.statuses["execution"]!.state == .unhealthy, "the period is over: two failures in a row")
        // Healthy within the period, then failing: counted at once.
        var again = ServiceBoard(workspace: try Self.workspace(text))
        _ = again.tick(now: t); again.started("redis", pid: 1, runId: 1, now: t)
        _ = again.tick(now: t); again.started("execution", pid: 2, runId: 2, now: t)
        _ = again.checked("execution", ok: true, detail: "heartbeat 0.2s old", now: t + 5)
        _ = again.checked("execution", ok: false, detail: "heartbeat 61s old", now: t + 66)
        #expect(again.checked("execution", ok: false, detail: "heartbeat 62s old", now: t + 67) == [.stop("execution")])
    }

    @Test("consecutive failed checks make a service unhealthy and restart it; the exit counts as a failure")
    func unhealthyRestarts() throws {
        var board = ServiceBoard(workspace: try Self.workspace(Self.chain))
        let t = at("10:00")
        _ = board.tick(now: t); board.started("redis", pid: 1, runId: 1, now: t)
        _ = board.tick(now: t); board.started("feed", pid: 2, runId: 2, now: t)
        _ = board.tick(now: t + 1); _ = board.checked("feed", ok: true, detail: "ok", now: t + 1)
        #expect(board.tick(now: t + 5) == [.start("analytics")])
        #expect(board.tick(now: t + 6).contains(.check("feed")))
        #expect(board.checked("feed", ok: false, detail: "heartbeat 16s old", now: t + 6).isEmpty)
        #expect(board.statuses["feed"]!.state == .running)
        _ = board.tick(now: t + 11)
        #expect(board.checked("feed", ok: false, detail: "heartbeat 21s old", now: t + 11) == [.stop("feed")])
        #expect(board.statuses["feed"]!.state == .unhealthy)
        #expect(!board.up.contains("feed"))
        let after = board.exited("feed", exit: .init(code: nil, signal: 15, at: t + 11.1), now: t + 11.1)
        #expect(board.statuses["feed"]!.state == .backoff)
        guard case .runState("feed", 2, .retrying, let reason, _)? = after.first else { Issue.record("\(after)"); return }
        #expect(reason.contains("unhealthy"))
    }

    @Test("shutting down stops services in reverse dependency order, one layer at a time")
    func reverseStop() throws {
        var board = ServiceBoard(workspace: try Self.workspace(Self.chain))
        let t = at("10:00")
        _ = board.tick(now: t); board.started("redis", pid: 1, runId: 1, now: t)
        _ = board.tick(now: t); board.started("feed", pid: 2, runId: 2, now: t)
        _ = board.tick(now: t + 1); _ = board.checked("feed", ok: true, detail: "ok", now: t + 1)
        _ = board.tick(now: t + 1); board.started("analytics", pid: 3, runId: 3, now: t + 1)
        #expect(board.tick(now: t + 2, shuttingDown: true) == [.stop("analytics")])
        _ = board.exited("analytics", exit: .init(code: 0, signal: nil, at: t + 2), now: t + 2)
        #expect(board.tick(now: t + 2, shuttingDown: true) == [.stop("feed")])
        _ = board.exited("feed", exit: .init(code: 0, signal: nil, at: t + 2), now: t + 2)
        #expect(board.tick(now: t + 2, shuttingDown: true) == [.stop("redis")])
        _ = board.exited("redis", exit: .init(code: 0, signal: nil, at: t + 2), now: t + 2)
        #expect(!board.anyAlive)
        #expect(board.tick(now: t + 3, shuttingDown: true).isEmpty)
        #expect(board.statuses.values.allSatisfy { $0.state == .stopped })
    }
}
