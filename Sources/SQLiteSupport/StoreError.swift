public import GRDB

/// SQLite's failures as one line for the user, naming the file and what it holds ("the run
/// store", "the trade journal"): the same words for every store.
public enum StoreError {
    public static func describe(_ error: DatabaseError, path: String, store: String) -> String {
        switch error.resultCode {
        case .SQLITE_NOTADB: return "\(path): not an SQLite database"
        case .SQLITE_BUSY, .SQLITE_LOCKED: return "\(path): \(store) is locked by another process"
        case .SQLITE_READONLY: return "\(path): \(store) is read-only"
        case .SQLITE_CANTOPEN: return "\(path): cannot open \(store) (check the directory and permissions)"
        case .SQLITE_CORRUPT: return "\(path): \(store) is corrupt"
        default: return "\(path): \(error.message ?? "database error \(error.resultCode)")"
        }
    }
}

extension Checkpointer {
    /// Starts checkpointing `path` every `interval` seconds and turns SQLite's own checkpoints
    /// off on `writer`, the long-lived writer's connection (its commits no longer pay for them).
    public func take(over writer: any DatabaseWriter, path: String, interval: Double) {
        guard start(path: path, interval: interval) else { return }
        try? writer.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_autocheckpoint = 0") }
    }
}
