import AlphaTrader
import Foundation
import OrchestratorCore
import Testing

@Suite("The dealers' gamma through the day: the stand-in's chains and the live gamma model")
struct GammaModelTests {
    @Test("a replayed day's options are quoted around the prices its tape opens at")
    func standInFollowsTheTape() throws {
        let spots = TapeGenerator.openingPrices(seed: TapeGenerator.defaultSeed, level2: ["SPY", "QQQ"], standard: ["AAPL"])
        let open: Int64 = 1_796_653_800
        let tape = TapeGenerator(
            options: .init(
                date: "2026-12-07", seed: TapeGenerator.defaultSeed, level2: ["SPY", "QQQ"], standard: ["AAPL"], open: open, close: open + 23_400, to: open + 2)
        )
        var first: [Int: Double] = [:]
        tape.generate { event in
            if case .quote(let q) = event, first[q.symbol] == nil { first[q.symbol] = (q.bid + q.ask) / 2 }
        }
        let payloads = AlphaVantagePayloads(seed: 1, date: "2026-12-07", spots: spots)
        for (i, symbol) in ["SPY", "QQQ", "AAPL"].enumerated() {
            let quoted = try #require(first[i])
            #expect(abs(try #require(spots[symbol]) - quoted) < 0.02, "\(symbol): the tape opens at \(quoted)")
            let chain = try OptionsChainParser.parse(payloads.chain(symbol, expirations: 3, strikes: 40), symbol: symbol)
            let implied = try #require(Exposure.impliedSpot(chain.contracts))
            #expect(abs(implied / quoted - 1) < 0.005, "\(symbol): chain around \(implied), tape at \(quoted)")
        }
    }

    @Test("open interest piles on round strikes and on puts below the price and calls above it")
    func openInterestShape() throws {
        let chain = try OptionsChainParser.parse(
            AlphaVantagePayloads(seed: 1, date: "2026-12-07", spots: ["SPY": 600]).chain("SPY", expirations: 3, strikes: 60), symbol: "SPY")
        func mean(_ f: (OptionContract) -> Bool) -> Double {
            let xs = chain.contracts.filter(f).map(\.openInterest)
            return xs.reduce(0, +) / Double(xs.count)
        }
        let near = { (c: OptionContract) in abs(c.strike - 600) <= 12 }
        let round = mean { near($0) && Int($0.strike) % 10 == 0 }, plain = mean { near($0) && Int($0.strike) % 5 != 0 }
        #expect(round > 2.5 * plain, "round strikes \(round), others \(plain)")
        let putsBelow = mean { near($0) && $0.kind == .put && $0.strike < 600 }, callsBelow = mean { near($0) && $0.kind == .call && $0.strike < 600 }
        #expect(putsBelow > 1.3 * callsBelow)
        let gex = Exposure.compute(chain.contracts, spot: 600)
        let below = gex.byStrike.filter { $0.strike < 595 }.map(\.gex).reduce(0, +)
        let above = gex.byStrike.filter { $0.strike > 605 }.map(\.gex).reduce(0, +)
        #expect(below < 0 && above > 0, "dealers short gamma below the price, long above it")
    }

    /// Calls at 100 (1,000 open) and 105 (3,000 open) expiring at `close`; puts at 95 (2,000).
    let close: Int64 = 1_796_677_200
    var document: GammaModelDocument {
        GammaModelDocument(
            spot: 100, expirations: ["2026-12-07", "2026-12-09"],
            lines: [[0, 100, 1, 0.2, 1_000], [0, 105, 1, 0.2, 3_000], [0, 95, 0, 0.2, 2_000], [1, 100, 1, 0.2, 500]], timestamp: 0)
    }
    func model() throws -> GammaModel {
        try #require(GammaModel(document) { $0.description == "2026-12-07" ? close : close + 2 * 86_400 })
    }

    @Test("the strike holding most of the gamma follows the price, and a same-day expiry's gamma gathers at the money near its close")
    func followsPriceAndTime() throws {
        let m = try model()
        func top(_ e: Exposure) -> (strike: Double, share: Double) {
            let total = e.byStrike.map { abs($0.gex) }.reduce(0, +)
            let best = e.byStrike.max { abs($0.gex) < abs($1.gex) }!
            return (best.strike, abs(best.gex) / total)
        }
        let morning = m.exposure(spot: 100.2, at: close - 23_400)
        let late = m.exposure(spot: 100.2, at: close - 600)
        #expect(top(morning).strike == 100 || top(morning).strike == 105)
        #expect(top(late).strike == 100, "ten minutes before the close the money strike holds the gamma")
        #expect(top(late).share > top(morning).share)
        #expect(m.exposure(spot: 104.8, at: close - 600).byStrike.max { abs($0.gex) < abs($1.gex) }!.strike == 105)
        // Dealers long the calls at the money: long gamma there; short the puts below.
        #expect(late.totalGEX > 0 && m.exposure(spot: 95.1, at: close - 600).totalGEX < 0)
    }

    @Test("lines within a minute of their expiry, or past it, are left out")
    func expiredLeftOut() throws {
        let m = try model()
        let after = m.exposure(spot: 100, at: close + 10)
        #expect(after.byStrike.map(\.strike) == [100], "only the later expiry's call remains")
        #expect(m.exposure(spot: 100, at: close - 30).byStrike.map(\.strike) == [100])
    }

    @Test(
        "a damaged model is refused, not half read",
        arguments: [
            GammaModelDocument(spot: 100, expirations: ["2026-12-07"], lines: [[1, 100, 1, 0.2, 10]], timestamp: 0),
            GammaModelDocument(spot: 100, expirations: ["12/07/2026"], lines: [[0, 100, 1, 0.2, 10]], timestamp: 0),
            GammaModelDocument(spot: 100, expirations: ["2026-12-07"], lines: [[0, 100, 1, 0.2]], timestamp: 0),
            GammaModelDocument(spot: 100, expirations: ["2026-12-07"], lines: [[0, 100, 1, 0, 10]], timestamp: 0),
        ])
    func damaged(_ document: GammaModelDocument) {
        #expect(GammaModel(document) { _ in 0 } == nil)
    }

    @Test("the premarket job keeps the near-term lines within the band of the spot, and the document reads back")
    func documentKeepsNearTerm() throws {
        let chain = try OptionsChainParser.parse(
            AlphaVantagePayloads(seed: 1, date: "2026-12-07", spots: ["SPY": 600]).chain("SPY"), symbol: "SPY")
        let document = GammaModel.document(chain.contracts, spot: 600, today: LocalDate(parsing: "2026-12-07")!, timestamp: 5)
        #expect(document.expirations == ["2026-12-07", "2026-12-08", "2026-12-10", "2026-12-12", "2026-12-14"])
        #expect(document.lines.allSatisfy { abs($0[1] / 600 - 1) <= GammaModel.band })
        #expect(GammaModelDocument.read(document.json) == document)
    }
}

extension GammaModelTests {
    @Test("the zero-gamma level lies between the put-heavy strikes below and the call-heavy ones above, where the total changes sign")
    func zeroGammaLevel() throws {
        let m = try model()
        let level = try #require(m.zeroGamma(near: 100, at: close - 7_200))
        #expect(level > 95 && level < 100, "zero gamma at \(level)")
        #expect(m.totalGamma(spot: level - 0.3, at: close - 7_200) < 0 && m.totalGamma(spot: level + 0.3, at: close - 7_200) > 0)
        #expect(m.exposure(spot: 100, at: close - 7_200).flip == level)
        let callsOnly = try #require(
            GammaModel(GammaModelDocument(spot: 100, expirations: ["2026-12-07"], lines: [[0, 100, 1, 0.2, 10]], timestamp: 0)) { _ in close })
        #expect(callsOnly.zeroGamma(near: 100, at: close - 7_200) == nil)
    }
}

extension GammaModelTests {
    /// The mids of a one-symbol session of 4,000 seconds whose last hour is pinned to `pin` (a
    /// multiple of the price at the pull's start), or not pinned; by second from the open.
    func sessionMids(pin: Double?) -> (mids: [Double], pullFrom: Int64) {
        let open = close - 4_000, pullFrom = close - 3_600
        let pinning = pin.map { factor in TapeGenerator.Pinning(from: pullFrom) { _, price in (price * factor).rounded() } }
        let tape = TapeGenerator(
            options: .init(date: "2026-12-07", seed: 3, level2: [], standard: ["SPY"], open: open, close: close, pinning: pinning))
        var mids = Array(repeating: 0.0, count: 4_000)
        tape.generate { event in
            if case .quote(let q) = event { mids[Int(q.time / 1_000_000 - open)] = (q.bid + q.ask) / 2 }
        }
        for i in mids.indices where mids[i] == 0 && i > 0 { mids[i] = mids[i - 1] }
        return (mids, pullFrom - open)
    }

    @Test("a pinned price is drawn to its strike in the last hour and trades around it, not on it; nothing changes before the pull")
    func pinnedLastHour() {
        let free = sessionMids(pin: nil), pinned = sessionMids(pin: 1.008)
        let start = Int(pinned.pullFrom)
        #expect(Array(free.mids[..<start]) == Array(pinned.mids[..<start]), "the same tape until the pull starts")
        let strike = (pinned.mids[start - 1] * 1.008).rounded()
        let distances = pinned.mids[(4_000 - 1_200)...].map { abs($0 / strike - 1) * 100 }
        let mean = distances.reduce(0, +) / Double(distances.count)
        #expect(abs(pinned.mids[start - 1] / strike - 1) * 100 > 0.6, "the pull starts 0.8 % away")
        #expect(mean < 0.3, "the last 20 minutes are on average \(mean) % from the pin")
        #expect(distances.filter { $0 >= 0.05 }.count > distances.count / 2, "the price still moves around the pin")
        let freeMean = free.mids[(4_000 - 1_200)...].map { abs($0 / strike - 1) * 100 }.reduce(0, +) / 1_200
        #expect(freeMean > 0.4, "unpinned, the same tape stays \(freeMean) % away")
    }

    @Test("the stand-in's pins are the strikes where its open interest leaves dealers most long gamma, near the price, for the index ETFs only")
    func standInPins() throws {
        let calendar = XNYSCalendar.shared
        let payloads = AlphaVantagePayloads.standIn(date: "2026-12-07", level2: TestTape.level2, standard: TestTape.standard)
        let from = close - 3_600
        let pinning = payloads.pinning(from: from, calendar: calendar)
        #expect(pinning.from == from)
        let spy = payloads.spot("SPY")
        let chain = try OptionsChainParser.parse(payloads.chain("SPY"), symbol: "SPY")
        let model = try #require(
            GammaModel(GammaModel.document(chain.contracts, spot: spy, today: LocalDate(parsing: "2026-12-07")!, timestamp: 0), calendar: calendar))
        var pinned = 0
        for step in -8...8 {
            let price = spy * (1 + Double(step) * 0.001)
            let exposure = model.exposure(spot: price, at: from)
            let strongestLong = SnapshotReader.gammaStrikes(exposure.byStrike.map { [$0.strike, $0.gex] }).first(where: \.long)
            if let pin = pinning.pin("SPY", price) {
                pinned += 1
                #expect(exposure.totalGEX > 0, "at \(price) dealers are long gamma")
                #expect(pin == strongestLong?.strike)
                #expect(abs(pin / price - 1) <= 0.01)
            } else {
                #expect(exposure.totalGEX <= 0 || strongestLong.map { abs($0.strike / price - 1) > 0.01 } ?? true, "no pin at \(price)")
            }
        }
        #expect(pinned > 0, "SPY is pinned somewhere within 0.8 % of its opening price")
        #expect(pinning.pin("AAPL", payloads.spot("AAPL")) == nil, "a single stock has no same-day expiry")
    }
}
