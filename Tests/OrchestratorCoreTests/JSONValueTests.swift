import Testing

@testable import OrchestratorCore

@Suite("JSON output")
struct JSONValueTests {
    @Test("keys keep their order, absent values are null, seconds keep a decimal, strings are escaped")
    func serialization() {
        let doc: JSONValue = .object([
            ("job", "moc"), ("time", .null), ("duration", .number(3600)), ("ratio", .number(0.41)),
            ("attempts", .int(2)), ("ok", .bool(true)), ("log", .string("a\"b\\c\n\u{1}")), ("list", []),
        ])
        #expect(doc.serialized() == #"{"job":"moc","time":null,"duration":3600.0,"ratio":0.41,"attempts":2,"ok":true,"log":"a\"b\\c\n\u0001","list":[]}"#)
        #expect(JSONValue.number(.infinity).serialized() == "null")
    }

    @Test(
        "strings escaped as JSON wants, whatever surrounds the characters to escape",
        arguments: [
            ("plain", #""plain""#), ("", #""""#), ("é 日本 🚀", #""é 日本 🚀""#), ("\"", #""\"""#), ("end\\", #""end\\""#),
            ("tab\there", #""tab\there""#), ("\r\n", #""\r\n""#), ("x\u{1f}y", #""x\u001fy""#), ("é\"日\n", #""é\"日\n""#),
        ])
    func escapes(text: String, expected: String) {
        #expect(JSONValue.string(text).serialized() == expected)
    }
}
