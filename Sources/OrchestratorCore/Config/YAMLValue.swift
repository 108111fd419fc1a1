import Yams

/// A parsed YAML node with its position, as a Sendable value (Yams' `Node` is not Sendable).
public struct YAMLValue: Sendable {
    public indirect enum Kind: Sendable {
        /// A scalar's text; `quoted` is true for '…', "…" and the block styles | and > (always a
        /// string, never a number).
        case scalar(String, quoted: Bool)
        case sequence([YAMLValue])
        /// Keys in file order.
        case mapping([(key: YAMLValue, value: YAMLValue)])
    }

    public let kind: Kind
    public let location: SourceLocation

    /// True for '…' and "…": the text starts one column after the node's mark.
    public let inlineQuoted: Bool

    public init(kind: Kind, location: SourceLocation, inlineQuoted: Bool = false) {
        self.kind = kind
        self.location = location
        self.inlineQuoted = inlineQuoted
    }

    /// Where the scalar's text starts (past an opening quote).
    public var textLocation: SourceLocation {
        inlineQuoted ? location.advanced(by: 1) : location
    }

    /// True for `~`, `null`, `Null`, `NULL` and an empty plain scalar.
    public var isNull: Bool {
        if case .scalar(let s, false) = kind { return s.isEmpty || s == "~" || s.lowercased() == "null" }
        return false
    }

    /// The scalar's text, or nil for a sequence or mapping.
    public var scalar: String? {
        if case .scalar(let s, _) = kind { return s }
        return nil
    }

    /// What the node is, for "expected X, found Y" messages.
    public var typeName: String {
        switch kind {
        case .sequence: return "a list"
        case .mapping: return "a mapping"
        case .scalar(let s, let quoted):
            if quoted { return "a string" }
            if isNull { return "nothing" }
            if Int(s) != nil { return "a number" }
            if ["true", "false", "yes", "no", "on", "off"].contains(s.lowercased()) { return "a boolean" }
            return "a string"
        }
    }

    /// Parses a whole file into nodes, or the parser's own diagnostic with its position.
    /// An empty file is an empty mapping.
    public static func parse(_ text: String, file: String) -> Result<YAMLValue, Diagnostic> {
        do {
            // The basic resolver leaves every scalar a string: types are decided here, where the
            // messages are, and Yams' regex-based tag resolution (most of a load's time) is skipped.
            // The encoding is given because Yams' default reads the whole environment on each call.
            guard let node = try Yams.compose(yaml: text, .basic, .default, .utf8) else {
                return .success(YAMLValue(kind: .mapping([]), location: SourceLocation(file: file, line: 1, column: 1)))
            }
            return convert(node, file: file)
        } catch let error as YamlError {
            return .failure(diagnostic(from: error, file: file))
        } catch {
            return .failure(Diagnostic(SourceLocation(file: file, line: 1, column: 1), "not valid YAML: \(error)"))
        }
    }

    static func convert(_ node: Node, file: String) -> Result<YAMLValue, Diagnostic> {
        let location =
            node.mark.map { SourceLocation(file: file, line: $0.line, column: $0.column) }
            ?? SourceLocation(file: file, line: 1, column: 1)
        switch node {
        case .scalar(let s):
            let inline = s.style == .singleQuoted || s.style == .doubleQuoted
            let quoted = inline || s.style == .literal || s.style == .folded
            return .success(YAMLValue(kind: .scalar(s.string, quoted: quoted), location: location, inlineQuoted: inline))
        case .sequence(let seq):
            var items: [YAMLValue] = []
            for item in seq {
                switch convert(item, file: file) {
                case .success(let v): items.append(v)
                case .failure(let d): return .failure(d)
                }
            }
            return .success(YAMLValue(kind: .sequence(items), location: location))
        case .mapping(let map):
            var pairs: [(key: YAMLValue, value: YAMLValue)] = []
            for (k, v) in map {
                guard case .success(let key) = convert(k, file: file) else { continue }
                switch convert(v, file: file) {
                case .success(let value): pairs.append((key, value))
                case .failure(let d): return .failure(d)
                }
            }
            return .success(YAMLValue(kind: .mapping(pairs), location: location))
        case .alias:
            return .failure(Diagnostic(location, "YAML aliases (*name) are not supported in job files; write the value out"))
        }
    }

    static func diagnostic(from error: YamlError, file: String) -> Diagnostic {
        func at(_ mark: Mark) -> SourceLocation { SourceLocation(file: file, line: mark.line, column: mark.column) }
        switch error {
        case .scanner(let context, let problem, let mark, _),
            .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            let ctx = context.map { " (\($0.text))" } ?? ""
            return Diagnostic(at(mark), "not valid YAML: \(problem)\(ctx)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            let keys = duplicates.sorted().map { "\"\($0)\"" }.joined(separator: ", ")
            return Diagnostic(at(context.mark), "duplicate key \(keys) in the same mapping")
        case .reader(let problem, let offset, _, let yaml):
            // Turn the byte offset into a line and column.
            var line = 1, column = 1
            if let offset {
                for ch in yaml.utf8.prefix(offset) {
                    if ch == UInt8(ascii: "\n") { line += 1; column = 1 } else { column += 1 }
                }
            }
            return Diagnostic(SourceLocation(file: file, line: line, column: column), "not valid YAML: \(problem)")
        default:
            return Diagnostic(SourceLocation(file: file, line: 1, column: 1), "not valid YAML: \(error)")
        }
    }
}
