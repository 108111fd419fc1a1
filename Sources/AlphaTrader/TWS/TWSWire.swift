import Foundation

/// The TWS API's text wire format (server versions below 201): after the client's `API\0`
/// hello, every message is a big-endian u32 length and that many bytes of NUL-terminated ASCII
/// fields, the first being the message id.
public enum TWSWire {
    /// The server version the simulator answers with and the client asks for at most: the
    /// highest that both ib_async (157…178) and current ibapi (…226) speak as text (no protobuf,
    /// no errorTime), with smart depth (146), depth primary exchange (149), fractional sizes (163)
    /// and advancedOrderRejectJson (166).
    public static let serverVersion = 176
    public static let minimumVersion = 157
    /// ibapi's own bound (`MAX_MSG_LEN`): longer is garbage, not a message.
    public static let maximumLength = 0xFF_FFFF

    /// One message: length prefix and fields.
    public static func frame(_ fields: [String]) -> [UInt8] {
        var payload: [UInt8] = []
        for f in fields { payload.append(contentsOf: f.utf8); payload.append(0) }
        return length(payload.count) + payload
    }

    static func length(_ n: Int) -> [UInt8] {
        [UInt8(truncatingIfNeeded: n >> 24), UInt8(truncatingIfNeeded: n >> 16), UInt8(truncatingIfNeeded: n >> 8), UInt8(truncatingIfNeeded: n)]
    }

    /// The client's hello: `API\0` and the version range it speaks.
    public static func hello(minimum: Int = minimumVersion, maximum: Int = serverVersion) -> [UInt8] {
        let text = Array("v\(minimum)..\(maximum)".utf8)
        return Array("API".utf8) + [0] + length(text.count) + text
    }

    /// A double as TWS writes it: plain decimal text (Swift's shortest round-trip form).
    public static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) + ".0" : String(value)
    }

    /// Splits a byte stream into messages; keeps the incomplete rest for the next read.
    public struct Decoder: Sendable {
        private var buffer: [UInt8] = []
        private var start = 0
        /// Bytes consumed so far (for error messages).
        public private(set) var offset = 0
        public init() {}

        public mutating func append(_ bytes: ArraySlice<UInt8>) {
            if start > 0 && start == buffer.count {
                buffer.removeAll(keepingCapacity: true); start = 0
            } else if start > 1 << 16 {
                buffer.removeFirst(start); start = 0
            }
            buffer.append(contentsOf: bytes)
        }

        /// The next complete message's fields, nil when more bytes are needed.
        public mutating func next() throws(TWSError) -> [String]? {
            guard buffer.count - start >= 4 else { return nil }
            let n = Int(buffer[start]) << 24 | Int(buffer[start + 1]) << 16 | Int(buffer[start + 2]) << 8 | Int(buffer[start + 3])
            guard n > 0, n <= TWSWire.maximumLength else {
                throw TWSError(.protocolError, "message length \(n) at byte \(offset) is not a TWS message (garbage on the socket)")
            }
            guard buffer.count - start >= 4 + n else { return nil }
            let body = buffer[(start + 4)..<(start + 4 + n)]
            guard body.last == 0 else {
                throw TWSError(.protocolError, "message at byte \(offset) does not end with a NUL field terminator (garbage on the socket)")
            }
            var fields: [String] = []
            var fieldStart = body.startIndex
            for i in body.indices where body[i] == 0 {
                guard let text = String(validatingUTF8: body[fieldStart..<i]) else {
                    throw TWSError(.protocolError, "message at byte \(offset) holds a field that is not text")
                }
                fields.append(text)
                fieldStart = i + 1
            }
            start += 4 + n
            offset += 4 + n
            return fields
        }

        /// Bytes received but not yet a whole message.
        public var pending: Int { buffer.count - start }
    }
}

extension String {
    init?(validatingUTF8 bytes: ArraySlice<UInt8>) {
        // The standard library's validation (Foundation's String(bytes:encoding:) costs a
        // generic dispatch per field: a tenth of a backtest's time went to it).
        guard let s = String(validating: bytes, as: UTF8.self) else { return nil }
        self = s
    }
}
