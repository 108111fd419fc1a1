public import OrchestratorRuntime

/// Opens the run store a configuration names: `postgres://user@host:port/db` (or
/// `postgresql://`) is PostgreSQL, anything else a SQLite file.
public enum RunStores {
    public static func open(_ location: String, readingOnly: Bool = false) throws(StoreFailure) -> any RunStore {
        if PostgresRunStore.Address.isPostgres(location) { return try PostgresRunStore(parsing: location, readingOnly: readingOnly) }
        return readingOnly ? try SQLiteRunStore(readingOnly: location) : try SQLiteRunStore(path: location)
    }
}
