import Foundation

/// `${VAR}` and `${VAR:-default}` in configuration values, from an explicit environment.
///
/// `${VAR:-default}` takes the default when VAR is unset or empty, as the shell does; `${VAR}`
/// with VAR unset is an error (a missing setting should stop the start, not run with a blank);
/// `$${` writes a literal `${`.
public enum Substitution {
    public struct Failure: Error, Equatable, Sendable {
        /// Offset in the text of the `$` that starts the bad reference.
        public let offset: Int
        public let message: String
    }

    public static func apply(_ text: String, environment: [String: String]) -> Result<String, Failure> {
        guard text.contains("$") else { return .success(text) }
        var out = ""
        let chars = Array(text)
        var i = 0
        while i < chars.count {
            if chars[i] == "$", i + 2 < chars.count, chars[i + 1] == "$", chars[i + 2] == "{" {
                out += "${"
                i += 3
                continue
            }
            guard chars[i] == "$", i + 1 < chars.count, chars[i + 1] == "{" else {
                out.append(chars[i])
                i += 1
                continue
            }
            guard let close = chars[(i + 2)...].firstIndex(of: "}") else {
                return .failure(Failure(offset: i, message: "unterminated \"${\" (write ${NAME} or ${NAME:-default})"))
            }
            let inner = String(chars[(i + 2)..<close])
            let name: String
            let fallback: String?
            if let sep = inner.range(of: ":-") {
                name = String(inner[..<sep.lowerBound])
                fallback = String(inner[sep.upperBound...])
            } else {
                name = inner
                fallback = nil
            }
            guard let first = name.first, first == "_" || first.isLetter,
                name.allSatisfy({ $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) })
            else {
                return .failure(Failure(offset: i, message: "\"${\(inner)}\" is not a variable reference (write ${NAME} or ${NAME:-default})"))
            }
            let value = environment[name]
            if let fallback {
                out += (value?.isEmpty ?? true) ? fallback : value!
            } else if let value {
                out += value
            } else {
                return .failure(Failure(offset: i, message: "environment variable \(name) is not set (set it, or write ${\(name):-default})"))
            }
            i = close + 1
        }
        return .success(out)
    }
}
