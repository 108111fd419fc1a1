/// Where a Redis server is: `redis://[[user]:password@]host[:port][/db]` (SPEC §2 `redis.url`).
///
/// The password may be a secret: `description` never shows it.
public struct RedisURL: Hashable, Sendable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var database: Int
    public var user: String?
    public var password: String?

    public init(host: String = "127.0.0.1", port: Int = 6379, database: Int = 0, user: String? = nil, password: String? = nil) {
        self.host = host
        self.port = port
        self.database = database
        self.user = user
        self.password = password
    }

    /// Why a URL is not a Redis URL (the text is not repeated: it may hold a password).
    public struct Invalid: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    public init(parsing text: String) throws(Invalid) {
        guard text.hasPrefix("redis://") else { throw Invalid(description: "a Redis URL starts with redis://") }
        var rest = Substring(text.dropFirst("redis://".count))
        var database = 0
        if let slash = rest.firstIndex(of: "/") {
            let db = rest[rest.index(after: slash)...]
            if !db.isEmpty {
                guard let n = Int(db), n >= 0 else { throw Invalid(description: "the database after '/' must be a number, not '\(db)'") }
                database = n
            }
            rest = rest[..<slash]
        }
        var user: String?, password: String?
        if let at = rest.lastIndex(of: "@") {
            let credentials = rest[..<at]
            rest = rest[rest.index(after: at)...]
            if let colon = credentials.firstIndex(of: ":") {
                let u = credentials[..<colon]
                user = u.isEmpty ? nil : String(u)
                password = String(credentials[credentials.index(after: colon)...])
            } else {
                password = String(credentials)
            }
        }
        var host = String(rest), port = 6379
        if host.hasPrefix("["), let close = host.firstIndex(of: "]") {
            // [::1]:6379
            let after = host[host.index(after: close)...]
            let inner = String(host[host.index(after: host.startIndex)..<close])
            if after.hasPrefix(":") {
                guard let p = Int(after.dropFirst()), (1...65535).contains(p) else { throw Invalid(description: "the port must be 1…65535") }
                port = p
            }
            host = inner
        } else if let colon = host.lastIndex(of: ":") {
            guard let p = Int(host[host.index(after: colon)...]), (1...65535).contains(p) else {
                throw Invalid(description: "the port must be a number 1…65535")
            }
            port = p
            host = String(host[..<colon])
        }
        if host.isEmpty { host = "127.0.0.1" }
        self.init(host: host, port: port, database: database, user: user, password: password)
    }

    public var description: String {
        let credentials = password == nil ? "" : "\(user ?? ""):***@"
        return "redis://\(credentials)\(host):\(port)/\(database)"
    }
}
