public import AlphaTrader
import Foundation
public import OrchestratorCore
import Synchronization

/// The paper account `tws-sim` serves to every connection: one `PaperBroker` with the tape's
/// market at the clock and the option listing, its orders owned by the connections that placed
/// them, kept in a file so that the account survives a restart.
///
/// Thread-safe: connections call it from their own threads; `step()` is called by the
/// simulator's market thread and returns what the market's moves did, for each owner.
public final class PaperDesk: Sendable {
    public struct Routed: Sendable {
        /// The connection the event is for; nil for every connection (positions, account).
        public var client: Int?
        public var event: BrokerEvent
    }

    private struct State: @unchecked Sendable {
        var broker: PaperBroker
        let market: TapeMarket
        var owners: [Int: Int] = [:]
        var dirty = false
    }

    private let state: Mutex<State>
    public let listing: OptionListing
    private let clock: any WallClock
    private let zone: ZoneRules
    private let accountFile: String?
    public let symbols: [String]

    /// - Parameters:
    ///   - accountFile: where the account is kept (read at start when it exists, written
    ///     atomically after every change); nil keeps it in memory.
    public init(tapePath: String, clock: any WallClock, zone: ZoneRules, calendar: any ExchangeCalendar,
                configuration: PaperBroker.Configuration, accountFile: String?) throws {
        let market = try TapeMarket(tapePath: tapePath)
        var broker = PaperBroker(configuration: configuration)
        if let accountFile, let data = FileManager.default.contents(atPath: accountFile) {
            do {
                broker = try JSONDecoder().decode(PaperBroker.self, from: data)
            } catch {
                throw PaperDeskError("\(accountFile): not a paper account (\(error)); move it away to start a new account")
            }
        }
        guard let day = LocalDate(parsing: market.header.date) else { throw PaperDeskError("the tape's date \(market.header.date) is not a date") }
        listing = OptionListing(day: day, calendar: calendar, reference: try TapeMarket.openingPrices(tapePath: tapePath))
        symbols = market.header.symbols
        self.clock = clock
        self.zone = zone
        self.accountFile = accountFile
        state = Mutex(State(broker: broker, market: market))
        // The market as it stands when the desk opens: the past is read, not matched.
        try state.withLock { s in try s.market.advance(to: Int64(clock.now() * 1_000_000), watched: []) { _, _ in } }
    }

    /// The market view the broker fills against: stocks from the tape, options from the model on
    /// the underlying, nil for what is not listed.
    private func view(_ market: TapeMarket) -> PaperBroker.Market {
        let listing = self.listing, zone = self.zone
        let now = Double(market.time) / 1_000_000
        return { instrument in
            guard listing.lists(instrument), let underlying = market.quote(symbol: instrument.symbol) else { return nil }
            guard instrument.isOption else { return underlying }
            guard underlying.bid > 0, underlying.ask > 0 else { return nil }
            return OptionListing.quote(instrument, underlying: underlying.mid, now: now, zone: zone)
        }
    }

    private var now: Int64 { Int64(clock.now() * 1_000_000) }

    /// `placeOrder` from connection `client`.
    public func place(_ request: OrderRequest, client: Int) throws -> [Routed] {
        try change { s in
            let events = s.broker.place(request, market: view(s.market), time: s.market.time)
            if s.broker.orders[request.id] != nil && s.owners[request.id] == nil { s.owners[request.id] = client }
            return events
        }
    }

    /// `cancelOrder` from connection `client`.
    public func cancel(_ id: Int, client: Int) throws -> [Routed] {
        try change { s in s.broker.cancel(id) }
    }

    /// `reqGlobalCancel`.
    public func cancelAll() throws -> [Routed] {
        try change { s in s.broker.cancelAll() }
    }

    /// Moves the market to the clock and lets the working orders meet it.
    public func step() throws -> [Routed] {
        let target = now
        return try change { s in
            var watched = Set<Int>()
            for o in s.broker.orders.values where !o.status.isFinished {
                if let i = symbols.firstIndex(of: o.request.instrument.symbol) { watched.insert(i) }
            }
            guard !watched.isEmpty else {
                try s.market.advance(to: target, watched: []) { _, _ in }
                return []
            }
            var events: [BrokerEvent] = []
            var changed: [(Int, Trade?)] = []
            try s.market.advance(to: target, watched: watched) { changed.append(($0, $1)) }
            let market = view(s.market)
            for (symbol, trade) in changed {
                let instruments = Set(s.broker.orders.values.filter { !$0.status.isFinished && $0.request.instrument.symbol == symbols[symbol] }
                    .map(\.request.instrument))
                for instrument in instruments.sorted(by: { $0.description < $1.description }) {
                    if let trade, !instrument.isOption {
                        events += s.broker.traded(instrument, price: trade.price, size: trade.size, market: market, time: trade.time)
                    } else {
                        events += s.broker.quoteChanged(instrument, market: market, time: s.market.time)
                    }
                }
            }
            return events
        }
    }

    /// Applies a change to the account, saves it when it changed, and routes its events.
    private func change(_ body: (inout State) throws -> [BrokerEvent]) throws -> [Routed] {
        try state.withLock { s in
            let events = try body(&s)
            guard !events.isEmpty else { return [] }
            if let accountFile { try PaperDesk.save(s.broker, to: accountFile) }
            return events.map { event in
                switch event {
                case .opened(let o), .status(let o): return Routed(client: s.owners[o.id], event: event)
                case .execution(let e): return Routed(client: s.owners[e.orderId], event: event)
                case .error(let id, _, _), .whatIf(let id, _, _, _): return Routed(client: s.owners[id] ?? -1, event: event)
                case .position: return Routed(client: nil, event: event)
                }
            }
        }
    }

    /// Reads the account without changing it.
    public func read<T>(_ body: (PaperBroker, PaperBroker.Market) -> T) -> T {
        state.withLock { s in body(s.broker, view(s.market)) }
    }

    /// The contract id of a listed instrument, nil when it is not listed.
    public func conId(_ instrument: Instrument) -> Int? {
        guard listing.lists(instrument), let index = symbols.firstIndex(of: instrument.symbol) else { return nil }
        return OptionListing.conId(instrument, symbolIndex: index)
    }

    /// The next order id nobody has used.
    public func nextOrderId(atLeast floor: Int) -> Int {
        state.withLock { s in max(floor, (s.broker.orders.keys.max() ?? 0) + 1) }
    }

    /// Writes the account to a temporary file and renames it into place: a reader (or a
    /// restart) sees the old account or the new one, never half of one.
    static func save(_ broker: PaperBroker, to path: String) throws {
        let data = try JSONEncoder().encode(broker)
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        let temporary = path + ".tmp-\(getpid())"
        try data.write(to: URL(fileURLWithPath: temporary))
        guard rename(temporary, path) == 0 else {
            unlink(temporary)
            throw PaperDeskError("\(path): cannot rename into place: \(String(cString: strerror(errno)))")
        }
    }
}

public struct PaperDeskError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}
