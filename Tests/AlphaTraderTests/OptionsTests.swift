import AlphaTrader
import Foundation
import Testing

@Suite("Options chains: parsing, validation, GEX and DEX")
struct OptionsTests {
    func contract(
        _ kind: OptionContract.Kind, strike: Double, gamma: Double, delta: Double, oi: Double, mark: Double = 1, expiry: String = "2026-11-27"
    ) -> OptionContract {
        var c = OptionContract()
        c.contractID = "T\(kind)\(strike)"; c.kind = kind; c.strike = strike; c.gamma = gamma; c.delta = delta; c.openInterest = oi
        c.iv = 0.2; c.mark = mark; c.bid = mark - 0.01; c.ask = mark + 0.01; c.expiration = expiry; c.theta = -0.05
        return c
    }

    @Test("GEX and DEX by hand: dealers long calls and short puts, per 1 % move, flip between strikes")
    func exposureByHand() {
        let chain = [
            contract(.call, strike: 100, gamma: 0.05, delta: 0.5, oi: 1_000),
            contract(.put, strike: 95, gamma: 0.04, delta: -0.3, oi: 2_000),
            contract(.call, strike: 105, gamma: 0.03, delta: 0.25, oi: 2_000),
        ]
        let e = Exposure.compute(chain, spot: 100)
        // Γ·OI·100·S²·0.01: 0.05·1000·100·100 = 500 000; −0.04·2000·100·100 = −800 000; 0.03·2000·100·100 = 600 000
        #expect(e.byStrike.map(\.strike) == [95, 100, 105])
        #expect(e.byStrike.map(\.gex) == [-800_000, 500_000, 600_000])
        #expect(e.totalGEX == 300_000)
        // Cumulative −800k, −300k, +300k: zero halfway from 100 to 105.
        #expect(e.flip == 102.5)
        // ±Δ·OI·100·S: 0.5·1000·100·100 = 5 M; −(−0.3)·2000·100·100 = 6 M; 0.25·2000·100·100 = 5 M
        #expect(e.byStrike.map(\.dex) == [6_000_000, 5_000_000, 5_000_000])
        #expect(e.totalDEX == 16_000_000)
        #expect(Exposure.compute(Array(chain.prefix(2)), spot: 100).flip == nil, "never changes sign: no flip")
    }

    @Test("the spot implied by put-call parity at the nearest expiry")
    func impliedSpot() {
        let chain = [
            contract(.call, strike: 100, gamma: 0, delta: 0.5, oi: 1, mark: 2.5), contract(.put, strike: 100, gamma: 0, delta: -0.5, oi: 1, mark: 2.0),
            contract(.call, strike: 90, gamma: 0, delta: 0.9, oi: 1, mark: 10.6), contract(.put, strike: 90, gamma: 0, delta: -0.1, oi: 1, mark: 0.2),
            contract(.call, strike: 100, gamma: 0, delta: 0.5, oi: 1, mark: 9, expiry: "2027-01-15"),
        ]
        #expect(Exposure.impliedSpot(chain) == 100.5)
    }

    @Test("flow: put/call ratios, premiums, unusual volume against open interest")
    func flow() {
        var a = contract(.call, strike: 100, gamma: 0, delta: 0.5, oi: 100, mark: 2); a.volume = 400
        var b = contract(.put, strike: 100, gamma: 0, delta: -0.5, oi: 1_000, mark: 1); b.volume = 200
        let f = OptionsFlow.compute([a, b])
        #expect(f.putCallVolume == 0.5 && f.putCallOpenInterest == 10)
        #expect(f.callPremium == 80_000 && f.putPremium == 20_000)
        #expect(f.unusual.map(\.ratio) == [4])
    }

    @Test(
        "validation refuses what cannot be so, and lets a deep in-the-money put's theta be slightly positive",
        arguments: [
            ("iv", false), ("negative price", false), ("crossed", false), ("call delta", false), ("put delta", false),
            ("theta call", false), ("theta deep put", true), ("valid", true),
        ])
    func validation(_ case_: String, _ valid: Bool) {
        var c = contract(.call, strike: 100, gamma: 0.01, delta: 0.5, oi: 10)
        switch case_ {
        case "iv": c.iv = 5.2
        case "negative price": c.last = -0.5
        case "crossed": c.bid = 2; c.ask = 1.5
        case "call delta": c.delta = 1.2
        case "put delta": c.kind = .put; c.delta = 0.3
        case "theta call": c.theta = 0.02
        case "theta deep put": c.kind = .put; c.delta = -0.95; c.theta = 0.01
        default: break
        }
        #expect((OptionsChainParser.validate(c) == nil) == valid, "\(case_): \(OptionsChainParser.validate(c) ?? "valid")")
    }

    @Test("a generated 8,632-contract chain (26 expiries, the day's own first) parses, validates and gives finite exposure")
    func generatedChain() throws {
        let data = AlphaVantagePayloads(seed: 1, date: "2026-11-25").chain("SPY")
        let chain = try OptionsChainParser.parse(data, symbol: "SPY")
        #expect(chain.contracts.count + chain.invalidCount == 26 * 166 * 2)
        #expect(chain.contracts.map(\.expiration).min() == "2026-11-25")
        #expect(chain.contracts.count > 8_000)
        let spot = try #require(Exposure.impliedSpot(chain.contracts))
        #expect(abs(spot - 600) < 3)
        let e = Exposure.compute(chain.contracts, spot: spot)
        #expect(e.totalGEX.isFinite && e.totalDEX.isFinite && e.byStrike.count == 166)
    }

    @Test(
        "malformed replies fail with what was wrong and where",
        arguments: [
            ("{\"data\": [{\"contractID\": \"X\", \"strike\": \"10", "truncated"),
            ("{\"data\": [{\"contractID\": \"X\", \"strike\": {\"v\": 1}}]}", "field \"strike\": expected a number, found an object"),
            ("{\"data\": [{\"contractID\": \"X\", \"delta\": \"abc\"}]}", "\"abc\" is not a number"),
            ("{\"endpoint\": \"Realtime Options\"}", "no \"data\""),
            ("<html>502 Bad Gateway</html>", "at byte 0"),
        ])
    func malformed(_ body: String, _ expected: String) {
        do {
            _ = try OptionsChainParser.parse(Data(body.utf8), symbol: "SPY")
            Issue.record("accepted: \(body)")
        } catch {
            #expect(error.description.contains(expected), "\(error)")
        }
    }

    @Test("Alpha Vantage's in-body notes are rate limits, its error messages refusals")
    func inBody() {
        #expect(
            throws: AlphaVantageReply.rateLimited(
                "Thank you for using Alpha Vantage! Please consider spreading out your free API requests more sparingly (1 request per second).")
        ) {
            try OptionsChainParser.parse(
                Data(
                    "{\"Information\": \"Thank you for using Alpha Vantage! Please consider spreading out your free API requests more sparingly (1 request per second).\"}"
                        .utf8), symbol: "SPY")
        }
        #expect(throws: AlphaVantageReply.refused("Invalid API call.")) {
            try OptionsChainParser.parse(Data("{\"Error Message\": \"Invalid API call.\"}".utf8), symbol: "SPY")
        }
    }
}
