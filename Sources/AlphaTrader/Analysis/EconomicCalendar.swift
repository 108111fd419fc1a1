public import OrchestratorCore

/// The published US economic releases (`config/economic-calendar.yaml`): FOMC decisions, CPI,
/// the Employment Situation, PCE — each series with its dates up to the day its published
/// schedule reaches (`known_through`), so that a day past it is reported as unknown, never as
/// a day without releases.
public struct EconomicCalendar: Sendable, Equatable {
    public struct Series: Sendable, Equatable {
        /// The file's key: fomc, cpi, nfp, pce.
        public var name: String
        public var title: String
        public var time: TimeOfDay
        public var source: String
        public var knownThrough: LocalDate
        public var dates: [LocalDate]
        /// FOMC meetings with a Summary of Economic Projections.
        public var projections: Set<LocalDate>
        /// Releases at another time than `time`.
        public var times: [LocalDate: TimeOfDay]
    }

    /// One release on a day.
    public struct Event: Sendable, Equatable, Codable {
        public var series: String
        public var title: String
        /// HH:MM, America/New_York.
        public var time: String
        public var source: String
        public init(series: String, title: String, time: String, source: String) {
            self.series = series; self.title = title; self.time = time; self.source = source
        }
    }

    public var series: [Series]

    /// The releases on `day`, in time order, and the titles of the series whose published
    /// schedule does not reach it.
    public func events(on day: LocalDate) -> (events: [Event], unknown: [String]) {
        var events: [(TimeOfDay, Event)] = []
        var unknown: [String] = []
        for s in series {
            guard day <= s.knownThrough else {
                unknown.append(s.title)
                continue
            }
            guard s.dates.contains(day) else { continue }
            let time = s.times[day] ?? s.time
            let title = s.projections.contains(day) ? s.title + ", with economic projections" : s.title
            events.append((time, Event(series: s.name, title: title, time: Self.hhmm(time), source: s.source)))
        }
        return (events.sorted { $0.0 < $1.0 }.map(\.1), unknown)
    }

    static func hhmm(_ t: TimeOfDay) -> String {
        (t.hour < 10 ? "0" : "") + "\(t.hour):" + (t.minute < 10 ? "0" : "") + "\(t.minute)"
    }

    /// The file read and checked: every problem at its place (a date that is not one, on a
    /// weekend, past `known_through`, out of order or twice; a projection or a time for a day
    /// the series does not list).
    public static func load(_ text: String, file: String) -> Result<EconomicCalendar, Diagnostics> {
        var reader = NodeReader()
        let root: YAMLValue
        switch YAMLValue.parse(text, file: file) {
        case .success(let v): root = v
        case .failure(let d): return .failure(Diagnostics([d]))
        }
        var calendar = EconomicCalendar(series: [])
        let keys = ["title", "time", "source", "known_through", "dates", "projections", "times"]
        for (name, _, body) in reader.mapping(root, "the economic calendar") ?? [] {
            guard let fields = reader.mapping(body, name, allowed: keys) else { continue }
            func field(_ key: String) -> YAMLValue? { fields.first { $0.key == key }?.value }
            for key in ["title", "time", "source", "known_through", "dates"] where field(key) == nil {
                reader.error(body.location, "\(name) needs \(key):")
            }
            guard let titleNode = field("title"), let timeNode = field("time"), let sourceNode = field("source"),
                let throughNode = field("known_through"), let datesNode = field("dates"),
                let title = reader.nonEmptyString(titleNode, "\(name).title"), let time = reader.timeOfDay(timeNode, "\(name).time"),
                let source = reader.nonEmptyString(sourceNode, "\(name).source"), let through = date(throughNode, "\(name).known_through", &reader)
            else { continue }
            var series = Series(
                name: name, title: title, time: time, source: source, knownThrough: through, dates: [], projections: [], times: [:])
            series.dates = releaseDates(datesNode, "\(name).dates", through: through, &reader)
            let listed = Set(series.dates)
            if let node = field("projections") {
                for d in releaseDates(node, "\(name).projections", through: through, &reader) {
                    if listed.contains(d) {
                        series.projections.insert(d)
                    } else {
                        reader.error(node.location, "\(name).projections: \(d) is not one of \(name).dates")
                    }
                }
            }
            if let node = field("times") {
                for (key, keyAt, value) in reader.mapping(node, "\(name).times") ?? [] {
                    guard let d = LocalDate(parsing: key) else {
                        reader.error(keyAt, "\(name).times: \"\(key)\" is not a date (YYYY-MM-DD)")
                        continue
                    }
                    if !listed.contains(d) { reader.error(keyAt, "\(name).times: \(d) is not one of \(name).dates") }
                    if let t = reader.timeOfDay(value, "\(name).times.\(key)") { series.times[d] = t }
                }
            }
            calendar.series.append(series)
        }
        return reader.diagnostics.isEmpty ? .success(calendar) : .failure(Diagnostics(reader.diagnostics))
    }

    private static func date(_ node: YAMLValue, _ what: String, _ reader: inout NodeReader) -> LocalDate? {
        guard let text = reader.string(node, what) else { return nil }
        guard let d = LocalDate(parsing: text), d.description == text else {
            reader.error(node.textLocation, "\(what): \"\(text)\" is not a date (YYYY-MM-DD)")
            return nil
        }
        return d
    }

    /// A list of weekdays in increasing order, none past `through`.
    private static func releaseDates(_ node: YAMLValue, _ what: String, through: LocalDate, _ reader: inout NodeReader) -> [LocalDate] {
        guard case .sequence(let items) = node.kind else {
            reader.error(node.location, "\(what) must be a list of dates, found \(node.typeName)")
            return []
        }
        var dates: [LocalDate] = []
        for item in items {
            guard let d = date(item, "each entry of \(what)", &reader) else { continue }
            if d.isWeekend {
                reader.error(item.textLocation, "\(what): \(d) is a \(d.weekday == 0 ? "Sunday" : "Saturday"): no release is published on a weekend")
            } else if d > through {
                reader.error(item.textLocation, "\(what): \(d) is after known_through \(through)")
            } else if let last = dates.last, d <= last {
                reader.error(item.textLocation, "\(what): \(d) \(d == last ? "is listed twice" : "comes after \(last): keep the dates in order")")
            } else {
                dates.append(d)
            }
        }
        return dates
    }
}
