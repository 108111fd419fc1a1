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
        /// The TWS client id the event is for; nil for every client (positions, account).
        public var client: Int?
        public var event: BrokerEvent
    }

    /// What the account file holds: the broker and which client placed each order (so that a
    /// client reconnecting with its id is answered about its own orders).
    private struct Stored: Codable {
        var broker: PaperBroker
        var owners: [Int: Int]
    }

    private struct State: @unchecked Sendable {
        var broker: PaperBroker
        let market: TapeMarket
        var owners: [Int: Int] = [:]
        var whatIfs: [Int: OrderRequest] = [:]
        var dirty = false
        var savedAt = 0.0
    }

    private let state: Mutex<State>
    /// The tape's session (YYYYMMDD) and its close (epoch microseconds).
    private let session: (day: String, close: Int64)
    public let listing: OptionListing
    private let clock: any WallClock
    private let zone: ZoneRules
    private let accountFile: String?
    private let saveInterval: Double
    private let log: @Sendable (String) -> Void
    public let symbols: [String]

    /// - Parameters:
    ///   - accountFile: where the account is kept (read at start when it exists, written
    ///     atomically after changes); nil keeps it in memory.
    ///   - saveInterval: 0 writes the file after every change; more coalesces the writes of that
    ///     many seconds (`saveIfDue()`, `flush()`), so that a burst of fills costs one write.
    public init(
        tapePath: String, clock: any WallClock, zone: ZoneRules, calendar: any ExchangeCalendar,
        configuration: PaperBroker.Configuration, accountFile: String?, saveInterval: Double = 0,
        log: @escaping @Sendable (String) -> Void = { _ in }
    ) throws {
        let market = try TapeMarket(tapePath: tapePath)
        var stored = Stored(broker: PaperBroker(configuration: configuration), owners: [:])
        if let accountFile, let data = FileManager.default.contents(atPath: accountFile) {
            do {
                stored = try JSONDecoder().decode(Stored.self, from: data)
            } catch {
                throw PaperDeskError("\(accountFile): not a paper account (\(error)); move it away to start a new account")
            }
        }
        guard let day = LocalDate(parsing: market.header.date) else { throw PaperDeskError("the tape's date \(market.header.date) is not a date") }
        listing = OptionListing(day: day, calendar: calendar, reference: try TapeMarket.openingPrices(tapePath: tapePath))
        symbols = market.header.symbols
        session = (OptionExpiries.code(day), market.header.close * 1_000_000)
        _ = stored.broker.open(day: session.day)
        self.clock = clock
        self.zone = zone
        self.accountFile = accountFile
        self.saveInterval = saveInterval
        self.log = log
        state = Mutex(State(broker: stored.broker, market: market, owners: stored.owners))
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
            var quote = OptionListing.quote(instrument, underlying: underlying.mid, now: now, zone: zone)
            quote?.stamp = underlying.stamp  // the option's quote is new when the underlying's is
            return quote
        }
    }

    private var now: Int64 { Int64(clock.now() * 1_000_000) }

    /// `placeOrder` from TWS client `client`.
    public func place(_ request: OrderRequest, client: Int) -> [Routed] {
        change { s in
            if s.broker.orders[request.id] == nil && request.whatIf { s.whatIfs[request.id] = request }
            let events = s.broker.place(request, market: view(s.market), time: s.market.time)
            if s.broker.orders[request.id] != nil && s.owners[request.id] == nil { s.owners[request.id] = client }
            return events.map { Routed(client: client, event: $0) }
        }
    }

    /// `cancelOrder`: refusals go to the client that asked, the cancellation to the owner.
    public func cancel(_ id: Int, client: Int) -> [Routed] {
        change { s in
            let owner = s.owners[id] ?? client
            return s.broker.cancel(id).map { event in
                if case .error(_, let code, _) = event, code != 202 { return Routed(client: client, event: event) }
                return Routed(client: owner, event: event)
            }
        }
    }

    /// `reqGlobalCancel`.
    public func cancelAll() -> [Routed] {
        change { s in s.broker.cancelAll().map { Routed(client: PaperDesk.owner(of: $0, in: s.owners), event: $0) } }
    }

    /// Moves the market to the clock and lets the working orders meet it (the coalesced save
    /// is `saveIfDue()`'s, on a thread of its own: see `TWSSimulator`).
    public func step() -> [Routed] {
        let target = now
        let routed = change { s in
            var watched = Set<Int>()
            let working = s.broker.openOrders
            for o in working {
                if let i = symbols.firstIndex(of: o.request.instrument.symbol) { watched.insert(i) }
            }
            var changed: [(Int, Trade?)] = []
            do {
                try s.market.advance(to: target, watched: watched) { changed.append(($0, $1)) }
            } catch {
                log("the tape cannot be read further: \(error)")
            }
            var events: [BrokerEvent] = []
            if target >= session.close, s.broker.closedThrough != session.day {
                let market = s.market
                events += s.broker.close(day: session.day, underlying: { market.quote(symbol: $0)?.mid }, time: session.close)
            }
            guard !changed.isEmpty || !events.isEmpty else { return [] }
            let market = view(s.market)
            for (symbol, trade) in changed {
                let instruments = Set(
                    working.filter { $0.request.instrument.symbol == symbols[symbol] }
                        .map(\.request.instrument))
                for instrument in instruments.sorted(by: { $0.description < $1.description }) {
                    if let trade, !instrument.isOption {
                        events += s.broker.traded(instrument, price: trade.price, size: trade.size, market: market, time: trade.time)
                    } else {
                        events += s.broker.quoteChanged(instrument, market: market, time: s.market.time)
                    }
                }
            }
            return events.map { Routed(client: PaperDesk.owner(of: $0, in: s.owners), event: $0) }
        }
        return routed
    }

    /// The client an event is for: the order's owner; nil (everyone) for positions.
    private static func owner(of event: BrokerEvent, in owners: [Int: Int]) -> Int? {
        switch event {
        case .opened(let o), .status(let o): return owners[o.id]
        case .execution(let e): return owners[e.orderId]
        case .error(let id, _, _), .whatIf(let id, _, _, _): return owners[id]
        case .position: return nil
        }
    }

    /// Applies a change to the account and saves it (now, or when due).
    private func change(_ body: (inout State) -> [Routed]) -> [Routed] {
        state.withLock { s in
            let routed = body(&s)
            guard !routed.isEmpty else { return [] }
            s.dirty = true
            if saveInterval == 0 { save(&s) }
            return routed
        }
    }

    private func save(_ s: inout State) {
        guard s.dirty, let accountFile else { return }
        write(Stored(broker: s.broker, owners: s.owners), to: accountFile)
        s.dirty = false
        s.savedAt = Date().timeIntervalSince1970
    }

    private func write(_ stored: Stored, to file: String) {
        do { try PaperDesk.save(stored, to: file) } catch { log("the account cannot be saved: \(error)") }
    }

    /// Writes a coalesced change once `saveInterval` has passed since the last write: the
    /// account is copied under the lock and encoded and written outside it, so that orders are
    /// not held up by a day's worth of JSON.
    public func saveIfDue() {
        guard let accountFile else { return }
        // The copy is taken inside the file's lock, so that writes land in the order of their copies.
        saveLock.withLock { _ in
            let due: Stored? = state.withLock { s in
                guard s.dirty && Date().timeIntervalSince1970 - s.savedAt >= saveInterval else { return nil }
                s.dirty = false
                s.savedAt = Date().timeIntervalSince1970
                return Stored(broker: s.broker, owners: s.owners)
            }
            if let due { write(due, to: accountFile) }
        }
    }

    /// Writes what is not written yet.
    public func flush() {
        saveLock.withLock { _ in state.withLock { s in save(&s) } }
    }

    /// One writer of the file at a time (the market thread's coalesced saves, a final flush).
    private let saveLock = Mutex(())

    /// The market's time now, seconds since the epoch.
    public var marketTime: Double { clock.now() }

    /// The client that placed order `id`.
    public func owner(of id: Int) -> Int? { state.withLock { $0.owners[id] } }

    /// The what-if order `id` as asked.
    public func pendingWhatIf(_ id: Int) -> OrderRequest? { state.withLock { $0.whatIfs[id] } }

    /// An option's quote, model greeks and the underlying's mid, now.
    public typealias OptionModel = (
        quote: MarketQuote, greeks: (volatility: Double, delta: Double, price: Double, gamma: Double, vega: Double, theta: Double), underlying: Double
    )

    public func optionModel(_ instrument: Instrument) -> OptionModel? {
        state.withLock { s -> OptionModel? in
            guard case .option(let symbol, let expiry, let strike, let right) = instrument, listing.lists(instrument),
                let u = s.market.quote(symbol: symbol), u.bid > 0, u.ask > 0,
                let quote = OptionListing.quote(instrument, underlying: u.mid, now: Double(s.market.time) / 1_000_000, zone: zone),
                let day = LocalDate(parsing: "\(expiry.prefix(4))-\(expiry.dropFirst(4).prefix(2))-\(expiry.suffix(2))")
            else { return nil }
            let days = max(60, Double(zone.instant(of: day, secondsOfDay: 16 * 3600)) - Double(s.market.time) / 1_000_000) / 86_400
            let sigma = VolatilitySmile.volatility(moneyness: Foundation.log(strike / u.mid), days: days)
            let g = BlackScholes.greeks(call: right == .call, s: u.mid, k: strike, t: days / 365, sigma: sigma)
            return (quote, (sigma, g.delta, g.price, g.gamma, g.vega, g.theta), u.mid)
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
        state.withLock { s in max(floor, (s.broker.orders.keys.max() ?? 0) + 1, (s.whatIfs.keys.max() ?? 0) + 1) }
    }

    /// Writes the account to a temporary file and renames it into place: a reader (or a
    /// restart) sees the old account or the new one, never half of one.
    private static func save(_ stored: Stored, to path: String) throws {
        let data = try JSONEncoder().encode(stored)
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
