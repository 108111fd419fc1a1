import AlphaTrader
import AlphaTraderDashboard
import Foundation
import OrchestratorCore
import OrchestratorWeb
import Redis

// The server `alphatrader dashboard` starts (its own executable, so that Hummingbird's build stays
// out of the trading jobs'): alphatrader-dashboard HOST PORT CONFIG ORCHESTRATOR_URL [TOKEN_FILE].
// Reads Redis only; the token is read from the file and never printed.
let args = CommandLine.arguments
guard args.count >= 5, let port = Int(args[2]) else {
    FileHandle.standardError.write(
        Data("usage: alphatrader-dashboard HOST PORT CONFIG ORCHESTRATOR_URL [TOKEN_FILE] (started by alphatrader dashboard)\n".utf8))
    exit(2)
}
let context: AlphaContext
do { context = try AlphaContext.load(configPath: args[3], module: "dashboard") } catch {
    FileHandle.standardError.write(Data("alphatrader-dashboard: error: \(error.description)\n".utf8))
    exit(2)
}
let token = args.count >= 6 ? ServerStart.token(fromFile: args[5], program: "alphatrader-dashboard") : nil
let state = DashboardState(
    redisURL: context.redisURL, clock: context.clock, zone: ZoneRules.of(context.config.calendar.timeZone),
    firstSymbol: context.config.symbols.all.first ?? "SPY", orchestratorURL: args[4])
let login = OneTimeCode()
FileHandle.standardError.write(
    Data("alphatrader dashboard: http://\(args[1]):\(port)/ (read-only over Redis at \(context.redisURL.host):\(context.redisURL.port))\n".utf8))
if token != nil {
    FileHandle.standardError.write(Data("sign in a browser, once: http://\(args[1]):\(port)/login?code=\(login.issue())\n".utf8))
}
try await DashboardServer.run(state, host: args[1], port: port, token: token, login: login)
