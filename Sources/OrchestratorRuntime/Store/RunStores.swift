/// Opens the run store a configuration names: `postgres://user@host:port/db` (or
/// `postgresql://`) is PostgreSQL, anything else a SQLite file.
///
/// PostgreSQL lives in its own target (OrchestratorPostgres) behind the `PostgreSQL` package
/// trait, on by default: a build without it (`--disable-default-traits`, the README's main job,
/// which never needs it) passes no `postgres` opener and refuses such an address by name.
public enum RunStores {
    /// Opens a PostgreSQL store: its address, whether only to read, the node it writes as.
    public typealias Opener = @Sendable (_ location: String, _ readingOnly: Bool, _ node: String?) throws(StoreFailure) -> any RunStore

    /// `node`: the name this process writes as on a shared store (PostgreSQL); the host's name
    /// when nil.
    public static func open(_ location: String, readingOnly: Bool = false, node: String? = nil, postgres: Opener?) throws(StoreFailure) -> any RunStore {
        if isPostgres(location) {
            guard let postgres else {
                throw StoreFailure(
                    .invalid,
                    "\(location.split(separator: "@").last ?? ""): this build has no PostgreSQL store (built with --disable-default-traits); build it with its default traits: swift build -c release --product orchestrator"
                )
            }
            return try postgres(location, readingOnly, node)
        }
        return readingOnly ? try SQLiteRunStore(readingOnly: location) : try SQLiteRunStore(path: location)
    }

    /// Whether `location` is a PostgreSQL address rather than a SQLite file.
    public static func isPostgres(_ location: String) -> Bool { location.hasPrefix("postgres://") || location.hasPrefix("postgresql://") }
}
