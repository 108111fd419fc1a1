public import AlphaTrader
import Foundation
public import OrchestratorCore
import Synchronization

extension TWSSimulator {
    /// A connection to the simulator from the same process, for a backtest: `BrokerConnection`
    /// speaks the TWS protocol to it byte for byte as it would over a socket, and the simulator
    /// answers on the caller's thread — the same handshake, order messages, account values,
    /// executions and quotes, no socket, no thread.
    ///
    /// Time is the backtest's: when the client waits for something the simulator has not said
    /// yet (a fill), `idle` lets that much market time pass (the world moves the clock on and the
    /// working orders meet the market), then what that produced is read.
    public final class InProcessConnection: TWSTransport {
        private let simulator: TWSSimulator
        private let session: Session
        private let id: Int
        private let idle: (Double) -> Void
        public let timer: any WallClock
        private var decoder = TWSWire.Decoder()
        private var hello: [UInt8] = []
        private var greeted = false
        private var inbox: [UInt8] = []
        private var closed = false

        init(simulator: TWSSimulator, session: Session, id: Int, timer: any WallClock, idle: @escaping (Double) -> Void) {
            self.simulator = simulator; self.session = session; self.id = id; self.timer = timer; self.idle = idle
        }

        public func send(_ bytes: [UInt8]) throws {
            guard !closed else { throw TWSError(.closed, "the in-process connection is closed") }
            var rest = bytes[...]
            if !greeted {
                hello += bytes
                guard hello.count >= 8, hello.count >= 8 + helloLength else { return }
                guard Array(hello.prefix(4)) == Array("API".utf8) + [0],
                    let range = TWSSimulator.versions(String(decoding: hello[8..<(8 + helloLength)], as: UTF8.self))
                else { throw TWSError(.protocolError, "not the TWS API hello") }
                greeted = true
                inbox += TWSWire.frame([String(min(TWSWire.serverVersion, range.upperBound)), TWSSimulator.connectionTime()])
                rest = hello[(8 + helloLength)...]
                hello = []
            }
            decoder.append(rest)
            while let fields = try decoder.next() { try simulator.handle(fields, session, &inbox, client: id) }
        }

        private var helloLength: Int { Int(hello[4]) << 24 | Int(hello[5]) << 16 | Int(hello[6]) << 8 | Int(hello[7]) }

        public func receive(timeout: Double) throws -> ArraySlice<UInt8>? {
            guard !closed else { throw TWSError(.closed, "the in-process connection is closed") }
            try pump()
            if inbox.isEmpty && timeout > 0 {
                idle(timeout)
                try pump()
            }
            guard !inbox.isEmpty else { return nil }
            defer { inbox.removeAll(keepingCapacity: true) }
            return inbox[...]
        }

        /// What the market's moves and other connections left for this one, the option quotes
        /// due and the subscribed market data up to the clock.
        private func pump() throws {
            guard greeted else { return }
            if simulator.desk != nil {
                simulator.drainOutbox(session, &inbox)
                simulator.optionTicks(session, &inbox)
            }
            try simulator.play(session, &inbox)
        }

        public func pause(_ seconds: Double) { if seconds > 0 { idle(seconds) } }

        public func close() {
            guard !closed else { return }
            closed = true
            _ = simulator.sessions.withLock { $0.removeValue(forKey: id) }
        }
    }

    /// A new in-process connection (`InProcessConnection`), its tape read up to the simulator's
    /// clock as a socket connection joining the session would.
    public func connectInProcess(timer: any WallClock, idle: @escaping (Double) -> Void) throws -> InProcessConnection {
        let reader = try TapeReader(path: tapePath, verify: false)
        let session = Session(reader: reader)
        if case .clock(let clock) = pace {
            let now = Int64(clock.now() * 1_000_000)
            while let t = reader.peekTime(), t < now, let event = try reader.next() { session.absorb(event) }
        }
        let id = clients.withLock { n -> Int in
            n += 1
            return n
        }
        sessions.withLock { $0[id] = session }
        return InProcessConnection(simulator: self, session: session, id: id, timer: timer, idle: idle)
    }
}
