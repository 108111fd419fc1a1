public import AlphaTrader
import Foundation

/// What the channel stand-ins play instead of answering normally, one per request.
public enum ChannelScenario: Sendable {
    /// The service's rate-limit reply, asking to wait this long.
    case rateLimited(seconds: Double)
    /// A server error.
    case status(Int)
    /// Accepted (the message is delivered) but the reply held this long: a client killed
    /// meanwhile never learns that it went out.
    case slow(seconds: Double)
}

/// The state a stand-in's threads and its test share.
final class StandInState<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: T
    init(_ v: T) { value = v }
    func with<R>(_ body: (inout T) -> R) -> R {
        lock.lock()
        defer { lock.unlock() }
        return body(&value)
    }
}

private func json(_ object: Any) -> [UInt8] {
    Array((try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8))
}

private func reply(_ status: Int, _ object: Any, headers: [String: String] = [:]) -> HTTPServer.Response {
    var r = HTTPServer.Response(status: status, body: json(object))
    for (k, v) in headers { r.headers[k] = v }
    return r
}

// MARK: - Discord

/// A local Discord webhook (`/api/webhooks/ID/TOKEN`): refuses what Discord refuses — an unknown
/// webhook (404, code 10015), an empty message (50006), anything over Discord's limits (400,
/// code 50035 with the field's path) — and rate-limits as scripted (429 with `retry_after`).
public final class DiscordSimulator: @unchecked Sendable {
    struct State {
        var script: [ChannelScenario] = []
        var messages: [[String: Any]] = []
        var calls = 0
        var next = 1_315_000_000_000_000_000
    }
    private let server: HTTPServer
    private let state = StandInState(State())
    public let webhookID = "1300000000000000001"
    public let token = "local-webhook-token-abcdef"

    public var webhookURL: String { "http://127.0.0.1:\(server.port)/api/webhooks/\(webhookID)/\(token)" }
    public var calls: Int { state.with { $0.calls } }
    /// The messages accepted, as sent.
    public var messages: [[String: Any]] { state.with { $0.messages } }

    public init() throws {
        let state = self.state, id = webhookID, token = self.token
        server = try HTTPServer { request in DiscordSimulator.handle(request, id: id, token: token, state: state) }
    }
    public func stop() { server.stop() }
    public func then(_ s: ChannelScenario...) { state.with { $0.script += s } }

    static func handle(_ request: HTTPServer.Request, id: String, token: String, state: StandInState<State>) -> HTTPServer.Response {
        let scripted: ChannelScenario? = state.with { s in
            s.calls += 1
            return s.script.isEmpty ? nil : s.script.removeFirst()
        }
        guard request.method == "POST", request.path == "/api/webhooks/\(id)/\(token)" else {
            return reply(404, ["message": "Unknown Webhook", "code": 10015])
        }
        switch scripted {
        case .rateLimited(let seconds)?:
            return reply(
                429, ["message": "You are being rate limited.", "retry_after": seconds, "global": false],
                headers: ["X-RateLimit-Reset-After": String(seconds), "Retry-After": String(Int(seconds.rounded(.up)))])
        case .status(let code)?: return reply(code, ["message": "Internal Server Error", "code": 0])
        case .slow?, nil: break
        }
        guard let body = (try? JSONSerialization.jsonObject(with: Data(request.body))) as? [String: Any] else {
            return reply(400, ["message": "The request body contains invalid JSON.", "code": 50109])
        }
        let content = body["content"] as? String ?? ""
        let embeds = body["embeds"] as? [[String: Any]] ?? []
        if content.isEmpty && embeds.isEmpty { return reply(400, ["message": "Cannot send an empty message", "code": 50006]) }
        func invalid(_ errors: [String: Any]) -> HTTPServer.Response { reply(400, ["code": 50035, "errors": errors, "message": "Invalid Form Body"]) }
        func tooLong(_ n: Int) -> [String: Any] {
            ["_errors": [["code": "BASE_TYPE_MAX_LENGTH", "message": "Must be \(n) or fewer in length."]]]
        }
        if content.count > 2_000 { return invalid(["content": tooLong(2_000)]) }
        if embeds.count > 10 { return invalid(["embeds": ["_errors": [["code": "BASE_TYPE_MAX_LENGTH", "message": "Must be 10 or fewer in length."]]]]) }
        var total = 0
        for (i, e) in embeds.enumerated() {
            let title = e["title"] as? String ?? "", description = e["description"] as? String ?? ""
            let fields = e["fields"] as? [[String: Any]] ?? []
            let footer = (e["footer"] as? [String: Any])?["text"] as? String ?? ""
            if title.count > 256 { return invalid(["embeds": ["\(i)": ["title": tooLong(256)]]]) }
            if description.count > 4_096 { return invalid(["embeds": ["\(i)": ["description": tooLong(4_096)]]]) }
            if fields.count > 25 { return invalid(["embeds": ["\(i)": ["fields": tooLong(25)]]]) }
            if footer.count > 2_048 { return invalid(["embeds": ["\(i)": ["footer": ["text": tooLong(2_048)]]]]) }
            total += title.count + description.count + footer.count
            for (j, f) in fields.enumerated() {
                let name = f["name"] as? String ?? "", value = f["value"] as? String ?? ""
                if name.isEmpty || name.count > 256 { return invalid(["embeds": ["\(i)": ["fields": ["\(j)": ["name": tooLong(256)]]]]]) }
                if value.isEmpty || value.count > 1_024 { return invalid(["embeds": ["\(i)": ["fields": ["\(j)": ["value": tooLong(1_024)]]]]]) }
                total += name.count + value.count
            }
        }
        if total > 6_000 {
            return invalid(["embeds": ["_errors": [["code": "MAX_EMBED_SIZE_EXCEEDED", "message": "Embed size exceeds maximum size of 6000"]]]])
        }
        let messageID: String = state.with { s in
            s.messages.append(body)
            s.next += 1
            return String(s.next)
        }
        guard request.query["wait"] == "true" else { return HTTPServer.Response(status: 204, body: []) }
        var r = reply(200, ["id": messageID, "type": 0, "channel_id": "1300000000000000002", "content": content, "embeds": embeds, "webhook_id": id])
        if case .slow(let seconds)? = scripted { r.delay = seconds }
        return r
    }
}

// MARK: - Telegram

/// A local Telegram Bot API (`/botTOKEN/sendMessage`): checks the token (401), the chat (400
/// chat not found), the length (4,096 after entities) and MarkdownV2 as Telegram parses it — a
/// reserved character not escaped, an entity not closed: 400 "can't parse entities" — and paces
/// a group at 20 messages a minute (429 with `parameters.retry_after`).
public final class TelegramSimulator: @unchecked Sendable {
    struct State {
        var script: [ChannelScenario] = []
        var texts: [String] = []
        var photos: [(bytes: Int, caption: String)] = []
        var sentAt: [Date] = []
        var calls = 0
        var next = 100
    }
    private let server: HTTPServer
    private let state = StandInState(State())
    public let token = "7000000001:AAlocal-telegram-bot-token-xyz"
    public let chatID: String

    public var baseURL: String { "http://127.0.0.1:\(server.port)" }
    public var calls: Int { state.with { $0.calls } }
    /// The texts accepted, as Telegram shows them (entities and escapes resolved).
    public var texts: [String] { state.with { $0.texts } }
    /// The photos accepted: their size and caption as shown.
    public var photos: [(bytes: Int, caption: String)] { state.with { $0.photos } }

    public init(chatID: String = "-1001234567890") throws {
        self.chatID = chatID
        let state = self.state, token = self.token
        server = try HTTPServer { request in TelegramSimulator.handle(request, token: token, chat: chatID, state: state) }
    }
    public func stop() { server.stop() }
    public func then(_ s: ChannelScenario...) { state.with { $0.script += s } }

    static func fail(_ code: Int, _ description: String, retryAfter: Int? = nil) -> HTTPServer.Response {
        var body: [String: Any] = ["ok": false, "error_code": code, "description": description]
        if let retryAfter { body["parameters"] = ["retry_after": retryAfter] }
        return reply(code, body)
    }

    static func handle(_ request: HTTPServer.Request, token: String, chat: String, state: StandInState<State>) -> HTTPServer.Response {
        let scripted: ChannelScenario? = state.with { s in
            s.calls += 1
            return s.script.isEmpty ? nil : s.script.removeFirst()
        }
        guard request.path.hasPrefix("/bot") else { return fail(404, "Not Found") }
        let rest = request.path.dropFirst(4)
        guard let slash = rest.firstIndex(of: "/"), rest[..<slash] == token else { return fail(401, "Unauthorized") }
        let method = rest[rest.index(after: slash)...]
        guard method == "sendMessage" || method == "sendPhoto" else { return fail(404, "Not Found: method not found") }
        switch scripted {
        case .rateLimited(let seconds)?: return fail(429, "Too Many Requests: retry after \(Int(seconds.rounded(.up)))", retryAfter: Int(seconds.rounded(.up)))
        case .status(let code)?: return fail(code, "Internal Server Error")
        case .slow?, nil: break
        }
        if method == "sendPhoto" { return photo(request, chat: chat, state: state) }
        guard let body = (try? JSONSerialization.jsonObject(with: Data(request.body))) as? [String: Any] else {
            return fail(400, "Bad Request: invalid JSON")
        }
        let chatValue = (body["chat_id"] as? String) ?? (body["chat_id"] as? Int).map(String.init) ?? ""
        guard chatValue == chat else { return fail(400, "Bad Request: chat not found") }
        guard let text = body["text"] as? String, !text.isEmpty else { return fail(400, "Bad Request: message text is empty") }
        var shown = text
        if body["parse_mode"] as? String == "MarkdownV2" {
            switch MarkdownV2.parse(text) {
            case .success(let plain): shown = plain
            case .failure(let why): return fail(400, "Bad Request: can't parse entities: \(why.message)")
            }
        }
        guard shown.count <= 4_096 else { return fail(400, "Bad Request: message is too long") }
        let now = Date()
        let wait: Int? = state.with { s in
            s.sentAt = s.sentAt.filter { now.timeIntervalSince($0) < 60 }
            if chat.hasPrefix("-") && s.sentAt.count >= 20 { return Int((60 - now.timeIntervalSince(s.sentAt[0])).rounded(.up)) }
            return nil
        }
        if let wait { return fail(429, "Too Many Requests: retry after \(wait)", retryAfter: wait) }
        let id: Int = state.with { s in
            s.sentAt.append(now)
            s.texts.append(shown)
            s.next += 1
            return s.next
        }
        return reply(
            200,
            [
                "ok": true,
                "result": [
                    "message_id": id, "chat": ["id": Int(chat) ?? 0, "type": chat.hasPrefix("-") ? "supergroup" : "private"],
                    "date": Int(now.timeIntervalSince1970), "text": shown,
                ],
            ])
    }
}

extension TelegramSimulator {
    /// `sendPhoto` as multipart/form-data: chat_id, a PNG photo, a caption of at most 1,024
    /// characters after MarkdownV2.
    static func photo(_ request: HTTPServer.Request, chat: String, state: StandInState<State>) -> HTTPServer.Response {
        guard let type = request.headers["content-type"], type.hasPrefix("multipart/form-data"),
            let boundary = type.components(separatedBy: "boundary=").last, !boundary.isEmpty
        else { return fail(400, "Bad Request: there is no photo in the request") }
        var fields: [String: [UInt8]] = [:]
        let delimiter = Array("--\(boundary)".utf8)
        var parts: [ArraySlice<UInt8>] = []
        var rest = request.body[...]
        while let r = rest.firstRange(of: delimiter) {
            parts.append(rest[..<r.lowerBound])
            rest = rest[r.upperBound...]
        }
        for part in parts.dropFirst() {
            guard let headEnd = part.firstRange(of: Array("\r\n\r\n".utf8)) else { continue }
            let head = String(decoding: part[..<headEnd.lowerBound], as: UTF8.self)
            guard let nameRange = head.range(of: "name=\"") else { continue }
            let name = String(head[nameRange.upperBound...].prefix { $0 != "\"" })
            var value = Array(part[headEnd.upperBound...])
            if value.suffix(2) == [13, 10] { value.removeLast(2) }
            fields[name] = value
        }
        guard fields["chat_id"].map({ String(decoding: $0, as: UTF8.self) }) == chat else { return fail(400, "Bad Request: chat not found") }
        guard let png = fields["photo"], png.starts(with: [0x89, 0x50, 0x4E, 0x47]) else {
            return fail(400, "Bad Request: IMAGE_PROCESS_FAILED")
        }
        var caption = fields["caption"].map { String(decoding: $0, as: UTF8.self) } ?? ""
        if fields["parse_mode"].map({ String(decoding: $0, as: UTF8.self) }) == "MarkdownV2" {
            switch MarkdownV2.parse(caption) {
            case .success(let plain): caption = plain
            case .failure(let why): return fail(400, "Bad Request: can't parse entities: \(why.message)")
            }
        }
        guard caption.count <= 1_024 else { return fail(400, "Bad Request: message caption is too long") }
        let id: Int = state.with { s in
            s.photos.append((png.count, caption))
            s.next += 1
            return s.next
        }
        return reply(200, ["ok": true, "result": ["message_id": id, "photo": [["file_id": "local-\(id)", "file_size": png.count]], "caption": caption]])
    }
}

/// Telegram's MarkdownV2, parsed as the Bot API does: the plain text, or why it cannot be parsed.
public enum MarkdownV2 {
    public struct Problem: Error, Equatable, Sendable {
        public let message: String
        public init(message: String) { self.message = message }
    }

    public static func parse(_ text: String) -> Result<String, Problem> {
        let chars = Array(text)
        var plain = ""
        var open: [(kind: String, offset: Int)] = []
        var i = 0
        var atLineStart = true
        func toggle(_ kind: String, _ at: Int) {
            if let k = open.lastIndex(where: { $0.kind == kind }) { open.removeSubrange(k...) } else { open.append((kind, at)) }
        }
        let reservedMessage = { (c: Character) in Problem(message: "Character '\(c)' is reserved and must be escaped with the preceding '\\'") }
        while i < chars.count {
            let c = chars[i]
            let inCode = open.last.map { $0.kind == "Code" || $0.kind == "Pre" } ?? false
            if c == "\\" {
                guard i + 1 < chars.count, let a = chars[i + 1].asciiValue, a >= 1, a <= 126 else {
                    return .failure(Problem(message: "Character '\\' is reserved and must be escaped with the preceding '\\'"))
                }
                plain.append(chars[i + 1])
                i += 2
                atLineStart = false
                continue
            }
            if inCode {
                if c == "`" {
                    let pre = i + 2 < chars.count && chars[i + 1] == "`" && chars[i + 2] == "`"
                    toggle(pre ? "Pre" : "Code", i)
                    i += pre ? 3 : 1
                } else {
                    plain.append(c)
                    i += 1
                }
                continue
            }
            switch c {
            case "*": toggle("Bold", i); i += 1
            case "_":
                if i + 1 < chars.count && chars[i + 1] == "_" { toggle("Underline", i); i += 2 } else { toggle("Italic", i); i += 1 }
            case "~": toggle("Strikethrough", i); i += 1
            case "|":
                guard i + 1 < chars.count && chars[i + 1] == "|" else { return .failure(reservedMessage(c)) }
                toggle("Spoiler", i); i += 2
            case "`":
                let pre = i + 2 < chars.count && chars[i + 1] == "`" && chars[i + 2] == "`"
                toggle(pre ? "Pre" : "Code", i)
                i += pre ? 3 : 1
            case "[": open.append(("TextUrl", i)); i += 1
            case "]":
                guard open.last?.kind == "TextUrl", i + 1 < chars.count, chars[i + 1] == "(" else { return .failure(reservedMessage(c)) }
                open.removeLast()
                guard let close = chars[(i + 2)...].firstIndex(of: ")") else {
                    return .failure(Problem(message: "Can't find end of a URL at byte offset \(i + 1)"))
                }
                i = close + 1
            case ">" where atLineStart: i += 1
            case "(", ")", "~", ">", "#", "+", "-", "=", "{", "}", ".", "!": return .failure(reservedMessage(c))
            default:
                plain.append(c)
                i += 1
            }
            atLineStart = c == "\n"
        }
        if let unclosed = open.first {
            return .failure(Problem(message: "Can't find end of \(unclosed.kind) entity at byte offset \(String(chars[..<unclosed.offset]).utf8.count)"))
        }
        return .success(plain)
    }
}

// MARK: - X

/// A local X API v2 (`POST /2/tweets`) that verifies OAuth 1.0a as X does — its own base string
/// from the request it received (method, URL, query, the `oauth_*` parameters; a JSON body is
/// not signed), the HMAC-SHA1 under the consumer and token secrets, a timestamp within 5
/// minutes, a nonce used once — and refuses a duplicate text (403), a text over 280 weighted
/// characters (400), a reply to an unknown post; rate-limits as scripted (429 with
/// `x-rate-limit-reset`).
public final class XSimulator: @unchecked Sendable {
    struct State {
        var script: [ChannelScenario] = []
        var posts: [(id: String, text: String, replyTo: String?)] = []
        var nonces: Set<String> = []
        var calls = 0
        var next = 1_866_000_000_000_000_000
    }
    private let server: HTTPServer
    private let state = StandInState(State())
    public let consumerKey = "local-consumer-key", consumerSecret = "local-consumer-secret-ä", token = "1234-local-access-token"
    public let tokenSecret = "local-token-secret"

    public var baseURL: String { "http://127.0.0.1:\(server.port)/2" }
    public var calls: Int { state.with { $0.calls } }
    public var posts: [(id: String, text: String, replyTo: String?)] { state.with { $0.posts } }
    public var signer: OAuth1 { OAuth1(consumerKey: consumerKey, consumerSecret: consumerSecret, token: token, tokenSecret: tokenSecret) }

    public init() throws {
        let state = self.state
        let keys = (consumerKey, consumerSecret, token, tokenSecret)
        server = try HTTPServer { request in XSimulator.handle(request, keys: keys, state: state) }
    }
    public func stop() { server.stop() }
    public func then(_ s: ChannelScenario...) { state.with { $0.script += s } }

    static func problem(_ status: Int, _ title: String, _ detail: String) -> HTTPServer.Response {
        reply(status, ["title": title, "type": "about:blank", "status": status, "detail": detail])
    }

    /// RFC 3986 as X's own servers apply it — written here apart from the client's encoder.
    static func encode(_ s: String) -> String {
        var out = ""
        for b in s.utf8 {
            let c = Character(Unicode.Scalar(b))
            if b < 0x80, c.isLetter || c.isNumber || "-._~".contains(c) { out.append(c) } else { out += String(format: "%%%02X", b) }
        }
        return out
    }

    static func decode(_ s: Substring) -> String { String(s).removingPercentEncoding ?? String(s) }

    static func handle(
        _ request: HTTPServer.Request, keys: (String, String, String, String), state: StandInState<State>
    ) -> HTTPServer.Response {
        let scripted: ChannelScenario? = state.with { s in
            s.calls += 1
            return s.script.isEmpty ? nil : s.script.removeFirst()
        }
        guard request.method == "POST", request.path == "/2/tweets" else { return problem(404, "Not Found Error", "Sorry, that page does not exist.") }
        // The Authorization header's parameters.
        guard let header = request.headers["authorization"], header.hasPrefix("OAuth ") else {
            return problem(401, "Unauthorized", "Unauthorized")
        }
        var oauth: [String: String] = [:]
        for part in header.dropFirst(6).split(separator: ",") {
            let kv = part.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
            guard kv.count == 2 else { continue }
            oauth[decode(kv[0])] = decode(kv[1].dropFirst().dropLast())
        }
        let required = ["oauth_consumer_key", "oauth_nonce", "oauth_signature", "oauth_signature_method", "oauth_timestamp", "oauth_token", "oauth_version"]
        guard required.allSatisfy({ oauth[$0] != nil }), oauth["oauth_signature_method"] == "HMAC-SHA1", oauth["oauth_version"] == "1.0",
            oauth["oauth_consumer_key"] == keys.0, oauth["oauth_token"] == keys.2
        else { return problem(401, "Unauthorized", "Unauthorized") }
        guard let stamp = Double(oauth["oauth_timestamp"]!), abs(stamp - Date().timeIntervalSince1970) < 300 else {
            return problem(401, "Unauthorized", "Timestamp out of bounds")
        }
        var pairs: [(name: String, value: String)] = []
        for (k, v) in oauth where k != "oauth_signature" { pairs.append((encode(k), encode(v))) }
        for (k, v) in request.query { pairs.append((encode(k), encode(v))) }
        pairs.sort { a, b in a.name == b.name ? a.value < b.value : a.name < b.name }
        let normalized = pairs.map { p in p.name + "=" + p.value }.joined(separator: "&")
        let host = (request.headers["host"] ?? "127.0.0.1").lowercased()
        let base = "POST&" + encode("http://" + host + request.path) + "&" + encode(normalized)
        let key: [UInt8] = Array((encode(keys.1) + "&" + encode(keys.3)).utf8)
        let expected = Data(SHA1.hmac(key: key, message: Array(base.utf8))).base64EncodedString()
        let given = oauth["oauth_signature"]!
        var difference: UInt8 = 0
        for (a, b) in zip(expected.utf8, given.utf8) { difference |= a ^ b }
        guard expected.utf8.count == given.utf8.count, difference == 0 else {
            return problem(401, "Unauthorized", "Could not authenticate you")
        }
        let replayed = state.with { s in !s.nonces.insert(oauth["oauth_nonce"]!).inserted }
        if replayed { return problem(401, "Unauthorized", "Nonce already used") }
        switch scripted {
        case .rateLimited(let seconds)?:
            return reply(
                429, ["title": "Too Many Requests", "detail": "Too Many Requests", "type": "about:blank", "status": 429],
                headers: ["x-rate-limit-reset": String(Int(Date().timeIntervalSince1970 + seconds.rounded(.up))), "x-rate-limit-remaining": "0"])
        case .status(let code)?: return problem(code, "Service Unavailable", "Service Unavailable")
        case .slow?, nil: break
        }
        guard let body = (try? JSONSerialization.jsonObject(with: Data(request.body))) as? [String: Any], let text = body["text"] as? String else {
            return problem(400, "Invalid Request", "One or more parameters to your request was invalid.")
        }
        if TweetLength.weighted(text) > 280 {
            return reply(
                400,
                [
                    "errors": [["parameters": ["text": [text]], "message": "Your Tweet text is too long."]], "title": "Invalid Request",
                    "detail": "One or more parameters to your request was invalid.", "type": "https://api.twitter.com/2/problems/invalid-request",
                ])
        }
        let replyTo = (body["reply"] as? [String: Any])?["in_reply_to_tweet_id"] as? String
        enum Outcome { case posted(String), duplicate, unknownReply }
        let outcome: Outcome = state.with { s in
            if s.posts.contains(where: { $0.text == text }) { return .duplicate }
            if let replyTo, !s.posts.contains(where: { $0.id == replyTo }) { return .unknownReply }
            s.next += 1
            s.posts.append((String(s.next), text, replyTo))
            return .posted(String(s.next))
        }
        switch outcome {
        case .posted(let id): return reply(201, ["data": ["id": id, "text": text, "edit_history_tweet_ids": [id]]])
        case .duplicate: return problem(403, "Forbidden", "You are not allowed to create a Tweet with duplicate content.")
        case .unknownReply: return problem(400, "Invalid Request", "The Tweet you are replying to does not exist.")
        }
    }
}
