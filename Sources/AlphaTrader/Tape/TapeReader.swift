public import Foundation

/// Reads a tape through a read-only memory map. `open` checks the whole file first (kinds,
/// sizes, indexes, time order, record count and checksum), so that a corrupt tape is refused
/// before a single event reaches Redis; `next()` then decodes without re-checking.
public final class TapeReader {
    public let path: String
    public let header: TapeHeader
    /// Records before the end record.
    public private(set) var count: UInt64 = 0
    private let base: UnsafeRawPointer
    private let size: Int
    private let recordsStart: Int
    private var position: Int

    public init(path: String, verify: Bool = true) throws(TapeError) {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw TapeError(path: path, offset: nil, reason: "cannot open: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw TapeError(path: path, offset: nil, reason: "cannot stat: \(String(cString: strerror(errno)))") }
        size = Int(info.st_size)
        guard size >= 12 else { throw TapeError(path: path, offset: 0, reason: "too short to be a tape (\(size) bytes)") }
        guard let mapped = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), mapped != MAP_FAILED else {
            throw TapeError(path: path, offset: nil, reason: "cannot map: \(String(cString: strerror(errno)))")
        }
        base = UnsafeRawPointer(mapped)
        madvise(mapped, size, MADV_SEQUENTIAL)
        let magic = Array(UnsafeRawBufferPointer(start: base, count: 8))
        guard magic == TapeFormat.magic else {
            munmap(mapped, size)
            throw TapeError(path: path, offset: 0, reason: "not a tape (expected the magic \"ATTAPE01\")")
        }
        let headerLength = Int(UInt32(littleEndian: base.loadUnaligned(fromByteOffset: 8, as: UInt32.self)))
        guard 12 + headerLength <= size else {
            munmap(mapped, size)
            throw TapeError(path: path, offset: 8, reason: "header of \(headerLength) bytes runs past the end of the file (\(size) bytes): truncated")
        }
        do {
            header = try JSONDecoder().decode(TapeHeader.self, from: Data(bytes: base + 12, count: headerLength))
        } catch {
            munmap(mapped, size)
            throw TapeError(path: path, offset: 12, reason: "the header is not valid JSON of a tape header: \(error)")
        }
        recordsStart = 12 + headerLength
        position = recordsStart
        guard header.format == "alphatrader-tape", header.version == 1 else {
            munmap(mapped, size)
            throw TapeError(path: path, offset: 12, reason: "format \(header.format) version \(header.version) is not alphatrader-tape version 1")
        }
        if verify {
            do { try check() } catch { munmap(mapped, size); throw error }
        }
    }

    deinit { munmap(UnsafeMutableRawPointer(mutating: base), size) }

    @inline(__always) private func load<T: FixedWidthInteger>(_ offset: Int, _: T.Type) -> T {
        T(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: T.self))
    }
    @inline(__always) private func double(_ offset: Int) -> Double { Double(bitPattern: load(offset, UInt64.self)) }

    /// Walks every record: sizes, kinds, indexes, time order, then the end record's count and
    /// checksum.
    private func check() throws(TapeError) {
        var p = recordsStart
        var h = TapeFormat.fnvOffset
        var n: UInt64 = 0
        var lastTime = Int64.min
        let symbols = header.symbols.count, exchanges = header.exchanges.count, makers = header.marketMakers.count
        while p < size {
            guard let kind = TapeFormat.Kind(rawValue: base.load(fromByteOffset: p, as: UInt8.self)) else {
                throw TapeError(
                    path: path, offset: p, reason: String(format: "unknown record kind 0x%02X (corrupt tape)", base.load(fromByteOffset: p, as: UInt8.self)))
            }
            let length = 1 + kind.payloadSize
            guard p + length <= size else {
                throw TapeError(path: path, offset: p, reason: "truncated \(kind.name) record: \(length) bytes needed, \(size - p) left")
            }
            if kind == .end {
                let expected = load(p + 1, UInt64.self), sum = load(p + 9, UInt64.self)
                guard expected == n else {
                    throw TapeError(path: path, offset: p, reason: "end record counts \(expected) records, the tape has \(n)")
                }
                guard sum == h else { throw TapeError(path: path, offset: p, reason: "checksum mismatch: the records are corrupt") }
                guard p + length == size else {
                    throw TapeError(path: path, offset: p + length, reason: "\(size - p - length) bytes after the end record")
                }
                count = n
                return
            }
            for i in p..<(p + length) { h = (h ^ UInt64(base.load(fromByteOffset: i, as: UInt8.self))) &* TapeFormat.fnvPrime }
            let time = load(p + 1, Int64.self)
            guard time >= lastTime else {
                throw TapeError(path: path, offset: p, reason: "\(kind.name) record at \(time) µs is earlier than the one before (\(lastTime) µs)")
            }
            lastTime = time
            let symbol = Int(base.load(fromByteOffset: p + 9, as: UInt8.self))
            guard symbol < symbols else {
                throw TapeError(path: path, offset: p, reason: "\(kind.name) record names symbol #\(symbol), the header lists \(symbols)")
            }
            if kind == .trade || kind == .depth {
                let exchange = Int(base.load(fromByteOffset: p + 10, as: UInt8.self))
                guard exchange < exchanges else {
                    throw TapeError(path: path, offset: p, reason: "\(kind.name) record names exchange #\(exchange), the header lists \(exchanges)")
                }
            }
            if kind == .depth {
                let maker = Int(load(p + 11, UInt16.self))
                let operation = base.load(fromByteOffset: p + 14, as: UInt8.self), side = base.load(fromByteOffset: p + 15, as: UInt8.self)
                guard maker < makers, operation <= 2, side <= 1 else {
                    throw TapeError(path: path, offset: p, reason: "depth record with market maker #\(maker), operation \(operation), side \(side) (corrupt)")
                }
            }
            p += length
            n += 1
        }
        throw TapeError(path: path, offset: size, reason: "the tape ends without its end record after \(n) records: truncated")
    }

    /// The next event, or nil at the end record. Assumes a verified tape; an unverified one
    /// (verify: false) stops with an error at the first record it cannot decode.
    public func next() throws(TapeError) -> MarketEvent? {
        let p = position
        guard p < size else { throw TapeError(path: path, offset: p, reason: "the tape ends without its end record: truncated") }
        guard let kind = TapeFormat.Kind(rawValue: base.load(fromByteOffset: p, as: UInt8.self)) else {
            throw TapeError(path: path, offset: p, reason: "unknown record kind (corrupt tape)")
        }
        guard p + 1 + kind.payloadSize <= size else {
            throw TapeError(path: path, offset: p, reason: "truncated \(kind.name) record")
        }
        if kind == .end { return nil }
        position = p + 1 + kind.payloadSize
        let time = load(p + 1, Int64.self)
        let symbol = Int(base.load(fromByteOffset: p + 9, as: UInt8.self))
        switch kind {
        case .trade:
            return .trade(
                Trade(
                    time: time, symbol: symbol, exchange: Int(base.load(fromByteOffset: p + 10, as: UInt8.self)),
                    price: double(p + 11), size: Int(load(p + 19, UInt32.self))))
        case .quote:
            return .quote(
                Quote(
                    time: time, symbol: symbol, bid: double(p + 10), ask: double(p + 18),
                    bidSize: Int(load(p + 26, UInt32.self)), askSize: Int(load(p + 30, UInt32.self))))
        case .depth:
            return .depth(
                DepthUpdate(
                    time: time, symbol: symbol, exchange: Int(base.load(fromByteOffset: p + 10, as: UInt8.self)),
                    marketMaker: Int(load(p + 11, UInt16.self)), position: Int(base.load(fromByteOffset: p + 13, as: UInt8.self)),
                    operation: DepthUpdate.Operation(rawValue: base.load(fromByteOffset: p + 14, as: UInt8.self)) ?? .update,
                    side: DepthUpdate.Side(rawValue: base.load(fromByteOffset: p + 15, as: UInt8.self)) ?? .bid,
                    price: double(p + 16), size: Int(load(p + 24, UInt32.self))))
        case .bar:
            return .bar(
                Bar(
                    time: time, symbol: symbol, open: double(p + 10), high: double(p + 18), low: double(p + 26), close: double(p + 34),
                    volume: Int(load(p + 42, UInt64.self)), wap: double(p + 50), count: Int(load(p + 58, UInt32.self))))
        case .end:
            return nil
        }
    }

    /// Time of the next event without consuming it (nil at the end).
    public func peekTime() -> Int64? {
        guard position + 9 <= size, base.load(fromByteOffset: position, as: UInt8.self) != TapeFormat.Kind.end.rawValue else { return nil }
        return load(position + 1, Int64.self)
    }

    /// Skips every event before `time` (used to join a session in the middle).
    public func skip(before time: Int64) throws(TapeError) -> Int {
        var skipped = 0
        while let t = peekTime(), t < time { _ = try next(); skipped += 1 }
        return skipped
    }
}
