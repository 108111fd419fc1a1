public import Foundation

/// SHA-1 (FIPS 180-4) and HMAC (RFC 2104), for OAuth 1.0a's HMAC-SHA1 signatures — a few dozen
/// lines instead of a cryptography package's build on a two-core machine. SHA-1 is broken for
/// collisions, not for HMAC, which is what X still requires for user-context OAuth 1.0a.
public enum SHA1 {
    public static func hash(_ message: [UInt8]) -> [UInt8] {
        var h: (UInt32, UInt32, UInt32, UInt32, UInt32) = (0x6745_2301, 0xEFCD_AB89, 0x98BA_DCFE, 0x1032_5476, 0xC3D2_E1F0)
        var data = message
        let bits = UInt64(message.count) &* 8
        data.append(0x80)
        while data.count % 64 != 56 { data.append(0) }
        for i in (0..<8).reversed() { data.append(UInt8(truncatingIfNeeded: bits >> (UInt64(i) * 8))) }
        var w = [UInt32](repeating: 0, count: 80)
        var chunk = 0
        while chunk < data.count {
            data.withUnsafeBufferPointer { d in
                for i in 0..<16 {
                    let j = chunk + i * 4
                    w[i] = UInt32(d[j]) << 24 | UInt32(d[j + 1]) << 16 | UInt32(d[j + 2]) << 8 | UInt32(d[j + 3])
                }
            }
            for i in 16..<80 {
                let x = w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]
                w[i] = x << 1 | x >> 31
            }
            var (a, b, c, d, e) = h
            for i in 0..<80 {
                let f: UInt32, k: UInt32
                switch i {
                case 0..<20: f = (b & c) | (~b & d); k = 0x5A82_7999
                case 20..<40: f = b ^ c ^ d; k = 0x6ED9_EBA1
                case 40..<60: f = (b & c) | (b & d) | (c & d); k = 0x8F1B_BCDC
                default: f = b ^ c ^ d; k = 0xCA62_C1D6
                }
                let t = (a << 5 | a >> 27) &+ f &+ e &+ k &+ w[i]
                e = d; d = c; c = b << 30 | b >> 2; b = a; a = t
            }
            h = (h.0 &+ a, h.1 &+ b, h.2 &+ c, h.3 &+ d, h.4 &+ e)
            chunk += 64
        }
        var out: [UInt8] = []
        out.reserveCapacity(20)
        for v in [h.0, h.1, h.2, h.3, h.4] { for s in [24, 16, 8, 0] { out.append(UInt8(truncatingIfNeeded: v >> UInt32(s))) } }
        return out
    }

    /// HMAC-SHA1 of `message` under `key`.
    public static func hmac(key: [UInt8], message: [UInt8]) -> [UInt8] {
        var k = key.count > 64 ? hash(key) : key
        k += [UInt8](repeating: 0, count: 64 - k.count)
        return hash(k.map { $0 ^ 0x5c } + hash(k.map { $0 ^ 0x36 } + message))
    }
}

/// OAuth 1.0a request signing, HMAC-SHA1 (RFC 5849 §3.4), as X's API v2 requires for posting on
/// a user's behalf: consumer key and secret (the app's), access token and secret (the user's).
public struct OAuth1: Sendable {
    public var consumerKey: String
    public var consumerSecret: String
    public var token: String
    public var tokenSecret: String

    public init(consumerKey: String, consumerSecret: String, token: String, tokenSecret: String) {
        self.consumerKey = consumerKey; self.consumerSecret = consumerSecret; self.token = token; self.tokenSecret = tokenSecret
    }

    /// RFC 3986 percent-encoding as OAuth wants it: every byte of the UTF-8 form except
    /// ALPHA, DIGIT, "-", ".", "_", "~" as %XX with upper-case hex.
    public static func percentEncode(_ s: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(s.utf8.count + 16)
        let hex: StaticString = "0123456789ABCDEF"
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.append(b)
            default:
                out.append(UInt8(ascii: "%"))
                out.append(hex.utf8Start[Int(b >> 4)])
                out.append(hex.utf8Start[Int(b & 15)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The signature base string: METHOD&encoded-base-URL&encoded-normalized-parameters, the
    /// parameters (query, form body, oauth_*) encoded, sorted by name then value, joined.
    public static func baseString(method: String, url: String, parameters: [(String, String)]) -> String {
        let encoded: [(name: String, value: String)] = parameters.map { (percentEncode($0.0), percentEncode($0.1)) }
        let sorted = encoded.sorted { a, b in a.name != b.name ? a.name < b.name : a.value < b.value }
        let normalized = sorted.map { p in p.name + "=" + p.value }.joined(separator: "&")
        return method.uppercased() + "&" + percentEncode(url) + "&" + percentEncode(normalized)
    }

    /// The HMAC-SHA1 signature (base64) of a base string under the two secrets.
    public static func signature(baseString: String, consumerSecret: String, tokenSecret: String) -> String {
        let key = percentEncode(consumerSecret) + "&" + percentEncode(tokenSecret)
        return Data(SHA1.hmac(key: Array(key.utf8), message: Array(baseString.utf8))).base64EncodedString()
    }

    /// The `Authorization: OAuth …` header for a request to `url` (its query, if any, is signed
    /// with `form` parameters; a JSON body is not signed, as OAuth 1.0a specifies).
    public func authorization(method: String, url: String, form: [(String, String)] = [], nonce: String, timestamp: Int) -> String {
        var oauth: [(String, String)] = [
            ("oauth_consumer_key", consumerKey), ("oauth_nonce", nonce), ("oauth_signature_method", "HMAC-SHA1"),
            ("oauth_timestamp", String(timestamp)), ("oauth_token", token), ("oauth_version", "1.0"),
        ]
        let (base, query) = OAuth1.split(url)
        let signed = OAuth1.baseString(method: method, url: base, parameters: oauth + query + form)
        oauth.append(("oauth_signature", OAuth1.signature(baseString: signed, consumerSecret: consumerSecret, tokenSecret: tokenSecret)))
        return "OAuth " + oauth.sorted { $0.0 < $1.0 }.map { "\(OAuth1.percentEncode($0.0))=\"\(OAuth1.percentEncode($0.1))\"" }.joined(separator: ", ")
    }

    /// A URL's base (scheme, lower-cased host, path; default ports dropped) and its query's
    /// parameters, decoded.
    public static func split(_ url: String) -> (base: String, query: [(String, String)]) {
        // The usual case parsed by hand (URLComponents costs more than the signature):
        // scheme://host[:port]/path without a query.
        if !url.contains("?"), let scheme = url.range(of: "://") {
            let s = url[..<scheme.lowerBound].lowercased()
            let rest = url[scheme.upperBound...]
            let slash = rest.firstIndex(of: "/") ?? rest.endIndex
            var host = rest[..<slash].lowercased()
            if (s == "https" && host.hasSuffix(":443")) || (s == "http" && host.hasSuffix(":80")) { host = String(host[..<host.lastIndex(of: ":")!]) }
            return (s + "://" + host + rest[slash...], [])
        }
        guard let c = URLComponents(string: url) else { return (url, []) }
        let scheme = (c.scheme ?? "https").lowercased()
        var base = scheme + "://" + (c.host ?? "").lowercased()
        if let port = c.port, !(scheme == "https" && port == 443) && !(scheme == "http" && port == 80) { base += ":\(port)" }
        base += c.percentEncodedPath
        let query = (c.queryItems ?? []).map { ($0.name, $0.value ?? "") }
        return (base, query)
    }

    /// A nonce: 32 random alphanumerics.
    public static func nonce() -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        return String((0..<32).map { _ in alphabet[Int.random(in: 0..<alphabet.count)] })
    }
}

/// twitter-text v3's weighted length, the rule X counts a post's 280 by: text in NFC; a code
/// point in the light ranges (Latin, general punctuation…) weighs 1, every other one 2, an emoji
/// sequence 2 in all; every URL 23 whatever its length.
public enum TweetLength {
    public static let maximum = 280
    static let light: [ClosedRange<UInt32>] = [0...4351, 8192...8205, 8208...8223, 8242...8247]
    public static let urlLength = 23

    public static func weighted(_ text: String) -> Int {
        let nfc = text.precomposedStringWithCanonicalMapping
        var total = 0
        var rest = nfc[...]
        while let url = rest.range(of: #"https?://[^\s]+"#, options: .regularExpression) {
            total += weight(rest[..<url.lowerBound]) + urlLength
            rest = rest[url.upperBound...]
        }
        return total + weight(rest)
    }

    static func weight(_ s: Substring) -> Int {
        // Plain ASCII, the usual case, weighs its length.
        if s.utf8.allSatisfy({ $0 < 0x80 }) { return s.utf8.count }
        var total = 0
        for ch in s {
            if ch.unicodeScalars.contains(where: { $0.properties.isEmojiPresentation || ($0.properties.isEmoji && $0.value > 0x2000) }) {
                total += 2
                continue
            }
            for scalar in ch.unicodeScalars {
                total += light.contains { $0.contains(scalar.value) } ? 1 : 2
            }
        }
        return total
    }
}
