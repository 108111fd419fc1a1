import Testing

@testable import OrchestratorCore

@Suite("Simulated clock (ORCHESTRATOR_CLOCK)")
struct WallClockTests {
    @Test("at speed 600 one real second is ten simulated minutes")
    func speed() {
        let clock = SimulatedClock(
            simulatedAnchor: Double(instant("2026-11-27T14:00:00Z")), realAnchor: 1000, speed: 600,
            realClock: { 1001 })
        #expect(TimeFormat.utc(Int64(clock.now())) == "2026-11-27T14:10:00Z")
        #expect(clock.real(atSimulated: Double(instant("2026-11-27T15:00:00Z"))) == 1006)
    }

    @Test("the environment form round-trips, fractions included")
    func roundTrip() throws {
        let clock = SimulatedClock(simulatedAnchor: Double(instant("2026-11-27T14:00:00Z")) + 0.5, realAnchor: 1_795_791_600.25, speed: 600)
        #expect(clock.environmentValue == "sim=2026-11-27T14:00:00.500Z;real=1795791600.250;speed=600.0")
        #expect(try SimulatedClock(parsing: clock.environmentValue) == clock)
    }

    @Test(
        "a malformed ORCHESTRATOR_CLOCK is an error that quotes it",
        arguments: [
            "", "sim=2026-11-27T14:00:00Z", "sim=yesterday;real=1;speed=1", "sim=2026-11-27T14:00:00Z;real=x;speed=1",
            "sim=2026-11-27T14:00:00Z;real=1;speed=0", "sim=2026-11-27T14:00:00Z;real=1;speed=-3",
            "sim=2026-11-27T14:00:00Z;real=1;speed=1;tz=UTC", "garbage", "sim=2026-11-27T14:00:00Z;real=0;speed=1e30",
            "sim=2026-11-27T14:00:00Z;real=1e300;speed=1", "sim=2026-11-27T14:00:00Z;real=nan;speed=1",
        ])
    func malformed(text: String) {
        #expect(throws: SimulatedClock.ParseError.self) { try SimulatedClock(parsing: text) }
    }

    @Test("without ORCHESTRATOR_CLOCK the system clock is used")
    func systemByDefault() throws {
        #expect(try SimulatedClock.fromEnvironment([:]) is SystemClock)
        #expect(try SimulatedClock.fromEnvironment(["ORCHESTRATOR_CLOCK": "sim=2026-11-27T14:00:00Z;real=1;speed=1"]) is SimulatedClock)
    }
}
