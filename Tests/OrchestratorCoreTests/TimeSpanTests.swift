import Testing

@testable import OrchestratorCore

@Suite("Durations")
struct TimeSpanTests {
    @Test(
        "valid durations parse to exact milliseconds",
        arguments: [
            ("500ms", Int64(500)), ("10s", 10_000), ("15m", 900_000), ("2h", 7_200_000), ("1d", 86_400_000),
            ("1h30m", 5_400_000), ("1d2h3m4s5ms", 93_784_005), ("-15m", -900_000), ("0s", 0), ("+5m", 300_000),
        ])
    func parses(text: String, ms: Int64) throws {
        #expect(try TimeSpan(parsing: text).milliseconds == ms)
    }

    @Test(
        "anything else is an error that quotes the text",
        arguments: [
            "", "15", "m", "15 m", "1.5h", "10x", "30m1h", "1h1h", "--5m", "5m-", "1hm", "15min", "99999999999999s", "999999999999d", "106751991168d", "36501d",
            "100000000000d999999999999h",
        ])
    func rejects(text: String) {
        #expect(throws: TimeSpan.ParseError.self) { try TimeSpan(parsing: text) }
        do {
            _ = try TimeSpan(parsing: text)
        } catch {
            #expect(error.description.contains("\"\(text)\""))
        }
    }

    @Test("a duration prints as the shortest text that parses back", arguments: ["500ms", "10s", "1h30m", "-15m", "1d", "2m5s"])
    func roundTrips(text: String) throws {
        #expect(try TimeSpan(parsing: text).description == text)
    }
}
