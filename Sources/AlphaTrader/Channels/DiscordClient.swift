public import Foundation

/// A Discord webhook (`endpoints.discord`): messages of embeds, posted with `?wait=true` so that
/// Discord answers with the message it created. Discord's limits are enforced before sending
/// (`DiscordMessage.problems`), so what Discord would refuse is never sent.
public final class DiscordClient: @unchecked Sendable {
    public let caller: HTTPCaller
    private let webhook: String

    public init(webhook: String, log: EventLog? = nil) {
        self.webhook = webhook
        var policy = HTTPCaller.Policy()
        policy.timeout = 15
        policy.retries = 3
        caller = HTTPCaller(policy: policy, secrets: [webhook, DiscordClient.token(of: webhook)].compactMap { $0 }, log: log)
    }

    /// The webhook's token (its URL's last part): a secret, never in a message.
    static func token(of url: String) -> String? {
        let parts = url.split(separator: "?")[0].split(separator: "/")
        return parts.count >= 2 ? String(parts[parts.count - 1]) : nil
    }

    /// Posts one message; returns the id Discord gave it.
    public func send(_ message: DiscordMessage) throws(HTTPCaller.Failure) -> String {
        let problems = message.problems()
        guard problems.isEmpty else {
            throw HTTPCaller.Failure(kind: .budget, label: "discord", reason: "over Discord's limits: " + problems.joined(separator: "; "))
        }
        let url = webhook + (webhook.contains("?") ? "&" : "?") + "wait=true"
        let request = HTTPCaller.Request(
            method: "POST", url: url, headers: [("Content-Type", "application/json")], body: Data(message.json.utf8), label: "discord webhook")
        return try caller.call(request) { DiscordClient.decide($0) }
    }

    /// Posts a message already rendered and checked (its JSON body, as the outbox keeps it).
    public func send(json: String) throws(HTTPCaller.Failure) -> String {
        let url = webhook + (webhook.contains("?") ? "&" : "?") + "wait=true"
        let request = HTTPCaller.Request(
            method: "POST", url: url, headers: [("Content-Type", "application/json")], body: Data(json.utf8), label: "discord webhook")
        return try caller.call(request) { DiscordClient.decide($0) }
    }

    public static func decide(_ reply: HTTPCaller.Reply) -> HTTPCaller.Decision<String> {
        let body = (try? JSONSerialization.jsonObject(with: reply.body)) as? [String: Any] ?? [:]
        switch reply.status {
        case 200:
            guard let id = body["id"] as? String else { return .fail(.malformed, "the reply names no message id") }
            return .done(id)
        case 204: return .done("")
        case 429:
            let wait = (body["retry_after"] as? Double) ?? reply.headers["x-ratelimit-reset-after"].flatMap(Double.init) ?? 1
            return .retryAfter("429 rate limited\((body["global"] as? Bool) == true ? " (global)" : "")", seconds: wait)
        case 400:
            let code = body["code"] as? Int
            let paths = errorPaths(body["errors"], prefix: "").joined(separator: "; ")
            return .fail(.http, "400 \(body["message"] as? String ?? "Bad Request")\(code.map { " (code \($0))" } ?? "")\(paths.isEmpty ? "" : ": " + paths)")
        case 401, 403: return .fail(.refused, "\(reply.status) \(body["message"] as? String ?? "refused"): the webhook's token is not accepted")
        case 404:
            return .fail(
                .refused,
                "404 \(body["message"] as? String ?? "Unknown Webhook"): the webhook was deleted or the URL is wrong — the Discord channel is disabled until endpoints.discord (DISCORD_WEBHOOK_URL) names a live webhook"
            )
        case 500...599: return .retry("\(reply.status) from Discord")
        default: return .fail(.http, "\(reply.status) \(body["message"] as? String ?? "")")
        }
    }

    /// Discord's form errors as `embeds.0.description: Must be 4096 or fewer in length.`
    static func errorPaths(_ node: Any?, prefix: String) -> [String] {
        guard let object = node as? [String: Any] else { return [] }
        var out: [String] = []
        if let errors = object["_errors"] as? [[String: Any]] {
            for e in errors { out.append("\(prefix): \(e["message"] as? String ?? e["code"] as? String ?? "invalid")") }
        }
        for (key, value) in object.sorted(by: { $0.key < $1.key }) where key != "_errors" {
            out += errorPaths(value, prefix: prefix.isEmpty ? key : prefix + "." + key)
        }
        return out
    }
}

/// A webhook message: content and embeds within Discord's limits.
public struct DiscordMessage: Sendable, Equatable {
    public struct Field: Sendable, Equatable {
        public var name: String, value: String, inline: Bool
        public init(name: String, value: String, inline: Bool = false) { self.name = name; self.value = value; self.inline = inline }
    }
    public struct Embed: Sendable, Equatable {
        public var title: String
        public var description: String
        public var color: Int
        public var fields: [Field]
        public var footer: String?
        public init(title: String, description: String, color: Int = 0x5f6368, fields: [Field] = [], footer: String? = nil) {
            self.title = title; self.description = description; self.color = color; self.fields = fields; self.footer = footer
        }
        /// The characters Discord counts toward a message's 6,000.
        var characters: Int { title.count + description.count + fields.reduce(0) { $0 + $1.name.count + $1.value.count } + (footer?.count ?? 0) }
    }

    public var content: String
    public var embeds: [Embed]
    public init(content: String = "", embeds: [Embed]) { self.content = content; self.embeds = embeds }

    public static let limits = (
        content: 2_000, embeds: 10, title: 256, description: 4_096, fields: 25, fieldName: 256, fieldValue: 1_024, footer: 2_048, total: 6_000
    )

    /// What Discord would refuse, each with its place.
    public func problems() -> [String] {
        let l = DiscordMessage.limits
        var out: [String] = []
        if content.count > l.content { out.append("content: \(content.count) characters (at most \(l.content))") }
        if embeds.count > l.embeds { out.append("\(embeds.count) embeds (at most \(l.embeds))") }
        if content.isEmpty && embeds.isEmpty { out.append("an empty message") }
        for (i, e) in embeds.enumerated() {
            if e.title.count > l.title { out.append("embeds.\(i).title: \(e.title.count) characters (at most \(l.title))") }
            if e.description.count > l.description { out.append("embeds.\(i).description: \(e.description.count) characters (at most \(l.description))") }
            if e.fields.count > l.fields { out.append("embeds.\(i).fields: \(e.fields.count) (at most \(l.fields))") }
            for (j, f) in e.fields.enumerated() {
                if f.name.isEmpty || f.name.count > l.fieldName { out.append("embeds.\(i).fields.\(j).name: \(f.name.count) characters (1…\(l.fieldName))") }
                if f.value.isEmpty || f.value.count > l.fieldValue {
                    out.append("embeds.\(i).fields.\(j).value: \(f.value.count) characters (1…\(l.fieldValue))")
                }
            }
            if let footer = e.footer, footer.count > l.footer { out.append("embeds.\(i).footer.text: \(footer.count) characters (at most \(l.footer))") }
        }
        let total = embeds.reduce(0) { $0 + $1.characters }
        if total > l.total { out.append("the embeds hold \(total) characters (at most \(l.total) in a message)") }
        return out
    }

    public var json: String {
        let embedsJSON = embeds.map { e in
            var fields: [String] = ["\"title\":\(JSONText.string(e.title))", "\"description\":\(JSONText.string(e.description))", "\"color\":\(e.color)"]
            if !e.fields.isEmpty {
                fields.append(
                    "\"fields\":["
                        + e.fields.map { "{\"name\":\(JSONText.string($0.name)),\"value\":\(JSONText.string($0.value)),\"inline\":\($0.inline)}" }.joined(
                            separator: ",") + "]")
            }
            if let footer = e.footer { fields.append("\"footer\":{\"text\":\(JSONText.string(footer))}") }
            return "{" + fields.joined(separator: ",") + "}"
        }
        return "{\"content\":\(JSONText.string(content)),\"embeds\":[\(embedsJSON.joined(separator: ","))],\"allowed_mentions\":{\"parse\":[]}}"
    }
}
