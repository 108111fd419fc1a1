import AlphaTrader
import ArgumentParser
import Foundation
import OrchestratorCore

/// Options every subcommand takes.
struct CommonOptions: ParsableArguments {
    @Option(name: .long, help: "The configuration file (SPEC §2).")
    var config = "config/config.yaml"
}

/// Turns the library's failures into the exit statuses of SPEC §8: 2 for invalid input, 1 for
/// a failure, with one line on stderr.
func invalidInput(_ message: String) -> ExitCode {
    FileHandle.standardError.write(Data("alphatrader: error: \(message)\n".utf8))
    return ExitCode(2)
}

func failure(_ message: String) -> ExitCode {
    FileHandle.standardError.write(Data("alphatrader: error: \(message)\n".utf8))
    return ExitCode(1)
}

/// Where the data a backup copies and a restore puts back lives.
struct DataLocations: ParsableArguments {
    @Option(help: "The trade journal.") var journal = "var/trading.sqlite"
    @Option(help: "The distribution outbox.") var outbox = "var/distribution.sqlite"
    @Option(help: "The configuration directory.") var configDirectory = "config"
    @Option(help: "The reports directory (one directory a session).") var reports = "var/reports"
}

/// The day `--date` names (YYYY-MM-DD), or the clock's day in the exchange's zone.
func chosenDay(_ context: AlphaContext, date: String?) throws -> LocalDate {
    guard let date else { return ZoneRules.of(context.config.calendar.timeZone).localDate(of: Int64(context.clock.now())) }
    guard let d = LocalDate(parsing: date) else { throw invalidInput("--date \(date): expected YYYY-MM-DD") }
    return d
}

/// The session on `day`, or invalid input naming why there is none.
func session(on day: LocalDate, _ calendar: any ExchangeCalendar) throws -> Session {
    do {
        guard let session = try calendar.session(on: day) else {
            let why = calendar.closureReason(on: day) ?? (day.isWeekend ? "a weekend" : "closed")
            throw invalidInput("\(day) is not a trading day on \(calendar.code) (\(why))")
        }
        return session
    } catch let error as CalendarError {
        throw invalidInput(error.description)
    }
}

func loadContext(_ options: CommonOptions, module: String) throws -> AlphaContext {
    do { return try AlphaContext.load(configPath: options.config, module: module) } catch { throw invalidInput(error.description) }
}

/// The session a tape is for: the given date, or the clock's trading day (today's session, or
/// the next one on a closed day).
func tapeSession(_ context: AlphaContext, date: String?) throws -> Session {
    let calendar = context.config.calendar
    do {
        if let date {
            guard let day = LocalDate(parsing: date) else { throw invalidInput("--date \(date): expected YYYY-MM-DD") }
            return try session(on: day, calendar)
        }
        let now = Int64(context.clock.now())
        let today = ZoneRules.of(calendar.timeZone).localDate(of: now)
        if let session = try calendar.session(on: today) { return session }
        return try calendar.nextSession(after: today)
    } catch let error as CalendarError {
        throw invalidInput(error.description)
    }
}

/// Parses `HH:MM` on a session's date into epoch seconds, in the exchange's zone.
func instant(_ text: String, on session: Session, calendar: any ExchangeCalendar, option: String) throws -> Int64 {
    let parts = text.split(separator: ":")
    guard parts.count == 2, let h = Int(parts[0]), let m = Int(parts[1]), (0..<24).contains(h), (0..<60).contains(m) else {
        throw invalidInput("\(option) \(text): expected HH:MM")
    }
    return ZoneRules.of(calendar.timeZone).instant(of: session.date, secondsOfDay: Int64(h * 3600 + m * 60))
}

/// The sessions from one date to another, both given as options (`--from-date`, `--from`):
/// malformed dates, a range backwards and a range with no session are invalid input.
func sessionsBetween(_ context: AlphaContext, from: (text: String, option: String), to: (text: String, option: String)) throws -> [Session] {
    guard let first = LocalDate(parsing: from.text) else { throw invalidInput("\(from.option) \(from.text): expected YYYY-MM-DD") }
    guard let last = LocalDate(parsing: to.text) else { throw invalidInput("\(to.option) \(to.text): expected YYYY-MM-DD") }
    guard first <= last else { throw invalidInput("\(from.option) \(from.text) is after \(to.option) \(to.text)") }
    let sessions: [Session]
    do { sessions = try context.config.calendar.sessions(from: first, through: last) } catch { throw invalidInput("\(error)") }
    guard !sessions.isEmpty else { throw invalidInput("\(from.text) … \(to.text): no trading session in the range") }
    return sessions
}

func defaultTapePath(_ session: Session) -> String { "var/tapes/\(session.date).tape" }

/// Writes the tape of `session` for the configured symbols (replay-gen, and ingest when the
/// day's tape is missing); exit 1 when it cannot be written.
func writeTape(
    _ context: AlphaContext, session: Session, seed: UInt64, path: String, from: Int64? = nil, to: Int64? = nil, calendar: Bool = false
) throws -> TapeGenerator.Summary {
    let symbols = context.config.symbols
    // The index ETFs are pinned in the last hour where the stand-in's open interest pins them.
    let pinning = AlphaVantagePayloads.standIn(date: session.date.description, level2: symbols.level2, standard: symbols.standard)
        .pinning(from: session.close - 3600, calendar: context.config.calendar)
    var options = TapeGenerator.Options(
        date: session.date.description, seed: seed, level2: symbols.level2, standard: symbols.standard, open: session.open, close: session.close,
        from: from, to: to, pinning: pinning)
    if calendar {
        let day = calendarDay(seed, session)
        options.seed = day.seed
        options.regime = day.regime
        options.openingSeed = TapeGenerator.defaultSeed
    }
    do { return try TapeGenerator(options: options).write(to: path) } catch { throw failure(error.description) }
}

/// A session's tape in a calendar of tapes (`replay-gen --from-date`, `backtest --from`): the
/// calendar's seed mixed with the date, the day's regime drawn from that; it opens where the
/// premarket stand-in quotes its options (the default seed's opening prices).
func calendarDay(_ seed: UInt64, _ session: Session) -> (seed: UInt64, regime: TapeGenerator.Regime) {
    let daySeed = TapeGenerator.daySeed(seed, day: session.date.daysSinceEpoch)
    return (daySeed, .drawn(seed: daySeed))
}

/// `config/strategies.yaml` read and validated against the configured symbols: every problem
/// printed at its place and exit 2.
func loadStrategies(_ context: AlphaContext, file: String) throws -> StrategiesConfig {
    guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { throw invalidInput("\(file): cannot be read") }
    switch StrategiesConfig.load(text, file: file, symbols: context.config.symbols.all) {
    case .success(let config): return config
    case .failure(let problems):
        FileHandle.standardError.write(Data((problems.description + "\n").utf8))
        throw ExitCode(2)
    }
}
