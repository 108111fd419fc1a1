import Foundation

/// `0dte` (SPY, QQQ, IWM; 09:45–15:00): gamma-driven, on same-day options chosen by delta.
///
/// With d = (price − flip) / flip in percent and b = `flip_buffer_pct`:
/// - **below the flip** (d < −b): dealers are short gamma and hedge with the move — momentum in
///   the order book's direction, when VPIN ≥ `vpin_high` (informed flow) and |imbalance| ≥
///   `imbalance_strong`. Confidence = 0.4·g + 0.3·v + 0.3·i with g = min(1, |d| / 1 %),
///   v = ½ + ½·(VPIN − vpin_high) / (1 − vpin_high), i = ½ + ½·(|imb| − strong) / (1 − strong).
/// - **above the flip** (d > b): dealers are long gamma and damp moves — mean reversion toward the
///   strike p holding the most gamma among those where dealers are long it (the pin; a
///   short-gamma strike repels), when it is at least b away. With e = (p − price) / price in percent:
///   confidence = 0.35·min(1, |e| / 0.5 %) + 0.25·min(1, d / 1 %) + 0.2·(1 − VPIN / vpin_high)
///   + 0.2·min(1, share(p) / 25 %).
/// - within the buffer: no trade.
/// A call for long, a put for short, expiring at today's close, strike by |delta| nearest
/// `delta_target`; entry at the model's price, the stop and targets from the exits.
public enum ZeroDTE {
    public static func evaluate(_ config: StrategyConfig, _ snapshot: StrategySnapshot) -> StrategyResult {
        var result = StrategyResult()
        let t = config.thresholds
        let vpinHigh = t["vpin_high"]!, strong = t["imbalance_strong"]!, buffer = t["flip_buffer_pct"]!
        for symbol in config.symbols {
            guard let x = ready(config, snapshot, symbol, &result) else { continue }
            guard let flip = x.flip, flip > 0 else {
                result.skip(symbol, "no gamma flip from the premarket data")
                continue
            }
            let d = (x.price - flip) / flip * 100
            var features: [String: Double] = ["distance_to_flip_pct": d]
            let direction: Signal.Direction
            let confidence: Double
            let why: String
            if d < -buffer {
                guard let vpin = x.vpin, let imbalance = x.imbalance else {
                    result.skip(symbol, "no VPIN or order-book imbalance yet")
                    continue
                }
                guard vpin >= vpinHigh else {
                    result.skip(symbol, String(format: "below the flip but VPIN %.2f < %.2f", vpin, vpinHigh))
                    continue
                }
                guard abs(imbalance) >= strong else {
                    result.skip(symbol, String(format: "below the flip but the book is balanced (imbalance %+.2f)", imbalance))
                    continue
                }
                let g = unit(abs(d) / 1), v = 0.5 + 0.5 * unit((vpin - vpinHigh) / (1 - vpinHigh)),
                    i = 0.5 + 0.5 * unit((abs(imbalance) - strong) / (1 - strong))
                confidence = 0.4 * g + 0.3 * v + 0.3 * i
                direction = imbalance > 0 ? .long : .short
                features["vpin"] = vpin; features["imbalance"] = imbalance
                why = String(
                    format: "%@ is %@ from the gamma flip %.2f (dealers short gamma), VPIN %.2f ≥ %.2f, %@ lead the book (imbalance %+.2f): momentum %@",
                    symbol, percent(d), flip, vpin, vpinHigh, imbalance > 0 ? "bids" : "offers", imbalance, direction.rawValue)
            } else if d > buffer {
                guard let pin = x.gammaStrikes.first(where: \.long) else {
                    result.skip(symbol, "above the flip but no strike where dealers are long gamma")
                    continue
                }
                let e = (pin.strike - x.price) / x.price * 100
                guard abs(e) >= buffer else {
                    result.skip(symbol, String(format: "above the flip and already at the pin %.2f", pin.strike))
                    continue
                }
                let calm = x.vpin.map { unit(1 - $0 / vpinHigh) } ?? 0.5
                confidence = 0.35 * unit(abs(e) / 0.5) + 0.25 * unit(d / 1) + 0.2 * calm + 0.2 * unit(pin.share / 0.25)
                direction = e > 0 ? .long : .short
                features["distance_to_pin_pct"] = e; features["pin_share"] = pin.share
                if let vpin = x.vpin { features["vpin"] = vpin }
                why = String(
                    format:
                        "%@ is %@ above the gamma flip %.2f (dealers long gamma, moves damped) and %@ from the largest-gamma strike %.2f (%.0f %% of gamma): mean reversion %@",
                    symbol, percent(d), flip, percent(e), pin.strike, pin.share * 100, direction.rawValue)
            } else {
                result.skip(symbol, String(format: "within %.2f %% of the gamma flip %.2f: no edge", buffer, flip))
                continue
            }
            result.optionSignal(config, snapshot, x, direction, confidence: confidence, expiry: snapshot.today, features: features) { why }
        }
        return result
    }
}

extension StrategyResult {
    /// The end every option strategy shares: the confidence against the floor, the option by
    /// delta on `expiry`, the signal with its exits — or the reason it stopped there. The reason
    /// in words is only written for a signal.
    mutating func optionSignal(
        _ config: StrategyConfig, _ snapshot: StrategySnapshot, _ x: SymbolSnapshot, _ direction: Signal.Direction, confidence: Double,
        expiry: StrategySnapshot.Expiry, features: [String: Double], reason: () -> String
    ) {
        guard confidence >= config.minConfidence else {
            skip(x.symbol, String(format: "confidence %.2f below %.2f", confidence, config.minConfidence))
            return
        }
        let target = config.thresholds["delta_target"]!
        guard
            let option = OptionChooser.byDelta(
                symbol: x.symbol, spot: x.price, long: direction == .long, target: target, expiry: expiry.date, expiresAt: expiry.closesAt,
                now: snapshot.now)
        else {
            skip(x.symbol, "no option near delta \(target)")
            return
        }
        var features = features
        features["confidence"] = confidence
        features["option_delta"] = option.delta
        signals.append(
            StrategyExits.signal(config, snapshot, x.symbol, direction, option.instrument, modelPrice: option.price, confidence, features, reason()))
    }
}

/// The entry, stop and targets every strategy's signal carries, from its exits.
enum StrategyExits {
    static func signal(
        _ config: StrategyConfig, _ snapshot: StrategySnapshot, _ symbol: String, _ direction: Signal.Direction, _ instrument: Instrument,
        modelPrice: Double, _ confidence: Double, _ features: [String: Double], _ reason: String
    ) -> Signal {
        // What is bought has its stop below and targets above; a stock sold short the other way round.
        let sign = Signal.entryAction(instrument, direction) == .buy ? 1.0 : -1.0
        let entry = TickSize.round(modelPrice, for: instrument)
        let stop = TickSize.round(entry * (1 - sign * config.exits.stopPercent / 100), for: instrument)
        let targets = config.exits.targets.map { TickSize.round(entry * (1 + sign * $0.percent / 100), for: instrument) }
        return Signal(
            time: snapshot.now, strategy: config.kind.rawValue, symbol: symbol, direction: direction, instrument: instrument, entry: entry,
            stop: stop, targets: targets, confidence: (confidence * 1000).rounded() / 1000, features: features, reason: reason)
    }
}
