import AlphaTrader
import Foundation
import Testing

@Suite("SHA-1, HMAC-SHA1 and OAuth 1.0a signing by their published vectors; twitter-text's weighted length")
struct OAuth1Tests {
    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    @Test(
        "SHA-1 of FIPS 180's examples",
        arguments: [
            ("", "da39a3ee5e6b4b0d3255bfef95601890afd80709"), ("abc", "a9993e364706816aba3e25717850c26c9cd0d89d"),
            ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "84983e441c3bd26ebaae4aa1f95129e5e54670f1"),
            (String(repeating: "a", count: 1_000), "291e9a6c66994949b57ba5e650361e98fc36b1ba"),
        ])
    func sha1(_ message: String, _ digest: String) {
        #expect(Self.hex(SHA1.hash(Array(message.utf8))) == digest)
    }

    @Test("HMAC-SHA1 of RFC 2202's test cases 1, 2, 3 and 6 (a key longer than the block)")
    func hmac() {
        #expect(Self.hex(SHA1.hmac(key: [UInt8](repeating: 0x0b, count: 20), message: Array("Hi There".utf8))) == "b617318655057264e28bc0b6fb378c8ef146be00")
        #expect(Self.hex(SHA1.hmac(key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8))) == "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79")
        #expect(
            Self.hex(SHA1.hmac(key: [UInt8](repeating: 0xaa, count: 20), message: [UInt8](repeating: 0xdd, count: 50)))
                == "125d7342b9ac11cd91a39af48aa17b4f63f175d3")
        #expect(
            Self.hex(SHA1.hmac(key: [UInt8](repeating: 0xaa, count: 80), message: Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8)))
                == "aa4ae5e15272d00e95705637ce8a3b55ed402112")
    }

    @Test("X's documented example: the base string and the signature hCtSmYh+iHYCEqBWrE7C7hYmtUk=")
    func documentedSignature() {
        let parameters = [
            ("status", "Hello Ladies + Gentlemen, a signed OAuth request!"), ("include_entities", "true"),
            ("oauth_consumer_key", "xvz1evFS4wEEPTGEFPHBog"), ("oauth_nonce", "kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg"),
            ("oauth_signature_method", "HMAC-SHA1"), ("oauth_timestamp", "1318622958"),
            ("oauth_token", "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb"), ("oauth_version", "1.0"),
        ]
        let base = OAuth1.baseString(method: "post", url: "https://api.twitter.com/1.1/statuses/update.json", parameters: parameters)
        #expect(
            base
                == "POST&https%3A%2F%2Fapi.twitter.com%2F1.1%2Fstatuses%2Fupdate.json&include_entities%3Dtrue%26oauth_consumer_key%3Dxvz1evFS4wEEPTGEFPHBog%26oauth_nonce%3DkYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D1318622958%26oauth_token%3D370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb%26oauth_version%3D1.0%26status%3DHello%2520Ladies%2520%252B%2520Gentlemen%252C%2520a%2520signed%2520OAuth%2520request%2521"
        )
        #expect(
            OAuth1.signature(
                baseString: base, consumerSecret: "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw", tokenSecret: "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE")
                == "hCtSmYh+iHYCEqBWrE7C7hYmtUk=")
        // The same through the header builder, the query taken from the URL.
        let signer = OAuth1(
            consumerKey: "xvz1evFS4wEEPTGEFPHBog", consumerSecret: "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw",
            token: "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb", tokenSecret: "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE")
        let header = signer.authorization(
            method: "POST", url: "https://api.twitter.com/1.1/statuses/update.json?include_entities=true",
            form: [("status", "Hello Ladies + Gentlemen, a signed OAuth request!")], nonce: "kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg",
            timestamp: 1_318_622_958)
        #expect(header.contains("oauth_signature=\"hCtSmYh%2BiHYCEqBWrE7C7hYmtUk%3D\""))
        #expect(header.hasPrefix("OAuth oauth_consumer_key=\"xvz1evFS4wEEPTGEFPHBog\", oauth_nonce="))
    }

    @Test("RFC 3986 encoding: unreserved characters kept, every other UTF-8 byte as %XX in upper case")
    func encoding() {
        #expect(OAuth1.percentEncode("café ☕ a+b=c&d~e_f.g-h*") == "caf%C3%A9%20%E2%98%95%20a%2Bb%3Dc%26d~e_f.g-h%2A")
        #expect(OAuth1.split("HTTPS://API.X.com:443/2/tweets?b=2&a=1").base == "https://api.x.com/2/tweets")
        #expect(OAuth1.split("http://127.0.0.1:8080/2/tweets").base == "http://127.0.0.1:8080/2/tweets")
    }

    @Test(
        "twitter-text v3 weights: Latin 1, CJK and arrows 2, an emoji sequence 2, every URL 23, text in NFC",
        arguments: [
            ("hello", 5), (String(repeating: "a", count: 280), 280), ("日本語", 6), ("👍🏽", 2), ("👨‍👩‍👧", 2), ("e\u{301}", 1),
            ("see https://example.com/a/very/long/path/that/goes/on", 27), ("SPY 662.00 ↑", 13), ("—", 1),
        ])
    func weighted(_ text: String, _ length: Int) {
        #expect(TweetLength.weighted(text) == length, "\(text)")
    }
}
