public import Foundation

/// Reads typed values out of `YAMLValue`s, collecting a diagnostic for every problem instead
/// of stopping at the first. Each accessor returns nil when it recorded a diagnostic.
public struct NodeReader: Sendable {
    public var diagnostics: [Diagnostic] = []

    public init() {}

    public mutating func error(_ at: SourceLocation, _ message: String) {
        diagnostics.append(Diagnostic(at, message))
    }

    /// The pairs of a mapping whose keys are all allowed; unknown keys are reported with a
    /// did-you-mean and left out.
    public mutating func mapping(_ node: YAMLValue, _ what: String, allowed: [String]? = nil) -> [(key: String, keyAt: SourceLocation, value: YAMLValue)]? {
        guard case .mapping(let pairs) = node.kind else {
            if node.isNull { return [] }
            error(node.location, "\(what) must be a mapping, found \(node.typeName)")
            return nil
        }
        var result: [(String, SourceLocation, YAMLValue)] = []
        for (k, v) in pairs {
            guard let key = k.scalar else {
                error(k.location, "keys of \(what) must be plain names")
                continue
            }
            if let allowed, !allowed.contains(key) {
                error(k.location, "unknown key \"\(key)\" in \(what)\(Suggestion.hint(for: key, in: allowed))")
                continue
            }
            result.append((key, k.location, v))
        }
        return result
    }

    /// The one pair whose key is among `keys` (a schedule's form, a health check's probe); none
    /// or several is an error.
    public mutating func exactlyOne(
        of keys: [String], in pairs: [(key: String, keyAt: SourceLocation, value: YAMLValue)],
        at: SourceLocation, _ what: String, _ noun: String
    ) -> (key: String, keyAt: SourceLocation, value: YAMLValue)? {
        let found = pairs.filter { keys.contains($0.key) }
        guard found.count == 1 else {
            if found.isEmpty {
                let names = keys.map { $0 + ":" }
                error(at, "\(what) needs one of \(names.dropLast().joined(separator: ", ")) or \(names.last!)")
            } else {
                error(found[1].keyAt, "\(what) has both \(found[0].key): and \(found[1].key):; use one \(noun)")
            }
            return nil
        }
        return found[0]
    }

    public mutating func string(_ node: YAMLValue, _ what: String) -> String? {
        guard case .scalar(let s, _) = node.kind, !node.isNull else {
            error(node.location, "\(what) must be a string, found \(node.typeName)")
            return nil
        }
        return s
    }

    public mutating func nonEmptyString(_ node: YAMLValue, _ what: String) -> String? {
        guard let s = string(node, what) else { return nil }
        guard s.contains(where: { !$0.isWhitespace }) else {
            error(node.location, "\(what) must not be empty")
            return nil
        }
        return s
    }

    public mutating func int(_ node: YAMLValue, _ what: String, min: Int? = nil) -> Int? {
        guard case .scalar(let s, false) = node.kind, let n = Int(s) else {
            error(node.location, "\(what) must be a whole number, found \(node.typeName)\(node.scalar.map { " \"\($0)\"" } ?? "")")
            return nil
        }
        if let min, n < min {
            error(node.location, "\(what) must be at least \(min), found \(n)")
            return nil
        }
        return n
    }

    /// A number (an integer or a decimal), within `range` when one is given.
    public mutating func number(_ node: YAMLValue, _ what: String, in range: ClosedRange<Double>? = nil) -> Double? {
        guard case .scalar(let s, false) = node.kind, let n = Double(s), n.isFinite else {
            error(node.location, "\(what) must be a number, found \(node.typeName)\(node.scalar.map { " \"\($0)\"" } ?? "")")
            return nil
        }
        if let range, !range.contains(n) {
            func text(_ x: Double) -> String { x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : String(x) }
            error(node.textLocation, "\(what) must be between \(text(range.lowerBound)) and \(text(range.upperBound)), found \(s)")
            return nil
        }
        return n
    }

    /// true or false.
    public mutating func bool(_ node: YAMLValue, _ what: String) -> Bool? {
        guard case .scalar(let s, false) = node.kind, ["true", "false"].contains(s) else {
            error(node.location, "\(what) must be true or false, found \(node.typeName)\(node.scalar.map { " \"\($0)\"" } ?? "")")
            return nil
        }
        return s == "true"
    }

    public mutating func stringList(_ node: YAMLValue, _ what: String) -> [(String, SourceLocation)]? {
        guard case .sequence(let items) = node.kind else {
            error(node.location, "\(what) must be a list, found \(node.typeName)")
            return nil
        }
        var result: [(String, SourceLocation)] = []
        for item in items {
            if let s = nonEmptyString(item, "each entry of \(what)") { result.append((s, item.textLocation)) }
        }
        return result.count == items.count ? result : nil
    }

    public mutating func duration(_ node: YAMLValue, _ what: String, allowNegative: Bool = false) -> TimeSpan? {
        guard case .scalar(let s, _) = node.kind, !node.isNull else {
            error(node.location, "\(what) must be a duration such as 10s, 15m or 1h30m, found \(node.typeName)")
            return nil
        }
        do {
            let span = try TimeSpan(parsing: s)
            if span.isNegative && !allowNegative {
                error(node.textLocation, "\(what) must not be negative, found \"\(s)\"")
                return nil
            }
            return span
        } catch {
            self.error(node.textLocation, "\(what): \(error)")
            return nil
        }
    }

    public mutating func choice<T: RawRepresentable & CaseIterable>(_ node: YAMLValue, _ what: String, _: T.Type) -> T? where T.RawValue == String {
        guard let s = string(node, what) else { return nil }
        if let v = T(rawValue: s) { return v }
        let options = T.allCases.map(\.rawValue)
        error(node.textLocation, "\(what) must be one of \(options.joined(separator: ", ")), found \"\(s)\"\(Suggestion.hint(for: s, in: options))")
        return nil
    }

    public mutating func timeZone(_ node: YAMLValue, _ what: String) -> TimeZone? {
        guard let s = string(node, what) else { return nil }
        guard let tz = TimeZone(identifier: s) else {
            error(node.textLocation, "\(what): unknown time zone \"\(s)\" (use an IANA name such as America/New_York)")
            return nil
        }
        return tz
    }

    public mutating func timeOfDay(_ node: YAMLValue, _ what: String) -> TimeOfDay? {
        guard let s = string(node, what) else { return nil }
        guard let t = TimeOfDay(parsing: s) else {
            error(node.textLocation, "\(what) must be a time of day such as \"17:00\", found \"\(s)\"")
            return nil
        }
        return t
    }
}
