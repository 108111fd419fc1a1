public import Foundation

/// A value kept in Redis under a SPEC §7/§10 key: one definition for the process that writes it
/// and every process that reads it. Writers produce `json` (by hand where it is on a hot path:
/// ingestion writes thousands a second); readers decode with `Self.read(_:)`, which checks
/// every field's type — no `as? Double` on a dictionary.
public protocol RedisDocument: Codable, Sendable {
    /// The value as written to Redis.
    var json: String { get }
}

extension RedisDocument {
    /// The document in `text`, nil when it is absent or not this document (a reader keeps its
    /// default then: a damaged value is never half read).
    public static func read(_ text: String?) -> Self? {
        guard let text, let data = text.data(using: .utf8) else { return nil }
        return try? Document.decoder.decode(Self.self, from: data)
    }
}

/// The coders the documents share: snake_case keys, as SPEC §7 names them.
public enum Document {
    public static let decoder: JSONDecoder = {
        let d = JSONDecoder()
        d.keyDecodingStrategy = .convertFromSnakeCase
        return d
    }()

    public static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.keyEncodingStrategy = .convertToSnakeCase
        e.outputFormatting = [.sortedKeys]
        return e
    }()

    /// `value` encoded by the shared encoder (for documents off the hot path).
    public static func encode<T: Encodable>(_ value: T) -> String {
        (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}
