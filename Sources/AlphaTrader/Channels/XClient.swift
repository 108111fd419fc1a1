public import Foundation

/// X's API v2 (`POST {endpoints.x}/tweets`), signed with OAuth 1.0a in user context — an
/// app-only bearer token cannot post. A text is held to twitter-text's 280 weighted characters
/// before sending; a longer one goes as a thread, each post a reply to the one before.
public final class XClient: @unchecked Sendable {
    public let caller: HTTPCaller
    private let baseURL: String
    private let signer: OAuth1

    public init(baseURL: String, signer: OAuth1, log: EventLog? = nil) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.signer = signer
        var policy = HTTPCaller.Policy()
        policy.timeout = 15
        policy.retries = 3
        caller = HTTPCaller(policy: policy, secrets: [signer.consumerSecret, signer.tokenSecret, signer.token, signer.consumerKey], log: log)
    }

    /// Splits `text` into posts of at most 280 weighted characters at paragraph, then sentence,
    /// then word boundaries, numbered "1/3" when there are several.
    public static func thread(_ text: String) -> [String] {
        if TweetLength.weighted(text) <= TweetLength.maximum { return [text] }
        let nfc = text.precomposedStringWithCanonicalMapping
        let words = nfc.replacingOccurrences(of: "\n\n", with: "\n\n ").split(separator: " ", omittingEmptySubsequences: false).map(String.init)
        var posts: [String] = []
        var current = "", weight = 0
        let room = TweetLength.maximum - 8  // " 10/12" and a margin
        // Weighed word by word (a word is a URL or its characters; a space weighs 1).
        for word in words {
            let w = word.hasPrefix("http://") || word.hasPrefix("https://") ? TweetLength.urlLength : TweetLength.weight(word[...])
            let added = current.isEmpty ? w : weight + 1 + w
            if added <= room {
                current = current.isEmpty ? word : current + " " + word
                weight = added
            } else {
                if !current.isEmpty { posts.append(current.trimmingCharacters(in: .whitespacesAndNewlines)) }
                current = word
                weight = w
            }
        }
        if !current.isEmpty { posts.append(current.trimmingCharacters(in: .whitespacesAndNewlines)) }
        return posts.enumerated().map { "\($0.element) \($0.offset + 1)/\(posts.count)" }
    }

    /// Posts `text` (as a thread when long); returns the posts' ids — nil for one X already had
    /// (403 duplicate content: posted before, by an earlier try).
    public func post(_ text: String) throws(HTTPCaller.Failure) -> [String?] {
        var ids: [String?] = []
        var previous: String?
        for part in XClient.thread(text) {
            guard TweetLength.weighted(part) <= TweetLength.maximum else {
                throw HTTPCaller.Failure(kind: .budget, label: "x", reason: "a post of \(TweetLength.weighted(part)) weighted characters (at most 280)")
            }
            var body = "{\"text\":\(JSONText.string(part))"
            if let previous { body += ",\"reply\":{\"in_reply_to_tweet_id\":\(JSONText.string(previous))}" }
            body += "}"
            let url = baseURL + "/tweets"
            let signer = self.signer
            let request = HTTPCaller.Request(
                method: "POST", url: url, headers: [("Content-Type", "application/json")], body: Data(body.utf8), label: "x tweets")
            // Each attempt is signed afresh: a nonce is good for one request.
            let id = try caller.call(
                request,
                sign: { r in
                    var r = r
                    r.headers.append(
                        ("Authorization", signer.authorization(method: "POST", url: url, nonce: OAuth1.nonce(), timestamp: Int(Date().timeIntervalSince1970))))
                    return r
                }
            ) { XClient.decide($0, maximumWait: self.caller.policy.maximumRetryAfter) }
            ids.append(id)
            previous = id ?? previous
        }
        return ids
    }

    static func decide(_ reply: HTTPCaller.Reply, maximumWait: Double, now: Date = Date()) -> HTTPCaller.Decision<String?> {
        let body = (try? JSONSerialization.jsonObject(with: reply.body)) as? [String: Any] ?? [:]
        let detail = body["detail"] as? String ?? body["title"] as? String ?? ""
        switch reply.status {
        case 200, 201:
            guard let data = body["data"] as? [String: Any], let id = data["id"] as? String else { return .fail(.malformed, "the reply names no post id") }
            return .done(id)
        case 403 where detail.lowercased().contains("duplicate"): return .done(nil)
        case 429:
            let reset = reply.headers["x-rate-limit-reset"].flatMap(Double.init).map { $0 - now.timeIntervalSince1970 } ?? 60
            if reset > maximumWait {
                return .fail(.exhausted, String(format: "429 rate limited: the limit resets in %.0f s, longer than this post waits", reset))
            }
            return .retryAfter("429 rate limited", seconds: max(0, reset))
        case 401:
            return .fail(
                .refused, "401 \(detail): the OAuth 1.0a keys or signature were not accepted (X_API_KEY, X_API_SECRET, X_ACCESS_TOKEN, X_ACCESS_SECRET)")
        case 403: return .fail(.refused, "403 \(detail)")
        case 500...599: return .retry("\(reply.status) from X")
        default: return .fail(.http, "\(reply.status) \(detail)")
        }
    }
}
