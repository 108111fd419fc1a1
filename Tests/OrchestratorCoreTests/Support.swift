import Foundation

@testable import OrchestratorCore

/// Epoch seconds of an ISO-8601 instant with `Z` or an offset; traps on a typo in a test table.
func instant(_ text: String) -> Int64 {
    guard let t = TimeFormat.parseInstant(text, zone: ZoneRules.named("UTC")!) else {
        fatalError("bad instant in test: \(text)")
    }
    return t
}

func date(_ text: String) -> LocalDate {
    LocalDate(parsing: text)!
}

let newYork = ZoneRules.named("America/New_York")!
let london = ZoneRules.named("Europe/London")!

/// The next `count` fires after `after`, as local times with offsets.
func fires(_ expression: String, _ zone: ZoneRules, after: String, count: Int) throws -> [String] {
    let cron = try CronExpression(parsing: expression)
    var t = instant(after)
    var out: [String] = []
    for _ in 0..<count {
        guard let next = cron.nextFire(after: t, in: zone) else { break }
        out.append(TimeFormat.local(next, in: zone))
        t = next
    }
    return out
}

/// The repository's root, for the committed job files and fixtures.
let repositoryRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
}()
