public import OrchestratorCore

/// `config/distribution.yaml`: the tiers (channels, delay, detail) and each channel's rate limit.
public struct DistributionConfig: Sendable, Equatable {
    public enum Channel: String, Sendable, CaseIterable, Codable { case discord, telegram, x }
    public enum Detail: String, Sendable, CaseIterable, Codable { case full, basic, teaser }

    public struct Tier: Sendable, Equatable {
        public var name: String
        public var channels: [Channel]
        /// Seconds after the signal (market time).
        public var delay: Double
        public var detail: Detail
        public init(name: String, channels: [Channel], delay: Double, detail: Detail) {
            self.name = name; self.channels = channels; self.delay = delay; self.detail = detail
        }
    }

    public struct Limit: Sendable, Equatable {
        public var messages: Int
        /// Seconds.
        public var per: Double
        public init(messages: Int, per: Double) { self.messages = messages; self.per = per }
    }

    public var tiers: [Tier]
    public var limits: [Channel: Limit]

    public init(tiers: [Tier], limits: [Channel: Limit]) { self.tiers = tiers; self.limits = limits }

    /// The published limits, for a channel the file does not limit.
    public static let publishedLimits: [Channel: Limit] = [
        .discord: Limit(messages: 5, per: 2), .telegram: Limit(messages: 20, per: 60), .x: Limit(messages: 100, per: 86_400),
    ]

    public static func load(_ text: String, file: String) -> Result<DistributionConfig, Diagnostics> {
        var reader = NodeReader()
        let root: YAMLValue
        switch YAMLValue.parse(text, file: file) {
        case .success(let v): root = v
        case .failure(let d): return .failure(Diagnostics([d]))
        }
        var config = DistributionConfig(tiers: [], limits: publishedLimits)
        var sawTiers = false
        for (key, keyAt, value) in reader.mapping(root, "the distribution file", allowed: ["tiers", "limits"]) ?? [] {
            if key == "tiers" {
                sawTiers = true
                for (name, nameAt, body) in reader.mapping(value, "tiers") ?? [] {
                    guard let fields = reader.mapping(body, "tiers.\(name)", allowed: ["channels", "delay", "detail"]) else { continue }
                    var tier = Tier(name: name, channels: [], delay: 0, detail: .teaser)
                    var seen = Set<String>()
                    for (k, _, v) in fields {
                        seen.insert(k)
                        switch k {
                        case "channels":
                            for (c, at) in reader.stringList(v, "tiers.\(name).channels") ?? [] {
                                guard let channel = Channel(rawValue: c) else {
                                    reader.error(
                                        at,
                                        "tiers.\(name).channels: \"\(c)\" is not a channel (discord, telegram, x)\(Suggestion.hint(for: c, in: Channel.allCases.map(\.rawValue)))"
                                    )
                                    continue
                                }
                                if tier.channels.contains(channel) {
                                    reader.error(at, "tiers.\(name).channels: \(c) twice")
                                } else {
                                    tier.channels.append(channel)
                                }
                            }
                        case "delay": if let d = reader.duration(v, "tiers.\(name).delay") { tier.delay = d.seconds }
                        default: if let d = reader.choice(v, "tiers.\(name).detail", Detail.self) { tier.detail = d }
                        }
                    }
                    for k in ["channels", "delay", "detail"] where !seen.contains(k) { reader.error(nameAt, "tiers.\(name) needs \(k):") }
                    if seen.contains("channels") && tier.channels.isEmpty { reader.error(nameAt, "tiers.\(name) has no channel") }
                    config.tiers.append(tier)
                }
            } else {
                for (name, nameAt, body) in reader.mapping(value, "limits") ?? [] {
                    guard let channel = Channel(rawValue: name) else {
                        reader.error(nameAt, "limits: \"\(name)\" is not a channel (discord, telegram, x)")
                        continue
                    }
                    guard let fields = reader.mapping(body, "limits.\(name)", allowed: ["messages", "per"]) else { continue }
                    var limit = Limit(messages: 0, per: 0)
                    for (k, _, v) in fields {
                        if k == "messages" {
                            limit.messages = reader.int(v, "limits.\(name).messages", min: 1) ?? 0
                        } else if let d = reader.duration(v, "limits.\(name).per") {
                            if d.seconds <= 0 { reader.error(v.textLocation, "limits.\(name).per must be positive") } else { limit.per = d.seconds }
                        }
                    }
                    if limit.messages < 1 || limit.per <= 0 {
                        reader.error(nameAt, "limits.\(name) needs messages: and per:")
                    } else {
                        config.limits[channel] = limit
                    }
                }
            }
            _ = keyAt
        }
        if !sawTiers { reader.error(SourceLocation(file: file, line: 1, column: 1), "the distribution file needs tiers:") }
        // A channel in two tiers would get the same signal twice.
        var owner: [Channel: String] = [:]
        for t in config.tiers {
            for c in t.channels {
                if let other = owner[c] {
                    reader.error(SourceLocation(file: file, line: 1, column: 1), "\(c.rawValue) is in tiers \(other) and \(t.name): one tier per channel")
                }
                owner[c] = t.name
            }
        }
        return reader.diagnostics.isEmpty ? .success(config) : .failure(Diagnostics(reader.diagnostics))
    }
}
