import ArgumentParser
import Foundation
import OrchestratorCore
import OrchestratorRuntime

struct ValidateCommand: GlobalOptionsCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check the configuration and every job file; report every problem with its position.",
        discussion: """
            Prints `N jobs, M services: ok`, or one line per problem as FILE:LINE:COL: error: MESSAGE
            and exits 2. Every problem is reported, not just the first.

            Example:
              orchestrator validate --jobs jobs/
            """
    )

    @OptionGroup var local: GlobalOptions
    @ParentCommand var parent: Orchestrator
    @Flag(help: "Print one JSON document: {\"ok\":…,\"jobs\":N,\"services\":M,\"errors\":[…]}.") var json = false

    func run() throws {
        let result = WorkspaceFiles(configPath: global.config, jobsDirectory: global.jobs).load()
        switch result {
        case .success(let w):
            if json {
                printJSON(
                    .object([
                        ("ok", .bool(true)), ("jobs", .int(Int64(w.jobs.count))),
                        ("services", .int(Int64(w.services.count))), ("errors", .array([])),
                        ("unavailable", .object(w.unavailable.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })),
                    ]))
            } else {
                print("\(w.jobs.count) job\(w.jobs.count == 1 ? "" : "s"), \(w.services.count) service\(w.services.count == 1 ? "" : "s"): ok")
                if !w.unavailable.isEmpty {
                    print("not yet available in this build (declared, never scheduled):")
                    let width = w.unavailable.keys.map(\.count).max() ?? 0
                    for (name, why) in w.unavailable.sorted(by: { $0.key < $1.key }) {
                        print("  \(name.padding(toLength: width, withPad: " ", startingAt: 0))  \(why)")
                    }
                }
            }
        case .failure(let d):
            if json {
                printJSON(
                    .object([
                        ("ok", .bool(false)), ("jobs", .null), ("services", .null),
                        (
                            "errors",
                            .array(
                                d.all.map { e in
                                    .object([
                                        ("file", .string(e.location.file)), ("line", .int(Int64(e.location.line))),
                                        ("column", .int(Int64(e.location.column))), ("message", .string(e.message)),
                                    ])
                                })
                        ),
                    ]))
                throw ExitCode(2)
            }
            throw CLIFailure.diagnostics(d)
        }
    }
}
