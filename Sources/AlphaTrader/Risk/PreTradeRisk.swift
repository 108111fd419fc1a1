import Foundation
import OrchestratorCore

/// An order the execution service wants to send, as the risk manager sees it.
public struct ProposedOrder: Sendable, Equatable {
    public var strategy: String?
    public var instrument: Instrument
    public var action: OrderRequest.Action
    public var quantity: Int
    /// nil for a market order.
    public var limitPrice: Double?

    public init(strategy: String?, instrument: Instrument, action: OrderRequest.Action, quantity: Int, limitPrice: Double?) {
        self.strategy = strategy; self.instrument = instrument; self.action = action; self.quantity = quantity; self.limitPrice = limitPrice
    }

    /// The order's signed quantity: + buys, − sells.
    public var signed: Int { action.sign * quantity }
}

/// What the risk manager knows of an instrument's market: the touch, and for an option the
/// underlying's price and the model's delta and gamma (per share of the underlying).
public struct RiskQuote: Sendable, Equatable {
    public var bid: Double
    public var ask: Double
    public var underlying: Double
    public var delta: Double
    public var gamma: Double

    public init(bid: Double, ask: Double, underlying: Double, delta: Double = 1, gamma: Double = 0) {
        self.bid = bid; self.ask = ask; self.underlying = underlying; self.delta = delta; self.gamma = gamma
    }

    public var mid: Double { (bid + ask) / 2 }
}

/// A strategy as the risk manager sees it: enabled, its window (minutes of the market's day), and
/// paused until a time after losing trades.
public struct StrategyGate: Sendable, Equatable {
    public var enabled: Bool
    public var window: ClosedRange<Int>
    public var pausedUntil: Double?

    public init(enabled: Bool, window: ClosedRange<Int>, pausedUntil: Double? = nil) {
        self.enabled = enabled; self.window = window; self.pausedUntil = pausedUntil
    }
}

/// Everything a pre-trade check looks at, as values: the check is a pure function of it.
public struct RiskContext: Sendable {
    public var state: RiskStateDocument.State
    /// Seconds since the epoch, and the minute of the market's day (America/New_York).
    public var now: Double
    public var minuteOfDay: Int
    public var strategies: [String: StrategyGate]
    /// When the last orders were sent (any order of ours), seconds since the epoch.
    public var recentSubmissions: [Double]
    /// Signed quantities held.
    public var positions: [Instrument: Int]
    public var quotes: [Instrument: RiskQuote]
    public var buyingPower: Double
    /// Underlying symbol → its returns' one-day standard deviation (a fraction: 0.012 = 1.2 %).
    public var volatility: [String: Double]
    /// Pairwise correlations of the underlyings' returns (discovered); a missing pair is 0, a
    /// symbol with itself 1.
    public var correlations: [String: [String: Double]]
    /// 1, or the extreme-market breaker's cut.
    public var sizeFactor: Double

    public init(
        state: RiskStateDocument.State, now: Double, minuteOfDay: Int, strategies: [String: StrategyGate] = [:], recentSubmissions: [Double] = [],
        positions: [Instrument: Int] = [:], quotes: [Instrument: RiskQuote] = [:], buyingPower: Double, volatility: [String: Double] = [:],
        correlations: [String: [String: Double]] = [:], sizeFactor: Double = 1
    ) {
        self.state = state; self.now = now; self.minuteOfDay = minuteOfDay; self.strategies = strategies
        self.recentSubmissions = recentSubmissions; self.positions = positions; self.quotes = quotes; self.buyingPower = buyingPower
        self.volatility = volatility; self.correlations = correlations; self.sizeFactor = sizeFactor
    }

    public func correlation(_ a: String, _ b: String) -> Double {
        a == b ? 1 : correlations[a]?[b] ?? correlations[b]?[a] ?? 0
    }
}

/// The checks, in the order they are made (the first that refuses decides).
public enum RiskCheck: String, Sendable, CaseIterable {
    case tradingState = "trading_state"
    case strategy
    case submitRate = "submit_rate"
    case orderSize = "order_size"
    case notional
    case positionSize = "position_size"
    case openPositions = "open_positions"
    case buyingPower = "buying_power"
    case priceCollar = "price_collar"
    case correlation
    case valueAtRisk = "value_at_risk"
}

/// One decision, recorded with its reason whichever way it went (`risk:decisions`).
public struct RiskDecision: Sendable, Equatable {
    public var allowed: Bool
    /// The check that refused; nil when every check passed.
    public var check: RiskCheck?
    public var reason: String

    public init(allowed: Bool, check: RiskCheck?, reason: String) { self.allowed = allowed; self.check = check; self.reason = reason }

    static func deny(_ check: RiskCheck, _ reason: String) -> RiskDecision { RiskDecision(allowed: false, check: check, reason: reason) }
}

/// Pre-trade risk: every order passes these checks before it is sent (NautilusTrader's and the
/// FIA's list, with the plan's): a pure function of the order, the limits and the context.
public enum PreTradeRisk {
    public static func check(_ order: ProposedOrder, limits: RiskLimits, context c: RiskContext) -> RiskDecision {
        let held = c.positions[order.instrument, default: 0]
        let after = held + order.signed
        let reduces = held != 0 && abs(after) < abs(held) && after.signum() != -held.signum()
        let symbol = order.instrument.symbol

        // Trading state: HALTED lets nothing through; REDUCING only what shrinks a position.
        switch c.state {
        case .halted: return .deny(.tradingState, "trading is HALTED: only cancels go out")
        case .reducing where !reduces: return .deny(.tradingState, "trading is REDUCING: only orders that shrink a position go out")
        default: break
        }
        // The strategy: enabled, inside its window, not paused (closing orders are always let out).
        if let name = order.strategy, !reduces {
            guard let gate = c.strategies[name], gate.enabled else { return .deny(.strategy, "strategy \(name) is not enabled") }
            guard gate.window.contains(c.minuteOfDay) else {
                return .deny(
                    .strategy, "strategy \(name) trades \(clock(gate.window.lowerBound))–\(clock(gate.window.upperBound)), not at \(clock(c.minuteOfDay))")
            }
            if let until = gate.pausedUntil, c.now < until {
                return .deny(.strategy, "strategy \(name) is paused after losing trades for \(Int(until - c.now)) s more")
            }
        }
        // Submit rate: at most so many orders in any second and any minute.
        var lastSecond = 0, lastMinute = 0
        for t in c.recentSubmissions where c.now - t < 60 {
            lastMinute += 1
            if c.now - t < 1 { lastSecond += 1 }
        }
        if lastSecond >= limits.maxOrdersPerSecond { return .deny(.submitRate, "\(lastSecond) orders in the last second (limit \(limits.maxOrdersPerSecond))") }
        if lastMinute >= limits.maxOrdersPerMinute { return .deny(.submitRate, "\(lastMinute) orders in the last minute (limit \(limits.maxOrdersPerMinute))") }

        // One order's size, cut by the extreme-market factor for what opens.
        let factor = reduces ? 1 : c.sizeFactor
        let maxQuantity = Int((Double(order.instrument.isOption ? limits.maxContractsPerOrder : limits.maxSharesPerOrder) * factor).rounded(.down))
        guard order.quantity > 0 else { return .deny(.orderSize, "quantity \(order.quantity) is not positive") }
        if order.quantity > maxQuantity {
            let unit = order.instrument.isOption ? "contracts" : "shares"
            return .deny(.orderSize, "\(order.quantity) \(unit) in one order (limit \(maxQuantity)\(factor < 1 ? ", cut for an extreme market" : ""))")
        }
        guard let quote = c.quotes[order.instrument], quote.bid > 0, quote.ask >= quote.bid else {
            return .deny(.priceCollar, "no two-sided quote for \(order.instrument)")
        }
        let price = order.limitPrice ?? (order.action == .buy ? quote.ask : quote.bid)
        let notional = price * Double(order.quantity) * order.instrument.multiplier
        if notional > limits.maxNotionalPerOrder && !reduces {
            return .deny(.notional, String(format: "$%.0f in one order (limit $%.0f)", notional, limits.maxNotionalPerOrder))
        }
        // The position after the order.
        let maxPosition = order.instrument.isOption ? limits.maxContractsPerPosition : limits.maxSharesPerPosition
        if abs(after) > maxPosition && abs(after) > abs(held) {
            return .deny(.positionSize, "the position would be \(after) (limit \(maxPosition))")
        }
        // Open positions, in all and on the symbol, when the order opens one.
        if held == 0 {
            var open = 0, onSymbol = 0
            for (instrument, quantity) in c.positions where quantity != 0 {
                open += 1
                if instrument.symbol == symbol { onSymbol += 1 }
            }
            if open >= limits.maxOpenPositions { return .deny(.openPositions, "\(open) positions open (limit \(limits.maxOpenPositions))") }
            if onSymbol >= limits.maxOpenPositionsPerSymbol {
                return .deny(.openPositions, "\(onSymbol) positions open on \(symbol) (limit \(limits.maxOpenPositionsPerSymbol))")
            }
        }
        // Buying power: what opens is paid for (options in full, stock at 25 % margin).
        if !reduces {
            let needed = order.instrument.isOption ? notional : notional * 0.25
            if needed > c.buyingPower { return .deny(.buyingPower, String(format: "needs $%.0f, $%.0f available", needed, c.buyingPower)) }
        }
        // The price collar: a limit no further through the touch than the collar allows.
        if let limit = order.limitPrice {
            let collar = order.instrument.isOption ? limits.collarOptions : limits.collarStocks
            let through = order.action == .buy ? (limit - quote.ask) / quote.ask : (quote.bid - limit) / quote.bid
            if through > collar {
                return .deny(
                    .priceCollar,
                    String(
                        format: "limit %.2f is %.1f %% through the %@ (collar %.0f %%)", limit, through * 100, order.action == .buy ? "offer" : "bid",
                        collar * 100))
            }
        }
        // Correlation: not another bet the same way on what moves together.
        if !reduces {
            let direction = exposureSign(order.instrument, order.signed, quote)
            // The most correlated of them is named (ties by instrument): the same words every time,
            // whatever order the book's dictionary keeps.
            var worst: (other: Instrument, rho: Double)?
            for (other, quantity) in c.positions where quantity != 0 && other.symbol != symbol {
                guard let q = c.quotes[other], exposureSign(other, quantity, q) == direction else { continue }
                let rho = c.correlation(symbol, other.symbol)
                guard rho > limits.maxCorrelation else { continue }
                if let w = worst, w.rho > rho || (w.rho == rho && w.other.description < other.description) { continue }
                worst = (other, rho)
            }
            if let (other, rho) = worst {
                return .deny(
                    .correlation,
                    String(
                        format: "%@ moves with the open %@ position (correlation %.2f, limit %.2f), same direction", symbol, other.symbol, rho,
                        limits.maxCorrelation))
            }
        }
        // Value at risk of the book after the order.
        if !reduces {
            var book = c.positions
            book[order.instrument, default: 0] += order.signed
            let after = ValueAtRisk.deltaGamma(book, quotes: c.quotes, volatility: c.volatility, correlation: c.correlation)
            if after > limits.maxValueAtRisk {
                return .deny(.valueAtRisk, String(format: "95 %% one-day VaR would be $%.0f (limit $%.0f)", after, limits.maxValueAtRisk))
            }
        }
        return RiskDecision(allowed: true, check: nil, reason: reduces ? "reduces a position" : "every check passed")
    }

    /// +1 when the position gains as its underlying rises, −1 when it loses.
    static func exposureSign(_ instrument: Instrument, _ quantity: Int, _ quote: RiskQuote) -> Int {
        let delta = instrument.isOption ? quote.delta : 1
        return (Double(quantity) * delta) >= 0 ? 1 : -1
    }

    static func clock(_ minute: Int) -> String { TimeOfDay(minuteOfDay: minute)?.description ?? String(minute) }
}
