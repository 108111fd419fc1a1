/// One problem found in the configuration or the job files, with where it is.
public struct Diagnostic: Hashable, Comparable, Sendable, CustomStringConvertible, Error {
    public let location: SourceLocation
    public let message: String

    public init(_ location: SourceLocation, _ message: String) {
        self.location = location
        self.message = message
    }

    /// `FILE:LINE:COL: error: MESSAGE`, the form editors jump to.
    public var description: String { "\(location): error: \(message)" }

    public static func < (a: Diagnostic, b: Diagnostic) -> Bool {
        (a.location, a.message) < (b.location, b.message)
    }
}

/// The diagnostics of a load that failed; the executable prints them and exits 2.
public struct Diagnostics: Error, Sendable, CustomStringConvertible {
    public let all: [Diagnostic]
    public init(_ all: [Diagnostic]) { self.all = all.sorted() }
    public var description: String { all.map(\.description).joined(separator: "\n") }
}
