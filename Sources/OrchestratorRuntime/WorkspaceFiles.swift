public import Foundation
public import OrchestratorCore

/// Reads the configuration file and the job files from disk — the I/O edge in front of the
/// pure `Workspace.load`.
public struct WorkspaceFiles: Sendable {
    public var configPath: String
    public var jobsDirectory: String

    public init(configPath: String = "config/config.yaml", jobsDirectory: String = "jobs") {
        self.configPath = configPath
        self.jobsDirectory = jobsDirectory
    }

    /// Loads and validates everything. A missing file or directory is a diagnostic too, so the
    /// executable has one way to report bad input.
    public func load(environment: [String: String] = ProcessInfo.processInfo.environment) -> Result<Workspace, Diagnostics> {
        let fm = FileManager.default
        let configText: String
        switch readConfig() {
        case .success(let text): configText = text
        case .failure(let d): return .failure(d)
        }
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: jobsDirectory, isDirectory: &isDirectory), isDirectory.boolValue else {
            return .failure(
                Diagnostics([Diagnostic(SourceLocation(file: jobsDirectory, line: 1, column: 1), "jobs directory does not exist (pass --jobs DIR)")]))
        }
        var files: [Workspace.SourceFile] = []
        var problems: [Diagnostic] = []
        let names = ((try? fm.contentsOfDirectory(atPath: jobsDirectory)) ?? [])
            .filter { ($0.hasSuffix(".yaml") || $0.hasSuffix(".yml")) && !$0.hasPrefix(".") }
            .sorted()
        for name in names {
            let path = jobsDirectory.hasSuffix("/") ? jobsDirectory + name : jobsDirectory + "/" + name
            if let text = try? String(contentsOfFile: path, encoding: .utf8) {
                files.append(Workspace.SourceFile(path: path, contents: text))
            } else {
                problems.append(Diagnostic(SourceLocation(file: path, line: 1, column: 1), "cannot be read as UTF-8 text"))
            }
        }
        let loaded = Workspace.load(
            config: Workspace.SourceFile(path: configPath, contents: configText),
            jobFiles: files, environment: environment)
        if problems.isEmpty { return loaded }
        if case .failure(let d) = loaded { problems += d.all }
        return .failure(Diagnostics(problems))
    }

    /// The configuration alone, for commands that need no job files.
    public func loadConfig(environment: [String: String] = ProcessInfo.processInfo.environment) -> Result<Config, Diagnostics> {
        readConfig().flatMap { Config.load($0, file: configPath, environment: environment) }
    }

    func readConfig() -> Result<String, Diagnostics> {
        if let text = try? String(contentsOfFile: configPath, encoding: .utf8) { return .success(text) }
        let reason = FileManager.default.fileExists(atPath: configPath) ? "cannot be read as UTF-8 text" : "does not exist (pass --config PATH)"
        return .failure(Diagnostics([Diagnostic(SourceLocation(file: configPath, line: 1, column: 1), "configuration file \(reason)")]))
    }
}
