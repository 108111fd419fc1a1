import AlphaTrader
import Testing

@Suite("Level-2 books, imbalance and sweeps")
struct MarketStateTests {
    func update(_ op: DepthUpdate.Operation, _ position: Int, _ price: Double, _ size: Int, side: DepthUpdate.Side = .bid) -> DepthUpdate {
        DepthUpdate(time: 0, symbol: 0, exchange: 0, marketMaker: 0, position: position, operation: op, side: side, price: price, size: size)
    }

    @Test("TWS depth semantics: insert shifts down, update replaces, delete shifts up, bad rows are refused")
    func bookSemantics() {
        var book = OrderBook(depth: 3)
        let r1 = book.apply(update(.insert, 0, 10.00, 100)); #expect(r1)
        let r2 = book.apply(update(.insert, 0, 10.01, 200)); #expect(r2)  // new best: the old one moves to row 1
        #expect(book.bids.map(\.price) == [10.01, 10.00])
        let r3 = book.apply(update(.update, 1, 10.00, 500)); #expect(r3)
        #expect(book.bids.map(\.size) == [200, 500])
        let r4 = book.apply(update(.insert, 2, 9.99, 50)); #expect(r4)
        let r5 = book.apply(update(.insert, 0, 10.02, 10)); #expect(r5)  // a fourth row: the deepest one falls off
        #expect(book.bids.map(\.price) == [10.02, 10.01, 10.00])
        let r6 = book.apply(update(.delete, 0, 0, 0)); #expect(r6)
        #expect(book.bids.map(\.price) == [10.01, 10.00])
        let r7 = book.apply(update(.delete, 5, 0, 0)); #expect(!r7)
        let r8 = book.apply(update(.insert, 4, 9.0, 1)); #expect(!r8)
        #expect(book.bids.count == 2, "a refused update changes nothing")
    }

    @Test("books merge by price across exchanges and imbalance is (bid − ask) / (bid + ask)")
    func aggregation() {
        var arca = OrderBook(), bats = OrderBook()
        arca.apply(update(.insert, 0, 100.00, 300)); arca.apply(update(.insert, 1, 99.99, 200))
        bats.apply(update(.insert, 0, 100.00, 100)); bats.apply(update(.insert, 1, 99.98, 400))
        arca.apply(update(.insert, 0, 100.01, 100, side: .ask)); bats.apply(update(.insert, 0, 100.02, 100, side: .ask))
        let bids = AggregatedBook.merge([arca, bats], side: .bid), asks = AggregatedBook.merge([arca, bats], side: .ask)
        #expect(bids.map(\.0) == [100.00, 99.99, 99.98])
        #expect(bids.map(\.1) == [400, 200, 400])
        #expect(asks.map(\.0) == [100.01, 100.02])
        // (1000 − 200) / 1200
        #expect(abs(AggregatedBook.imbalance(bids: bids, asks: asks) - 800.0 / 1200.0) < 1e-12)
        #expect(AggregatedBook.imbalance(bids: [], asks: []) == 0)
        // The fast path agrees with the merged book.
        #expect(AggregatedBook.depth([arca, bats], side: .bid, levels: 2) == 600)
        #expect(AggregatedBook.depth([arca, bats], side: .bid, levels: 5) == 1_000)
        #expect(AggregatedBook.depth([arca, bats], side: .ask, levels: 1) == 100)
    }

    @Test("a sweep is three or more rising prices on one side within the window, reported once")
    func sweeps() {
        var detector = SweepDetector(window: 50_000, minimumLevels: 3)
        func trade(_ t: Int64, _ p: Double, _ x: Int) -> Trade { Trade(time: t, symbol: 0, exchange: x, price: p, size: 500) }
        #expect(detector.observe(trade(0, 10.01, 0), bid: 10.00, ask: 10.01) == nil)
        #expect(detector.observe(trade(1_000, 10.02, 1), bid: 10.00, ask: 10.01) == nil)
        let sweep = detector.observe(trade(2_000, 10.03, 2), bid: 10.00, ask: 10.01)
        #expect(sweep?.buy == true && sweep?.levels == 3 && sweep?.exchanges == 3 && sweep?.size == 1_500)
        #expect(detector.observe(trade(3_000, 10.04, 3), bid: 10.00, ask: 10.01) == nil, "reported once")
        // Too slow: the same prices spread over more than the window are not a sweep.
        var slow = SweepDetector(window: 50_000, minimumLevels: 3)
        #expect(slow.observe(trade(0, 10.01, 0), bid: 10.00, ask: 10.01) == nil)
        #expect(slow.observe(trade(60_000, 10.02, 1), bid: 10.00, ask: 10.01) == nil)
        #expect(slow.observe(trade(120_000, 10.03, 2), bid: 10.00, ask: 10.01) == nil)
        // A print inside the spread is not aggressive and breaks nothing.
        #expect(slow.observe(trade(130_000, 10.005, 2), bid: 10.00, ask: 10.01) == nil)
    }
}
