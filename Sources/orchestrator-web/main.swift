import Foundation
import OrchestratorCore
import OrchestratorRuntime
import OrchestratorWeb

// The server `orchestrator serve` starts (its own executable, so that Hummingbird's build stays
// out of the engine's): orchestrator-web HOST PORT CONFIG JOBS [TOKEN_FILE]. The token is read
// from the file and never printed.
let args = CommandLine.arguments
guard args.count >= 5, let port = Int(args[2]) else {
    FileHandle.standardError.write(Data("usage: orchestrator-web HOST PORT CONFIG JOBS [TOKEN_FILE] (started by orchestrator serve)\n".utf8))
    exit(2)
}
let workspace = try? WorkspaceFiles(configPath: args[3], jobsDirectory: args[4]).load().get()
let database: String
if let workspace {
    database = workspace.config.database
} else {
    FileHandle.standardError.write(Data("orchestrator-web: error: \(args[3]) and \(args[4]) do not load (orchestrator validate says why)\n".utf8))
    exit(2)
}
let token = args.count >= 6 ? ServerStart.token(fromFile: args[5], program: "orchestrator-web") : nil
let web = WebState(storePath: database, workspace: workspace)
FileHandle.standardError.write(
    Data("orchestrator serve: http://\(args[1]):\(port)/ (read-only over \(database))\(token == nil ? "" : ", token required")\n".utf8))
if token != nil {
    // One browser signs in by opening this link once (it sets the token as a cookie); scripts
    // send the token as a bearer header.
    FileHandle.standardError.write(Data("sign in a browser, once: http://\(args[1]):\(port)/login?code=\(web.login.issue())\n".utf8))
}
try await WebServer.run(web, host: args[1], port: port, token: token)
