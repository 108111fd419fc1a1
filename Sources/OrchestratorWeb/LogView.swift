import Foundation
public import Hummingbird
public import OrchestratorCore
public import OrchestratorRuntime

/// An attempt's log as the pages show it: only a file inside the configured logs directory is
/// ever opened (the path comes from the store, and a store is not trusted to name
/// `/etc/shadow`); the page numbers every line with its permalink (`#L120`), and a running
/// attempt's log is followed over server-sent events.
public struct LogView: Sendable {
    /// A page shows at most this much of a log (its end); the raw API gives all of it.
    public static let pageLimit = 2 << 20

    public let run: RunRecord
    public let attempt: AttemptRecord
    public let path: String

    public init(_ c: ViewContext, run id: Int64, attempt number: Int) throws(WebError) {
        let run: RunRecord?
        let attempt: AttemptRecord?
        do {
            run = try c.store.run(id)
            attempt = try c.store.attempt(run: id, number: number)
        } catch { throw .unavailable("\(error)") }
        guard let run else { throw .notFound("no run \(id)") }
        guard let attempt else { throw .notFound("run \(id) has no attempt \(number)") }
        self.run = run
        self.attempt = attempt
        path = try Self.contained(attempt.log, in: c.logs)
    }

    /// The log's real path, only if it lies inside the logs directory (symbolic links and `..`
    /// resolved first).
    static func contained(_ log: String, in root: String) throws(WebError) -> String {
        guard let base = realpath(root, nil) else { throw .notFound("the logs directory \(root) does not exist") }
        let rootPath = String(cString: base)
        free(base)
        guard let real = realpath(log, nil) else { throw .notFound("the log is missing (\(log))") }
        let resolved = String(cString: real)
        free(real)
        guard resolved.hasPrefix(rootPath.hasSuffix("/") ? rootPath : rootPath + "/") else {
            throw .forbidden("the log recorded for this attempt is outside the logs directory: not served")
        }
        return resolved
    }

    /// Up to `limit` bytes from `offset`, and the file's size then.
    static func read(_ path: String, from offset: Int, limit: Int) -> (bytes: [UInt8], size: Int)? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        let end = lseek(fd, 0, SEEK_END)
        guard end >= 0 else { return nil }
        let size = Int(end)
        let start = min(max(offset, 0), size)
        let count = min(limit, size - start)
        var bytes = [UInt8](repeating: 0, count: count)
        let got = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, count, off_t(start)) }
        guard got >= 0 else { return nil }
        bytes.removeSubrange(got...)
        return (bytes, size)
    }

    /// The log's text as the page shows it: its last `pageLimit` bytes (from a line start), the
    /// number of the first line shown, and the size read.
    func tail() -> (lines: [String], firstLine: Int, size: Int, skipped: Int) {
        guard let size = Self.read(path, from: 0, limit: 0)?.size else { return ([], 1, 0, 0) }
        var skipped = max(0, size - Self.pageLimit)
        var firstLine = 1
        if skipped > 0 {
            // Count the lines before the part shown, a chunk at a time (no copy of the whole log).
            var at = 0
            var lastBreak = -1
            while at < skipped, let (chunk, _) = Self.read(path, from: at, limit: min(1 << 20, skipped - at)), !chunk.isEmpty {
                for (i, b) in chunk.enumerated() where b == 10 {
                    firstLine += 1
                    lastBreak = at + i
                }
                at += chunk.count
            }
            // Begin at the first whole line: back to just after the last newline before `skipped`.
            if lastBreak >= 0 { skipped = lastBreak + 1 } else { skipped = 0; firstLine = 1 }
        }
        guard let (bytes, _) = Self.read(path, from: skipped, limit: size - skipped) else { return ([], 1, 0, 0) }
        var lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        return (lines, firstLine, skipped + bytes.count, skipped)
    }

    public var isRunning: Bool { attempt.outcome == .running }

    public func html(_ zone: ZoneRules) -> String {
        let id = run.id ?? 0
        let (lines, firstLine, size, skipped) = tail()
        var out = "<h1>\(Layout.jobLink(run.job)) \(Layout.runLink(run)) · attempt \(attempt.number) · log</h1>\n"
        out +=
            "<p class=\"muted\">\(HTMLText.escape(attempt.log)) · \(size) bytes · \(attempt.outcome.rawValue)"
            + " · <a href=\"/api/runs/\(id)/attempts/\(attempt.number)/log\">raw</a>"
            + (isRunning ? " · <span id=\"follow\">following: new lines appear as they are written</span>" : "") + "</p>\n"
        if skipped > 0 {
            out +=
                "<p class=\"notice\">The first \(skipped) bytes (lines 1–\(firstLine - 1)) are not shown here: <a href=\"/api/runs/\(id)/attempts/\(attempt.number)/log\">the raw log</a> has them.</p>\n"
        }
        let follow = isRunning ? " data-follow=\"/runs/\(id)/attempts/\(attempt.number)/log/events?offset=\(size)\"" : ""
        out += "<pre class=\"log\" id=\"log\"\(follow)>"
        for (i, line) in lines.enumerated() {
            let n = firstLine + i
            out += "<span class=\"l\" id=\"L\(n)\"><a href=\"#L\(n)\">\(n)</a>\(HTMLText.escape(line))\n</span>"
        }
        if lines.isEmpty && !isRunning { out += "<span class=\"l\"><a></a>(empty)\n</span>" }
        return out + "</pre>\n"
    }

    /// The log from `offset` as server-sent events: one `data:` event per line (its `id` the byte
    /// offset after it, so a reconnecting browser resumes where it was), a comment every second
    /// while nothing is written (which is also how a client that went away is noticed), and
    /// `event: end` once the attempt has ended and its last bytes are sent. Writes wait for the
    /// client (NIO's back-pressure): a client that stops reading holds one chunk, not the log.
    func events(from start: Int, store: any RunStore) -> ResponseBody {
        let path = self.path, runID = run.id ?? 0, number = attempt.number
        return ResponseBody { writer in
            var offset = start
            var pending: [UInt8] = []
            var quiet = 0
            // At once, so that the headers go out and the browser's EventSource opens now.
            try await writer.write(ByteBuffer(string: ": following\n\n"))
            while true {
                let chunk = Self.read(path, from: offset, limit: 64 << 10)?.bytes ?? []
                if !chunk.isEmpty {
                    offset += chunk.count
                    pending += chunk
                    var text = ""
                    var consumed = 0
                    while let nl = pending[consumed...].firstIndex(of: 10) {
                        text += Self.event(pending[consumed..<nl], id: offset - pending.count + nl + 1)
                        consumed = nl + 1
                    }
                    pending.removeFirst(consumed)
                    if !text.isEmpty { try await writer.write(ByteBuffer(string: text)) }
                    quiet = 0
                    if chunk.count == 64 << 10 { continue }
                }
                let ended = (try? store.attempt(run: runID, number: number)).map { $0?.outcome != .running } ?? true
                if ended && (Self.read(path, from: offset, limit: 1)?.bytes.isEmpty ?? true) {
                    var last = ""
                    if !pending.isEmpty { last = Self.event(pending[...], id: offset) }
                    try await writer.write(ByteBuffer(string: last + "event: end\ndata: ended\n\n"))
                    try await writer.finish(nil)
                    return
                }
                quiet += 1
                if quiet % 5 == 0 { try await writer.write(ByteBuffer(string: ": waiting\n\n")) }
                try await Task.sleep(for: .milliseconds(200))
            }
        }
    }

    static func event(_ line: ArraySlice<UInt8>, id: Int) -> String {
        var text = String(decoding: line, as: UTF8.self)
        text.removeAll { $0 == "\r" }
        return "id: \(id)\ndata: \(text)\n\n"
    }
}
