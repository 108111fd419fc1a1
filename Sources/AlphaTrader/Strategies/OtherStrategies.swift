import Foundation

/// The checks every strategy makes before its own: in its window, nothing live on the symbol,
/// market data present. Returns the symbol's snapshot, or records why not.
func ready(_ config: StrategyConfig, _ snapshot: StrategySnapshot, _ symbol: String, _ result: inout StrategyResult) -> SymbolSnapshot? {
    guard config.window.contains(snapshot.minuteOfDay) else {
        result.skip(symbol, "outside the window")
        return nil
    }
    guard snapshot.live[config.kind.rawValue]?.contains(symbol) != true else {
        result.skip(symbol, "a live signal or position already")
        return nil
    }
    guard let x = snapshot.symbols[symbol], x.price > 0 else {
        result.skip(symbol, "no market data")
        return nil
    }
    return x
}

/// `1dte` (SPY, QQQ, IWM; 15:00–15:50): an overnight position on the next session's expiry in
/// the direction of the day, when the day's trend, the closing flow and the sentiment agree.
///
/// trend = (price − open) / open in percent, at least `trend_min_pct`; the options flow (net
/// premium, −1…1) of the same sign and at least `flow_min`; the sentiment, when there is one (ETFs
/// have no news), of the same sign and at least `sentiment_min`. Confidence = (0.4·min(1, |trend| / 1 %)
/// + 0.3·min(1, |flow| / 0.5) + 0.2·min(1, |sentiment| / 0.5) + 0.1·[price beyond the VWAP in the
/// trend's direction]) over the weights of the features there are — without a sentiment, 0.8.
public enum OneDTE {
    public static func evaluate(_ config: StrategyConfig, _ snapshot: StrategySnapshot) -> StrategyResult {
        var result = StrategyResult()
        let t = config.thresholds
        for symbol in config.symbols {
            guard let x = ready(config, snapshot, symbol, &result) else { continue }
            // ETFs have no news: without a sentiment its check is not made and its term is 0.
            guard x.open > 0, let flow = x.flow else {
                result.skip(symbol, "no open or flow yet")
                continue
            }
            let trend = (x.price - x.open) / x.open * 100
            let sign: Double = trend >= 0 ? 1 : -1
            guard abs(trend) >= t["trend_min_pct"]! else {
                result.skip(symbol, String(format: "the day moved %@, less than %.2f %%", percent(trend), t["trend_min_pct"]!))
                continue
            }
            guard flow * sign >= t["flow_min"]! else {
                result.skip(symbol, String(format: "the flow %+.2f does not back the day's move %@", flow, percent(trend)))
                continue
            }
            let sentiment = x.sentiment ?? 0
            guard x.sentiment == nil || sentiment * sign >= t["sentiment_min"]! else {
                result.skip(symbol, String(format: "the sentiment %+.2f does not back the day's move %@", sentiment, percent(trend)))
                continue
            }
            let beyondVWAP = (x.price - x.vwap) * sign > 0
            // Without news the other features carry its weight: a confidence is out of what was seen.
            let weights = x.sentiment == nil ? 0.8 : 1
            let confidence =
                (0.4 * unit(abs(trend) / 1) + 0.3 * unit(abs(flow) / 0.5) + 0.2 * unit(abs(sentiment) / 0.5) + (beyondVWAP ? 0.1 : 0)) / weights
            let direction: Signal.Direction = sign > 0 ? .long : .short
            result.optionSignal(
                config, snapshot, x, direction, confidence: confidence, expiry: snapshot.nextSession,
                features: ["trend_pct": trend, "flow": flow, "sentiment": sentiment, "beyond_vwap": beyondVWAP ? 1 : 0]
            ) {
                String(
                    format: "%@ moved %@ on the day with the flow (%+.2f) and the sentiment (%+.2f) behind it%@: overnight %@ on the next session's expiry",
                    symbol, percent(trend), flow, sentiment, beyondVWAP ? ", beyond its VWAP" : "", direction.rawValue)
            }
        }
        return result
    }
}

/// `14dte` (the single stocks; 09:45–15:30): unusual options activity followed when the flow
/// and the sentiment point the same way, on the weekly expiry nearest two weeks out.
///
/// Unusual: volume/open interest at least `volume_oi_min` and premium at least `premium_min`, on
/// the side (calls +1, puts −1) that the flow's sign shares, with the sentiment that way by at
/// least `sentiment_min`. Confidence = 0.35·min(1, (V/OI) / (2·volume_oi_min)) +
/// 0.25·min(1, premium / (4·premium_min)) + 0.2·min(1, sweeps / 3) + 0.2·min(1, |sentiment| / 0.5).
public enum FourteenDTE {
    public static func evaluate(_ config: StrategyConfig, _ snapshot: StrategySnapshot) -> StrategyResult {
        var result = StrategyResult()
        let t = config.thresholds
        for symbol in config.symbols {
            guard let x = ready(config, snapshot, symbol, &result) else { continue }
            guard let u = x.unusual, u.side != 0 else {
                result.skip(symbol, "no unusual options activity")
                continue
            }
            guard u.volumeToOpenInterest >= t["volume_oi_min"]!, u.premium >= t["premium_min"]! else {
                result.skip(symbol, String(format: "activity not unusual enough (volume/OI %.2f, premium $%.0f)", u.volumeToOpenInterest, u.premium))
                continue
            }
            let side = Double(u.side)
            guard let flow = x.flow, flow * side > 0 else {
                result.skip(symbol, "the flow does not point the way of the unusual \(u.side > 0 ? "calls" : "puts")")
                continue
            }
            guard let sentiment = x.sentiment, sentiment * side >= t["sentiment_min"]! else {
                result.skip(symbol, "the sentiment does not back the unusual \(u.side > 0 ? "calls" : "puts")")
                continue
            }
            let confidence =
                0.35 * unit(u.volumeToOpenInterest / (2 * t["volume_oi_min"]!)) + 0.25 * unit(u.premium / (4 * t["premium_min"]!))
                + 0.2 * unit(Double(u.sweeps) / 3) + 0.2 * unit(abs(sentiment) / 0.5)
            let direction: Signal.Direction = u.side > 0 ? .long : .short
            result.optionSignal(
                config, snapshot, x, direction, confidence: confidence, expiry: snapshot.twoWeeks,
                features: ["volume_to_oi": u.volumeToOpenInterest, "premium": u.premium, "sweeps": Double(u.sweeps), "flow": flow, "sentiment": sentiment]
            ) {
                String(
                    format: "unusual %@ on %@ (volume %.1f× open interest, $%.0fk premium, %d sweeps) with the flow (%+.2f) and the sentiment (%+.2f): %@",
                    u.side > 0 ? "calls" : "puts", symbol, u.volumeToOpenInterest, u.premium / 1000, u.sweeps, flow, sentiment, direction.rawValue)
            }
        }
        return result
    }
}

/// `moc` (SPY, QQQ, IWM; 15:30–15:50): the gamma pin — late in the day, with dealers long gamma,
/// the price is drawn to a strike holding a large share of the gamma; traded in stock toward the
/// pin and closed at the close.
///
/// With GEX > 0 (at the live price, from the analytics service) and the pin p — the strike
/// holding the largest share of the gamma among those where dealers are long it (short-gamma
/// strikes repel rather than pin), at least `gamma_share_min` —, e = (p − price) / price in
/// percent between 0.05 % and `pin_distance_pct`: confidence =
/// 0.4·min(1, share / (2·gamma_share_min)) + 0.3·(1 − |e| / pin_distance_pct) + 0.3·(how far into
/// the window, 0…1). The target is the pin itself.
public enum MarketOnClose {
    public static func evaluate(_ config: StrategyConfig, _ snapshot: StrategySnapshot) -> StrategyResult {
        var result = StrategyResult()
        let t = config.thresholds
        let minShare = t["gamma_share_min"]!, maxDistance = t["pin_distance_pct"]!
        for symbol in config.symbols {
            guard let x = ready(config, snapshot, symbol, &result) else { continue }
            guard let gex = x.gex, gex > 0 else {
                result.skip(symbol, "dealers are not long gamma: no pin")
                continue
            }
            guard let pin = x.gammaStrikes.first(where: \.long), pin.share >= minShare else {
                result.skip(symbol, "no strike where dealers are long gamma holds \(Int((minShare * 100).rounded())) % of it")
                continue
            }
            let e = (pin.strike - x.price) / x.price * 100
            guard abs(e) >= 0.05, abs(e) <= maxDistance else {
                result.skip(symbol, String(format: "%@ from the pin %.2f: %@", percent(e), pin.strike, abs(e) < 0.05 ? "already there" : "too far to be drawn"))
                continue
            }
            let span = Double(config.window.upperBound - config.window.lowerBound)
            let late = span > 0 ? unit(Double(snapshot.minuteOfDay - config.window.lowerBound) / span) : 1
            let confidence = 0.4 * unit(pin.share / (2 * minShare)) + 0.3 * (1 - abs(e) / maxDistance) + 0.3 * late
            guard confidence >= config.minConfidence else {
                result.skip(symbol, String(format: "confidence %.2f below %.2f", confidence, config.minConfidence))
                continue
            }
            let direction: Signal.Direction = e > 0 ? .long : .short
            let stock = Instrument.stock(symbol: symbol)
            var signal = StrategyExits.signal(
                config, snapshot, symbol, direction, stock, modelPrice: x.price, confidence,
                ["distance_to_pin_pct": e, "pin_share": pin.share, "gex": gex, "late": late, "confidence": confidence],
                String(
                    format:
                        "%@ is %@ from the strike %.2f holding %.0f %% of the gamma, dealers long gamma, %.0f %% into the window: toward the pin (%@), flat at the close",
                    symbol, percent(e), pin.strike, pin.share * 100, late * 100, direction.rawValue))
            signal.targets = [TickSize.round(pin.strike, for: stock)]
            result.signals.append(signal)
        }
        return result
    }
}

/// Every enabled strategy of the file over one snapshot.
public enum Strategies {
    public static func evaluate(_ config: StrategiesConfig, _ snapshot: StrategySnapshot) -> [String: StrategyResult] {
        var results: [String: StrategyResult] = [:]
        for s in config.strategies where s.enabled {
            switch s.kind {
            case .zeroDTE: results[s.kind.rawValue] = ZeroDTE.evaluate(s, snapshot)
            case .oneDTE: results[s.kind.rawValue] = OneDTE.evaluate(s, snapshot)
            case .fourteenDTE: results[s.kind.rawValue] = FourteenDTE.evaluate(s, snapshot)
            case .moc: results[s.kind.rawValue] = MarketOnClose.evaluate(s, snapshot)
            }
        }
        return results
    }
}
