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
        var out = ""
        out.reserveCapacity(text.count + text.count / 8)
        for c in text {
            if reserved.contains(c) { out.append("\\") }
            out.append(c)
        }
        return out
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
