import AlphaTrader
import Foundation
import OrchestratorCore
import Synchronization
import Testing

@testable import AlphaTraderSimulators

/// A clock tests set by hand.
final class SetClock: WallClock, @unchecked Sendable {
    private let value: Mutex<Double>
    init(_ t: Double) { value = Mutex(t) }
    func now() -> Double { value.withLock { $0 } }
    func set(_ t: Double) { value.withLock { $0 = t } }
}

@Suite("The paper broker's option listing and the desk over a tape")
struct PaperDeskTests {
    let zone = ZoneRules.of(TimeZone(identifier: "America/New_York")!)

    @Test("expirations: ten daily sessions for SPY, weekly last sessions and third Fridays for all, holidays skipped")
    func expirations() throws {
        let day = try #require(LocalDate(parsing: "2026-12-07"))
        let listing = OptionListing(day: day, calendar: XNYSCalendar.shared, reference: ["SPY": 600, "AAPL": 230])
        let spy = listing.expirations(of: "SPY"), aapl = listing.expirations(of: "AAPL")
        #expect(
            Array(spy.prefix(10)) == [
                "20261207", "20261208", "20261209", "20261210", "20261211", "20261214", "20261215",
                "20261216", "20261217", "20261218",
            ])
        // Christmas Friday 2026-12-25 is a holiday: that week's expiry is Thursday the 24th.
        #expect(Array(aapl.prefix(4)) == ["20261211", "20261218", "20261224", "20261231"])
        #expect(aapl.contains("20270115") && aapl.contains("20270219") && aapl.contains("20270521"), "third Fridays")
        #expect(!aapl.contains("20261207"), "no daily expiries for single stocks")
        #expect(listing.strikes(of: "SPY").first == 420 && listing.strikes(of: "SPY").last == 780)
        #expect(listing.lists(.option(symbol: "SPY", expiry: "20261207", strike: 600, right: .call)))
        #expect(!listing.lists(.option(symbol: "SPY", expiry: "20261207", strike: 600.5, right: .call)), "half-dollar SPY strike")
        #expect(!listing.lists(.option(symbol: "AAPL", expiry: "20261207", strike: 230, right: .put)), "not an AAPL expiry")
        #expect(!listing.lists(.option(symbol: "SPY", expiry: "20261207", strike: 900, right: .call)), "far out of the listed range")
    }

    @Test("option quotes: Black–Scholes under the smile, bid below ask on the tick, calls worth more as the price rises")
    func optionQuotes() throws {
        let now = Double(zone.instant(of: LocalDate(parsing: "2026-12-07")!, secondsOfDay: 10 * 3600))
        let call = Instrument.option(symbol: "AAPL", expiry: "20261218", strike: 230, right: .call)
        let low = try #require(OptionListing.quote(call, underlying: 228, now: now, zone: zone))
        let high = try #require(OptionListing.quote(call, underlying: 232, now: now, zone: zone))
        #expect(low.bid > 0 && low.bid < low.ask && high.mid > low.mid)
        #expect(TickSize.conforms(low.bid, for: call) && TickSize.conforms(high.ask, for: call))
        // Put–call parity holds on the mids to within the spreads.
        let put = Instrument.option(symbol: "AAPL", expiry: "20261218", strike: 230, right: .put)
        let p = try #require(OptionListing.quote(put, underlying: 232, now: now, zone: zone))
        let t = (Double(zone.instant(of: LocalDate(parsing: "2026-12-18")!, secondsOfDay: 16 * 3600)) - now) / 86_400 / 365
        #expect(abs((high.mid - p.mid) - (232 - 230 * exp(-0.045 * t))) < (high.ask - high.bid) + (p.ask - p.bid))
    }

    @Test("an option stop triggers on the side it would take when there are no trades")
    func optionStop() {
        let call = Instrument.option(symbol: "SPY", expiry: "20261207", strike: 600, right: .call)
        var quote = MarketQuote(bid: 2.50, ask: 2.54, bidSize: 50, askSize: 50)
        var broker = PaperBroker()
        _ = broker.place(OrderRequest(id: 1, instrument: call, action: .buy, quantity: 2, kind: .market), market: { _ in quote }, time: 0)
        _ = broker.place(OrderRequest(id: 2, instrument: call, action: .sell, quantity: 2, kind: .stop(trigger: 2.20)), market: { _ in quote }, time: 0)
        #expect(broker.orders[2]?.status == .submitted)
        quote = MarketQuote(bid: 2.19, ask: 2.23, bidSize: 50, askSize: 50)
        let events = broker.quoteChanged(call, market: { _ in quote }, time: 1)
        #expect(events.contains { if case .execution(let e) = $0 { return e.orderId == 2 && e.price == 2.19 } else { return false } })
    }

    @Test("the desk fills against the tape at the clock, routes events to the placing connection, and keeps the account in a file")
    func desk() throws {
        let (tape, _) = try TestTape.write(minutes: 5)
        let file = temporaryPath("json")
        defer { try? FileManager.default.removeItem(atPath: tape); try? FileManager.default.removeItem(atPath: file) }
        let clock = SetClock(Double(TestTape.open) + 60)
        let desk = try PaperDesk(
            tapePath: tape, clock: clock, zone: zone, calendar: XNYSCalendar.shared,
            configuration: .init(startingCash: 50_000), accountFile: file)
        let spy = Instrument.stock(symbol: "SPY")
        let quote = try #require(desk.read { _, market in market(spy) })
        let placed = desk.place(OrderRequest(id: 5, instrument: spy, action: .buy, quantity: 10, kind: .market, orderRef: "t-5"), client: 3)
        #expect(placed.allSatisfy { $0.client == 3 || $0.client == nil })
        let fill = try #require(placed.compactMap { if case .execution(let e) = $0.event { return e } else { return nil } }.first)
        #expect(fill.price == quote.ask && fill.quantity == 10)
        // A resting limit well under the market, then a buy limit that the tape's later offers reach.
        _ = desk.place(OrderRequest(id: 6, instrument: spy, action: .buy, quantity: 10, kind: .limit(TickSize.round(quote.bid * 0.95, for: spy))), client: 3)
        #expect(desk.read { broker, _ in broker.orders[6]?.status } == .submitted)
        clock.set(Double(TestTape.open) + 240)
        _ = desk.step()
        #expect(desk.read { broker, _ in broker.orders[6]?.status } == .submitted, "nothing trades 5 % lower in three minutes")
        // The account as written: a new desk on the same file has the position and the open order.
        let again = try PaperDesk(
            tapePath: tape, clock: clock, zone: zone, calendar: XNYSCalendar.shared,
            configuration: .init(startingCash: 50_000), accountFile: file)
        #expect(again.read { broker, _ in broker.positions[spy]?.quantity } == 10)
        #expect(again.read { broker, _ in broker.orders[6]?.status } == .submitted)
        #expect(again.owner(of: 6) == 3, "which client placed an order survives too")
        #expect(again.nextOrderId(atLeast: 1) == 7)
        #expect(again.conId(.option(symbol: "SPY", expiry: "20261125", strike: 600, right: .call)) != nil)
        try Data("{\"configuration\":".utf8).write(to: URL(fileURLWithPath: file))
        #expect(throws: PaperDeskError.self) {
            _ = try PaperDesk(tapePath: tape, clock: clock, zone: zone, calendar: XNYSCalendar.shared, configuration: .init(), accountFile: file)
        }
    }

    @Test("at the session's close the desk ends the DAY orders, tells their owner, and the GTC orders work on")
    func closeOfSession() throws {
        let (tape, _) = try TestTape.write(minutes: 5)
        defer { try? FileManager.default.removeItem(atPath: tape) }
        let clock = SetClock(Double(TestTape.open) + 60)
        let desk = try PaperDesk(tapePath: tape, clock: clock, zone: zone, calendar: XNYSCalendar.shared, configuration: .init(), accountFile: nil)
        let spy = Instrument.stock(symbol: "SPY")
        let quote = try #require(desk.read { _, market in market(spy) })
        let low = TickSize.round(quote.bid * 0.95, for: spy)
        _ = desk.place(OrderRequest(id: 1, instrument: spy, action: .buy, quantity: 10, kind: .limit(low)), client: 3)
        _ = desk.place(OrderRequest(id: 2, instrument: spy, action: .buy, quantity: 10, kind: .limit(low), timeInForce: .goodTillCancelled), client: 3)
        clock.set(Double(TestTape.close) - 1)
        _ = desk.step()
        #expect(desk.read { broker, _ in broker.openOrders.map(\.id) } == [1, 2], "a second before the close both work")
        clock.set(Double(TestTape.close) + 1)
        let routed = desk.step()
        #expect(desk.read { broker, _ in broker.openOrders.map(\.id) } == [2])
        #expect(desk.read { broker, _ in broker.closedThrough } == "20261125")
        #expect(routed.contains { if case .status(let o) = $0.event { o.id == 1 && o.status == .cancelled && $0.client == 3 } else { false } })
        #expect(desk.step().isEmpty, "the close happens once")
    }
}
