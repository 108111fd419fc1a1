import Foundation
import Net
import Testing

@testable import OrchestratorRuntime

@Suite("The tcp health check, on the project's one socket")
struct TCPProbeTests {
    @Test("a listening port passes; a closed port, an unknown name and a silent address fail, each saying why and where")
    func probe() throws {
        let listener = try TCPListener(port: 0)
        let (up, upText) = HealthProbe.tcp(host: "127.0.0.1", port: listener.port, timeout: 1)
        #expect(up && upText == "tcp 127.0.0.1:\(listener.port) accepts connections")
        let (byName, _) = HealthProbe.tcp(host: "localhost", port: listener.port, timeout: 1)
        #expect(byName, "a name is resolved, and its addresses tried in turn")
        let closedPort = listener.port
        listener.close()

        let (down, downText) = HealthProbe.tcp(host: "127.0.0.1", port: closedPort, timeout: 1)
        #expect(!down && downText.contains("127.0.0.1:\(closedPort)") && downText.contains("refused"), "\(downText)")
        let (unknown, unknownText) = HealthProbe.tcp(host: "no-such-host.invalid", port: 80, timeout: 1)
        #expect(!unknown && unknownText.contains("cannot resolve"), "\(unknownText)")
        // A listener that never accepts: once its queue is full the kernel drops new
        // connections' SYNs, and only the deadline ends the wait.
        let stuck = try TCPListener(port: 0)
        defer { stuck.close() }
        var held: [TCPSocket] = []
        var timedOut: String?
        for _ in 0..<200 where timedOut == nil {
            let started = Date()
            let (ok, text) = HealthProbe.tcp(host: "127.0.0.1", port: stuck.port, timeout: 0.2)
            if !ok {
                timedOut = text
                #expect(Date().timeIntervalSince(started) < 1)
            } else if let s = try? TCPSocket.connect(host: "127.0.0.1", port: stuck.port, timeout: 0.2) {
                held.append(s)
            }
        }
        #expect(timedOut?.contains("127.0.0.1:\(stuck.port): no connection within 0.2s") == true, "\(timedOut ?? "never full")")
    }

    @Test("bytes sent in one call arrive whole at the other end, however the kernel splits them")
    func socketsCarryBytes() throws {
        let listener = try TCPListener(port: 0)
        defer { listener.close() }
        let client = try TCPSocket.connect(host: "127.0.0.1", port: listener.port, timeout: 1)
        let server = try #require(listener.accept())
        let payload = (0..<100_000).map { UInt8($0 % 251) }
        Thread {
            try? client.send(payload); client.finish(timeout: 1)
        }.start()
        var received: [UInt8] = []
        while received.count < payload.count, let bytes = try? server.receive(timeout: 1) { received += bytes }
        #expect(received == payload)
    }
}
