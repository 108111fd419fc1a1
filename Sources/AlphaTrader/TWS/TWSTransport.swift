import Foundation
import Net
public import OrchestratorCore

/// What `BrokerConnection` speaks the TWS API over: a TCP socket to TWS, IB Gateway or tws-sim
/// (live), or the paper broker in the same process (a backtest: the same bytes, no socket).
public protocol TWSTransport: AnyObject {
    /// Writes the bytes (whole frames).
    func send(_ bytes: [UInt8]) throws
    /// What arrived within `timeout` seconds of the transport's time; nil when nothing did.
    func receive(timeout: Double) throws -> ArraySlice<UInt8>?
    /// Lets `seconds` of the transport's time pass (the client paces its requests).
    func pause(_ seconds: Double)
    func close()
    /// The transport's time, seconds: what the connection's timeouts and pacing are measured on
    /// (the machine's clock over a socket; the backtest's market clock in process).
    var timer: any WallClock { get }
}

/// TWS over TCP: the machine's clock, real sleeps.
final class TCPTransport: TWSTransport {
    private let socket: TCPSocket
    let timer: any WallClock = SystemClock()

    init(_ socket: TCPSocket) { self.socket = socket }

    static func connect(host: String, port: Int, timeout: Double) throws -> TCPTransport {
        TCPTransport(try TCPSocket.connect(host: host, port: port, timeout: timeout))
    }

    func send(_ bytes: [UInt8]) throws { try socket.send(bytes) }
    func receive(timeout: Double) throws -> ArraySlice<UInt8>? { try socket.receive(timeout: timeout) }
    func pause(_ seconds: Double) { if seconds > 0 { Thread.sleep(forTimeInterval: seconds) } }
    func close() { socket.close() }
}
