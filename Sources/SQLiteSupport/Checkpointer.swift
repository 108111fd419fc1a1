import Foundation
import GRDB

/// Copies a store's write-ahead log back into the database on a thread of its own, so no writer
/// pays for it (the run store's engine, the trade journal's order path).
///
/// SQLite checkpoints in whichever connection's commit takes the log past 1,000 pages: that
/// commit then copies the pages and fsyncs the database (a few milliseconds here), and the
/// process behind it — the engine starting a slot, a service being restarted — waits. A
/// long-lived engine turns that off on its own connection and checkpoints here instead, every
/// `interval` seconds (PASSIVE: it never blocks a writer, and writers never wait for it).
/// Durability is unchanged: commits are in the log either way, and the checkpoint's fsyncs are
/// the same ones, only on another thread.
public final class Checkpointer: @unchecked Sendable {
    public init() {}

    private let condition = NSCondition()
    private var started = false
    private var stopped = false

    /// Starts the thread once; false if it already runs.
    public func start(path: String, interval: Double) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard !started else { return false }
        started = true
        let thread = Thread { [self] in run(path: path, interval: interval) }
        thread.name = "checkpoint"
        thread.start()
        return true
    }

    public func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }

    /// Waits up to `interval`; true once stopped.
    private func waitOrStop(_ interval: Double) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        if !stopped { _ = condition.wait(until: Date(timeIntervalSinceNow: interval)) }
        return stopped
    }

    private func run(path: String, interval: Double) {
        var configuration = Configuration()
        configuration.label = "checkpoint"
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = NORMAL") }
        guard let connection = try? DatabaseQueue(path: path, configuration: configuration) else { return }
        while !waitOrStop(interval) {
            // A failure (the file gone, a disk error) is the writers' to report; try again later.
            _ = try? connection.writeWithoutTransaction { db in try db.checkpoint(.passive) }
        }
    }
}
