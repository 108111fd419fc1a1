import Testing

@testable import AlphaTrader

@Suite("JSON written as bytes on the feed's hot path")
struct JSONBytesTests {
    @Test(
        "numbers read exactly as Swift prints them: prices by integer arithmetic, the rest as before",
        arguments: [
            663.02, 0.1, 0.3, -12.3456, 100.5, 0.0001, 1e-5, 123456789.1234, 999999999.99, 1e9 + 0.5, 2.675,
            1.23456, 42, -7, 0, 1e20, 3.14159265358979, -0.05, 5e-324,
        ])
    func numbersMatchSwift(value: Double) {
        var json = JSONBytes(capacity: 32)
        json.number(value)
        let expected = value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
        #expect(String(decoding: json.bytes, as: UTF8.self) == expected)
    }

    @Test("what JSON cannot hold is null; integers and quoted names are written as they are")
    func specialValues() {
        var json = JSONBytes(capacity: 32)
        json.number(.nan); json.raw(","); json.number(.infinity); json.raw(",")
        json.int(Int.min); json.raw(","); json.encoded(JSONBytes.quoted("a\"b"))
        #expect(String(decoding: json.bytes, as: UTF8.self) == "null,null,-9223372036854775808,\"a\\\"b\"")
    }
}
