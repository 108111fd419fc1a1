public import OrchestratorRuntime

/// Opens the run store a configuration names: `postgres://user@host:port/db` (or
/// `postgresql://`) is PostgreSQL, anything else a SQLite file.
public enum RunStores {
    /// `node`: the name this process writes as on a shared store (PostgreSQL); the host's name
    /// when nil.
    public static func open(_ location: String, readingOnly: Bool = false, node: String? = nil) throws(StoreFailure) -> any RunStore {
        if PostgresRunStore.Address.isPostgres(location) { return try PostgresRunStore(parsing: location, readingOnly: readingOnly, node: node) }
        return readingOnly ? try SQLiteRunStore(readingOnly: location) : try SQLiteRunStore(path: location)
    }
}
