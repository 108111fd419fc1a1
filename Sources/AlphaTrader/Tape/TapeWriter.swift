public import Foundation

/// Writes a tape to a temporary file next to its destination and renames it into place when
/// `finish()` succeeds, so that a reader never sees half a tape.
public final class TapeWriter {
    public let path: String
    private let temporaryPath: String
    private let fd: Int32
    private var buffer: [UInt8] = []
    private var checksum = TapeFormat.fnvOffset
    private var finished = false
    public private(set) var count: UInt64 = 0

    public init(path: String, header: TapeHeader) throws(TapeError) {
        self.path = path
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty { try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        temporaryPath = path + ".partial-\(getpid())"
        fd = open(temporaryPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw TapeError(path: path, offset: nil, reason: "cannot create: \(String(cString: strerror(errno)))") }
        buffer.reserveCapacity(1 << 20)
        buffer.append(contentsOf: TapeFormat.magic)
        let json: Data
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            json = try encoder.encode(header)
        } catch { throw TapeError(path: path, offset: nil, reason: "cannot encode the header: \(error)") }
        append(UInt32(json.count))
        buffer.append(contentsOf: json)
    }

    deinit {
        if !finished { close(fd); unlink(temporaryPath) }
    }

    @inline(__always) private func append<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { buffer.append(contentsOf: $0) }
    }
    @inline(__always) private func append(_ value: Double) { append(value.bitPattern) }

    /// Appends one event (in time order: the caller's duty, checked by the reader).
    public func write(_ event: MarketEvent) throws(TapeError) {
        let start = buffer.count
        switch event {
        case .trade(let t):
            buffer.append(TapeFormat.Kind.trade.rawValue)
            append(t.time); buffer.append(UInt8(t.symbol)); buffer.append(UInt8(t.exchange))
            append(t.price); append(UInt32(clamping: t.size))
        case .quote(let q):
            buffer.append(TapeFormat.Kind.quote.rawValue)
            append(q.time); buffer.append(UInt8(q.symbol)); append(q.bid); append(q.ask)
            append(UInt32(clamping: q.bidSize)); append(UInt32(clamping: q.askSize))
        case .depth(let d):
            buffer.append(TapeFormat.Kind.depth.rawValue)
            append(d.time); buffer.append(UInt8(d.symbol)); buffer.append(UInt8(d.exchange)); append(UInt16(d.marketMaker))
            buffer.append(UInt8(d.position)); buffer.append(d.operation.rawValue); buffer.append(d.side.rawValue)
            append(d.price); append(UInt32(clamping: d.size))
        case .bar(let b):
            buffer.append(TapeFormat.Kind.bar.rawValue)
            append(b.time); buffer.append(UInt8(b.symbol))
            append(b.open); append(b.high); append(b.low); append(b.close)
            append(UInt64(clamping: b.volume)); append(b.wap); append(UInt32(clamping: b.count))
        }
        var h = checksum
        for i in start..<buffer.count { h = (h ^ UInt64(buffer[i])) &* TapeFormat.fnvPrime }
        checksum = h
        count += 1
        if buffer.count >= 1 << 20 { try flush() }
    }

    private func flush() throws(TapeError) {
        var offset = 0
        while offset < buffer.count {
            let n = buffer.withUnsafeBytes { Foundation.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                throw TapeError(path: path, offset: nil, reason: "cannot write: \(String(cString: strerror(errno)))")
            }
            offset += n
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Writes the end record, syncs and renames the file into place.
    public func finish() throws(TapeError) {
        buffer.append(TapeFormat.Kind.end.rawValue)
        append(count)
        append(checksum)
        try flush()
        guard fsync(fd) == 0, close(fd) == 0 else {
            throw TapeError(path: path, offset: nil, reason: "cannot sync: \(String(cString: strerror(errno)))")
        }
        guard rename(temporaryPath, path) == 0 else {
            throw TapeError(path: path, offset: nil, reason: "cannot rename into place: \(String(cString: strerror(errno)))")
        }
        finished = true
    }
}
