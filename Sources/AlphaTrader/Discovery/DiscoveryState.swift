import Foundation
import OrchestratorCore

/// What parameter discovery has folded in of one session so far: per symbol, how many rows of
/// `market:{sym}:history` it has read and the running statistics of their returns; per pair of
/// symbols, the running sums of their returns at common bar times. A run reads only the rows
/// after those it has already read, so its work does not grow with the day (issue 16 §0).
///
/// Kept in Redis next to the history it summarizes (`discovery:state`), and thrown away when the
/// session, the symbols or the history under it change.
public struct DiscoveryState: Codable, Sendable, Equatable {
    /// The layout of the stored document; another number is not read.
    public static let layout = 1
    /// Returns this recent (market seconds, behind the newest bar of any symbol) wait for the
    /// other symbols' bars of the same time before they are paired for the correlations: each
    /// symbol's history is read in its own round trip, so one may be a little ahead.
    public static let pairingGrace: Int64 = 60

    public private(set) var layout = DiscoveryState.layout
    public let session: String
    public let symbols: [String]
    public private(set) var perSymbol: [SymbolState]
    /// Pairs i < j, row by row: (0,1), (0,2), …, (1,2), …
    private var pairs: [PairStatistics]

    /// One symbol's part.
    public struct SymbolState: Codable, Sendable, Equatable {
        /// History rows read (valid or not).
        public internal(set) var rows = 0
        /// The last row read, as stored: if the row at `rows − 1` is not this any more, the
        /// history was replaced and everything is read again.
        public internal(set) var lastRow: String?
        /// Valid bars among them.
        public internal(set) var bars = 0
        var lastClose: Double?
        var lastTime: Int64?
        public internal(set) var returns = ReturnStatistics()
        /// Returns not yet paired with the other symbols' (time, return).
        var pending: [TimedReturn] = []
    }

    struct TimedReturn: Codable, Sendable, Equatable {
        var time: Int64
        var value: Double
    }

    public init(session: String, symbols: [String]) {
        self.session = session
        self.symbols = symbols
        perSymbol = Array(repeating: SymbolState(), count: symbols.count)
        pairs = Array(repeating: PairStatistics(), count: symbols.count * (symbols.count - 1) / 2)
    }

    /// Whether this state summarizes `session` over `symbols`.
    public func continues(session: String, symbols: [String]) -> Bool {
        layout == DiscoveryState.layout && self.session == session && self.symbols == symbols
            && perSymbol.count == symbols.count && pairs.count == symbols.count * (symbols.count - 1) / 2
            && perSymbol.allSatisfy { $0.rows >= $0.bars && $0.bars >= 0 && $0.returns.isWellFormed(like: ReturnStatistics()) }
    }

    /// Folds in the next history rows of symbol `index`, in order: `rows` as stored, `bars` the
    /// valid ones among them (time in seconds, close > 0).
    public mutating func advance(symbol index: Int, rows: Int, lastRow: String?, bars: [(Int64, Double)]) {
        var s = perSymbol[index]
        s.rows += rows
        if let lastRow { s.lastRow = lastRow }
        for (time, close) in bars where close > 0 && close.isFinite {
            s.bars += 1
            if let previous = s.lastClose {
                let r = log(close / previous)
                s.returns.add(r)
                s.pending.append(TimedReturn(time: time, value: r))
            }
            s.lastClose = close
            s.lastTime = time
        }
        perSymbol[index] = s
    }

    /// Pairs the returns every symbol can no longer add to (older than the newest bar of any
    /// symbol by more than `pairingGrace`), and forgets them.
    public mutating func settle() {
        guard let newest = perSymbol.compactMap(\.lastTime).max() else { return }
        let watermark = newest - DiscoveryState.pairingGrace
        var ready: [[TimedReturn]] = []
        for i in perSymbol.indices {
            let split = perSymbol[i].pending.partitioningIndex { $0.time > watermark }
            ready.append(Array(perSymbol[i].pending[..<split]))
            perSymbol[i].pending.removeFirst(split)
        }
        DiscoveryState.pair(ready, into: &pairs)
    }

    /// The correlation matrix of the returns so far, the pending ones included (paired on a copy,
    /// so that they are still paired with what arrives later).
    public func correlation() -> [[Double?]] {
        var pairs = self.pairs
        DiscoveryState.pair(perSymbol.map(\.pending), into: &pairs)
        let n = symbols.count
        var matrix = [[Double?]](repeating: [Double?](repeating: nil, count: n), count: n)
        var k = 0
        for i in 0..<n {
            matrix[i][i] = perSymbol[i].returns.count >= Discovery.minimumCommonBars ? 1 : nil
            for j in (i + 1)..<max(i + 1, n) {
                matrix[i][j] = pairs[k].correlation
                matrix[j][i] = matrix[i][j]
                k += 1
            }
        }
        return matrix
    }

    /// Adds every pair of returns at the same time: `returns[i]` in time order.
    private static func pair(_ returns: [[TimedReturn]], into pairs: inout [PairStatistics]) {
        let n = returns.count
        var byTime: [Int64: [(Int, Double)]] = [:]
        for i in 0..<n {
            for r in returns[i] { byTime[r.time, default: []].append((i, r.value)) }
        }
        // In time order, so that the sums (and so the last digits) are the same on every run.
        for time in byTime.keys.sorted() {
            guard let present = byTime[time], present.count > 1 else { continue }
            for a in 0..<present.count {
                for b in (a + 1)..<present.count {
                    let (i, x) = present[a], (j, y) = present[b]
                    let (low, high, u, v) = i < j ? (i, j, x, y) : (j, i, y, x)
                    pairs[low * (2 * n - low - 1) / 2 + (high - low - 1)].add(u, v)
                }
            }
        }
    }
}
