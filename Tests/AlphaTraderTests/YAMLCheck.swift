import Yams

/// Parses YAML with Yams (libyaml), independently of the code that wrote it.
enum YAMLCheck {
    static func parses(_ text: String) throws -> Bool {
        guard let root = try Yams.load(yaml: text) as? [String: Any] else { return false }
        return root["symbols"] is [String: Any] && root["correlation"] is [String: Any]
    }
}
