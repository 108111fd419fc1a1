import OrchestratorCore

/// An error the executable reports and exits with: the text goes to stderr as it is.
struct CLIFailure: Error {
    let text: String
    let status: Int32

    /// Invalid input (exit 2), as `error: MESSAGE`.
    static func invalid(_ message: String) -> CLIFailure {
        CLIFailure(text: "error: \(message)\n", status: 2)
    }

    /// A failure that is not the input's fault (exit 1), as `error: MESSAGE`.
    static func failed(_ message: String) -> CLIFailure {
        CLIFailure(text: "error: \(message)\n", status: 1)
    }

    /// Configuration or job-file problems (exit 2), one `FILE:LINE:COL: error: MESSAGE` a line.
    static func diagnostics(_ d: Diagnostics) -> CLIFailure {
        let count = d.all.count
        return CLIFailure(text: d.description + "\n\(count) error\(count == 1 ? "" : "s")\n", status: 2)
    }
}
