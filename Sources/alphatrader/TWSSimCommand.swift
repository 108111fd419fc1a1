import AlphaTrader
import AlphaTraderSimulators
import ArgumentParser
import Foundation

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

        Examples:
          alphatrader tws-sim --tape var/tapes/2026-11-25.tape --port 7497
          IBKR_PORT=7497 alphatrader ingest --source ibkr      # in another shell
        """
    )

    @OptionGroup var common: CommonOptions
    @Option(help: "The tape to serve.") var tape: String
    @Option(help: "Port on 127.0.0.1 (0: a free one, printed).") var port: Int = 7497
    @Flag(help: "Send each connection the whole tape as fast as it reads, once it has subscribed.") var unpaced = false

    func run() throws {
        StopSignal.install()
        let context = try loadContext(common, module: "tws-sim")
        guard (0...65535).contains(port) else { throw invalidInput("--port \(port): expected 0…65535") }
        let simulator: TWSSimulator
        do { simulator = try TWSSimulator(tapePath: tape, pace: unpaced ? .unpaced : .clock(context.clock), log: context.log) }
        catch { throw invalidInput(error.description) }
        let bound: Int
        do { bound = try simulator.start(port: port) } catch { throw failure(error.description) }
        FileHandle.standardOutput.write(Data("listening on 127.0.0.1:\(bound)\n".utf8))
        while !StopSignal.requested { usleep(50_000) }
        simulator.stop()
        context.log("stopped")
    }
}
