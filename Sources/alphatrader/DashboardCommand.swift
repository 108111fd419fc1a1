import AlphaTrader
import ArgumentParser
import Foundation
import OrchestratorCore
import OrchestratorRuntime

struct DashboardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dashboard",
        abstract: "The live trading dashboard: positions, P&L, orders, signals, risk, data freshness (1 Hz).",
        discussion: """
            One page, updated every second over server-sent events: the day's P&L and its curve,
            positions with their marked P&L, open orders, each strategy's latest signal, the risk
            state with each limit and how close the day is to it, and how fresh each source's data
            is (ingestion, analytics, execution, discovery, Alpha Vantage), with a link to the
            orchestrator's UI. It only reads Redis (SPEC §7 and §10's keys); /api/snapshot gives
            the same as JSON (503 while Redis does not answer).

            On 127.0.0.1 by default; any other address needs --token-file (Authorization: Bearer
            TOKEN, or the cookie a one-time sign-in link printed at start sets). Runs until
            SIGTERM. The server is its own executable, alphatrader-dashboard, beside this one.
            In jobs/services.yaml it is the dashboard service, through the session.

            Examples:
              alphatrader dashboard
              alphatrader dashboard --listen 0.0.0.0:8090 --token-file /etc/alphatrader/token
              curl -s 127.0.0.1:8090/api/snapshot | jq .pnl
            """
    )

    @OptionGroup var options: CommonOptions
    @Option(help: "HOST:PORT to listen on.") var listen = "127.0.0.1:8090"
    @Option(help: "A file holding the token every request must carry (required off loopback).") var tokenFile: String?
    @Option(help: "Where the orchestrator's UI is (orchestrator serve), linked from the page.") var orchestratorURL = "http://127.0.0.1:8080/"

    func run() throws {
        guard let address = ListenAddress(parsing: listen) else { throw invalidInput("--listen \(listen): expected HOST:PORT") }
        if !address.isLoopback && tokenFile == nil {
            throw invalidInput("--listen \(listen) is not loopback: give --token-file (a file holding the token every request must carry)")
        }
        if let tokenFile {
            guard let text = try? String(contentsOfFile: tokenFile, encoding: .utf8), !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw invalidInput("--token-file \(tokenFile): missing, unreadable or empty")
            }
        }
        _ = try loadContext(options, module: "dashboard")
        let server = ProcessControl.sibling("alphatrader-dashboard")
        guard FileManager.default.isExecutableFile(atPath: server) else {
            throw failure("\(server) is missing: build it with swift build --product alphatrader-dashboard")
        }
        let arguments = [server, address.host, String(address.port), options.config, orchestratorURL] + (tokenFile.map { [$0] } ?? [])
        let argv = arguments.map { strdup($0) } + [nil]
        execv(server, argv)
        throw failure("\(server) could not start: \(String(cString: strerror(errno)))")
    }
}
