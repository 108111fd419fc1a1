public import Foundation

/// Telegram's Bot API (`{endpoints.telegram}/bot{TOKEN}/sendMessage`): MarkdownV2 text to one
/// chat, every reserved character escaped as the Bot API specifies, a text over 4,096 characters
/// split at paragraph boundaries, messages to a group paced under 20 a minute.
public final class TelegramClient: @unchecked Sendable {
    public let caller: HTTPCaller
    private let baseURL: String
    private let token: String
    public let chatID: String
    /// Seconds between two messages to this chat: 3.1 for a group (under 20 a minute), else 0.05.
    public var spacing: Double
    private var lastSent: Date?

    public init(baseURL: String, token: String, chatID: String, log: EventLog? = nil) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.token = token
        self.chatID = chatID
        spacing = chatID.hasPrefix("-") ? 3.1 : 0.05
        var policy = HTTPCaller.Policy()
        policy.timeout = 15
        policy.retries = 3
        caller = HTTPCaller(policy: policy, secrets: [token], log: log)
    }

    public static let maximumLength = 4_096

    /// The characters MarkdownV2 reserves; in text each needs a preceding backslash.
    public static let reserved: Set<Character> = ["_", "*", "[", "]", "(", ")", "~", "`", ">", "#", "+", "-", "=", "|", "{", "}", ".", "!", "\\"]

    /// `text` as MarkdownV2 plain text: every reserved character (the backslash too) escaped.
    public static func escape(_ text: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count + text.utf8.count / 8)
        // Every reserved character is ASCII: escaping works on the UTF-8 bytes.
        for b in text.utf8 {
            switch b {
            case UInt8(ascii: "_"), UInt8(ascii: "*"), UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "~"),
                UInt8(ascii: "`"), UInt8(ascii: ">"), UInt8(ascii: "#"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "="), UInt8(ascii: "|"),
                UInt8(ascii: "{"), UInt8(ascii: "}"), UInt8(ascii: "."), UInt8(ascii: "!"), UInt8(ascii: "\\"):
                out.append(UInt8(ascii: "\\"))
            default: break
            }
            out.append(b)
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Splits MarkdownV2 text into messages of at most `maximumLength` characters at paragraph
    /// boundaries (then line, then word), never inside an escape.
    public static func split(_ text: String, limit: Int = maximumLength) -> [String] {
        guard text.count > limit else { return [text] }
        var parts: [String] = []
        var current = ""
        for paragraph in text.components(separatedBy: "\n\n") {
            let candidate = current.isEmpty ? paragraph : current + "\n\n" + paragraph
            if candidate.count <= limit {
                current = candidate
                continue
            }
            if !current.isEmpty { parts.append(current) }
            current = ""
            var rest = paragraph[...]
            while rest.count > limit {
                let window = rest.prefix(limit)
                var cut = window.lastIndex(of: "\n") ?? window.lastIndex(of: " ") ?? window.endIndex
                // Never leave a trailing backslash: its character goes with it.
                if cut > rest.startIndex, rest[rest.index(before: cut)] == "\\" { cut = rest.index(before: cut) }
                parts.append(String(rest[..<cut]))
                rest = rest[cut...].drop { $0 == " " || $0 == "\n" }
            }
            current = String(rest)
        }
        if !current.isEmpty { parts.append(current) }
        return parts
    }

    /// Sends MarkdownV2 `text` (split when long); returns the message ids.
    public func send(markdown text: String) throws(HTTPCaller.Failure) -> [String] {
        var ids: [String] = []
        for part in TelegramClient.split(text) {
            if let last = lastSent {
                let wait = spacing - Date().timeIntervalSince(last)
                if wait > 0 { Thread.sleep(forTimeInterval: wait) }
            }
            let body =
                "{\"chat_id\":\(JSONText.string(chatID)),\"text\":\(JSONText.string(part)),\"parse_mode\":\"MarkdownV2\",\"link_preview_options\":{\"is_disabled\":true}}"
            let request = HTTPCaller.Request(
                method: "POST", url: "\(baseURL)/bot\(token)/sendMessage", headers: [("Content-Type", "application/json")], body: Data(body.utf8),
                label: "telegram sendMessage")
            ids.append(try caller.call(request) { TelegramClient.decide($0) })
            lastSent = Date()
        }
        return ids
    }

    /// Telegram's limit on a photo's caption, after entities.
    public static let maximumCaption = 1_024

    /// Sends a PNG chart (`sendPhoto`, multipart/form-data) with a MarkdownV2 caption of at most
    /// 1,024 characters; returns the message id.
    public func send(photo png: Data, caption: String) throws(HTTPCaller.Failure) -> String {
        guard png.starts(with: [0x89, 0x50, 0x4E, 0x47]) else {
            throw HTTPCaller.Failure(kind: .budget, label: "telegram sendPhoto", reason: "the chart is not a PNG")
        }
        guard caption.count <= TelegramClient.maximumCaption else {
            throw HTTPCaller.Failure(kind: .budget, label: "telegram sendPhoto", reason: "a caption of \(caption.count) characters (at most 1,024)")
        }
        let boundary = "alphatrader-\(UUID().uuidString)"
        var body = Data()
        func field(_ name: String, _ value: String) {
            body.append(Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8))
        }
        field("chat_id", chatID)
        field("caption", caption)
        field("parse_mode", "MarkdownV2")
        body.append(Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"chart.png\"\r\nContent-Type: image/png\r\n\r\n".utf8))
        body.append(png)
        body.append(Data("\r\n--\(boundary)--\r\n".utf8))
        let request = HTTPCaller.Request(
            method: "POST", url: "\(baseURL)/bot\(token)/sendPhoto", headers: [("Content-Type", "multipart/form-data; boundary=\(boundary)")], body: body,
            label: "telegram sendPhoto")
        return try caller.call(request) { TelegramClient.decide($0) }
    }

    static func decide(_ reply: HTTPCaller.Reply) -> HTTPCaller.Decision<String> {
        guard let body = (try? JSONSerialization.jsonObject(with: reply.body)) as? [String: Any], let ok = body["ok"] as? Bool else {
            if (500...599).contains(reply.status) { return .retry("\(reply.status) from Telegram") }
            return .fail(.malformed, "\(reply.status): the reply is not the Bot API's {\"ok\": …}")
        }
        if ok {
            guard let result = body["result"] as? [String: Any], let id = result["message_id"] as? Int else {
                return .fail(.malformed, "the reply names no message_id")
            }
            return .done(String(id))
        }
        let code = body["error_code"] as? Int ?? reply.status
        let description = body["description"] as? String ?? "no description"
        switch code {
        case 429:
            let wait = ((body["parameters"] as? [String: Any])?["retry_after"] as? Double) ?? 1
            return .retryAfter("429 \(description)", seconds: wait)
        case 401: return .fail(.refused, "401 \(description): the bot token (TELEGRAM_BOT_TOKEN) is not accepted")
        case 403: return .fail(.refused, "403 \(description): the bot cannot write to chat TELEGRAM_CHAT_ID")
        case 500...599: return .retry("\(code) \(description)")
        default: return .fail(.http, "\(code) \(description)")
        }
    }
}
