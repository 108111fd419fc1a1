import AlphaTrader
import AlphaTraderSimulators
import ArgumentParser
import Foundation
import OrchestratorCore

struct TWSSim: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tws-sim",
        abstract: "Serves a tape over the TWS API socket protocol on 127.0.0.1 (an IBKR stand-in, no account).",
        discussion: """
            Speaks the TWS API text protocol at server version 176 (or the client's maximum, if
            lower): the handshake, startApi with managedAccounts, nextValidId and farm-status
            messages, the replies ib_async waits for on connect, and market data for what a client
            subscribes — reqMktData (bid/ask ticks; trades as RTVolume with generic tick 233),
            reqMktDepth per exchange (level-2 rows with market makers), reqRealTimeBars (5-second
            bars). Each connection plays the tape from its start at the clock (ORCHESTRATOR_CLOCK
            under run-day), or as fast as the socket takes it with --unpaced. Runs until SIGTERM.

            It is also a paper broker (unless --no-broker): placeOrder (MKT, LMT, STP, STP LMT; DAY,
            IOC; brackets and OCA groups; modify by the same id; whatIf), cancelOrder,
            reqGlobalCancel, positions, open orders, executions and account values, stock and
            option contracts (reqSecDefOptParams, option quotes with model greeks). Orders fill
            against the tape's market at the clock (with --unpaced, a market clock that starts at
            the tape's first event and runs in real time), with IBKR's commissions; the account is
            kept in --account (written atomically, read again at start) and starts with --cash.

            Examples:
              alphatrader tws-sim --tape var/tapes/2026-11-25.tape --port 7497
              IBKR_PORT=7497 alphatrader ingest --source ibkr      # in another shell
              alphatrader tws-sim --tape var/tapes/2026-11-25.tape --account var/paper/test.json --cash 25000
            """
    )

    @OptionGroup var common: CommonOptions
    @Option(help: "The tape to serve; default var/tapes/<trading day>.tape (the replay feed's).") var tape: String?
    @Option(help: "Port on 127.0.0.1 (0: a free one, printed).") var port: Int = 7497
    @Flag(help: "Send each connection the whole tape as fast as it reads, once it has subscribed.") var unpaced = false
    @Option(help: "The paper account's file.") var account = "var/paper/account.json"
    @Option(help: "A new account's cash, in dollars.") var cash: Double = 100_000
    @Option(help: "Ticks a marketable order's fill moves against it.") var slippageTicks = 0
    @Flag(help: "Serve market data only: no orders, no account.") var noBroker = false
    @Option(help: "Answer each request this many milliseconds after it arrives, as a distant or busy gateway would.") var latencyMs = 0
    @Flag(help: "Write module:heartbeat:broker to Redis every second of the clock (as a supervised service).") var heartbeat = false

    func run() throws {
        StopSignal.install()
        let context = try loadContext(common, module: "tws-sim")
        guard (0...65535).contains(port) else { throw invalidInput("--port \(port): expected 0…65535") }
        let tape = try tape ?? defaultTapePath(tapeSession(context, date: nil))
        guard FileManager.default.fileExists(atPath: tape) else {
            throw failure("tape \(tape): no such file yet (the replay-tape job or alphatrader replay-gen writes it)")
        }
        guard cash > 0, cash.isFinite else { throw invalidInput("--cash \(cash): expected a positive amount") }
        guard (0...100).contains(slippageTicks) else { throw invalidInput("--slippage-ticks \(slippageTicks): expected 0…100") }
        guard (0...60_000).contains(latencyMs) else { throw invalidInput("--latency-ms \(latencyMs): expected 0…60000") }
        let simulator: TWSSimulator
        do {
            var desk: PaperDesk?
            if !noBroker {
                // Unpaced, the broker's market runs in real time from the tape's first event.
                let start = try TapeReader(path: tape, verify: false).header.from
                let clock: any WallClock =
                    unpaced
                    ? SimulatedClock(simulatedAnchor: Double(start), realAnchor: Date().timeIntervalSince1970, speed: 1) : context.clock
                let log = context.log
                desk = try PaperDesk(
                    tapePath: tape, clock: clock, zone: ZoneRules.of(context.config.timeZone), calendar: context.config.calendar,
                    configuration: .init(startingCash: cash, slippageTicks: slippageTicks), accountFile: account,
                    saveInterval: 0.5, log: { log($0) })
            }
            simulator = try TWSSimulator(tapePath: tape, pace: unpaced ? .unpaced : .clock(context.clock), desk: desk, log: context.log)
        } catch let error as TapeError {
            throw invalidInput(error.description)
        } catch {
            throw invalidInput("\(error)")
        }
        simulator.latency = Double(latencyMs) / 1000
        let bound: Int
        do { bound = try simulator.start(port: port) } catch { throw failure(error.description) }
        FileHandle.standardOutput.write(Data("listening on 127.0.0.1:\(bound)\n".utf8))
        var beat = Heartbeat(context: context, key: "module:heartbeat:broker", enabled: heartbeat)
        // Every 5 ms: a heartbeat is due every second of the clock, which under run-day's 600×
        // is under 2 ms of real time — a 50 ms sleep here let it age 30 s between beats, and a
        // busy close pushed it past the health check's limit.
        while !StopSignal.requested {
            beat.beatIfDue(["port": String(bound)])
            usleep(5_000)
        }
        simulator.stop()
        simulator.desk?.flush()
        context.log("stopped")
    }
}
