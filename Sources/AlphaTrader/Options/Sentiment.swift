public import Foundation

/// A `NEWS_SENTIMENT` reply for one ticker.
public struct Sentiment: Sendable {
    public struct Article: Sendable {
        public var title: String, url: String, published: String, source: String
        public var topics: [(String, Double)]
        public var overall: Double, overallLabel: String
        public var score: Double, label: String, relevance: Double
    }
    public var ticker: String
    public var articles: [Article]
    /// Relevance-weighted mean of the ticker's scores (0 with no article).
    public var score: Double {
        let w = articles.reduce(0) { $0 + $1.relevance }
        return w > 0 ? articles.reduce(0) { $0 + $1.score * $1.relevance } / w : 0
    }

    public static func parse(_ data: Data, ticker: String) throws(AlphaVantageReply) -> Sentiment {
        let object = try topLevel(data)
        guard let feed = object["feed"] as? [[String: Any]] else { throw .malformed("no \"feed\" array") }
        var articles: [Article] = []
        for (i, item) in feed.enumerated() {
            guard let title = item["title"] as? String, let published = item["time_published"] as? String,
                let tickers = item["ticker_sentiment"] as? [[String: Any]]
            else {
                throw .malformed("article #\(i) lacks title, time_published or ticker_sentiment")
            }
            guard let mine = tickers.first(where: { ($0["ticker"] as? String) == ticker }) else { continue }
            guard let score = number(mine["ticker_sentiment_score"]), let relevance = number(mine["relevance_score"]), (-1...1).contains(score) else {
                throw .malformed("article #\(i): the ticker score of \(ticker) is not a number in −1…1")
            }
            let topics = (item["topics"] as? [[String: Any]] ?? []).compactMap { t -> (String, Double)? in
                guard let name = t["topic"] as? String else { return nil }
                return (name, number(t["relevance_score"]) ?? 0)
            }
            articles.append(
                Article(
                    title: title, url: item["url"] as? String ?? "", published: published, source: item["source"] as? String ?? "",
                    topics: topics, overall: number(item["overall_sentiment_score"]) ?? 0,
                    overallLabel: item["overall_sentiment_label"] as? String ?? "",
                    score: score, label: mine["ticker_sentiment_label"] as? String ?? AlphaVantagePayloads.label(score), relevance: relevance))
        }
        return Sentiment(ticker: ticker, articles: articles)
    }

    public func scoreJSON(now: Int) -> String {
        let bullish = articles.filter { $0.score >= 0.15 }.count, bearish = articles.filter { $0.score <= -0.15 }.count
        return SentimentDocument(
            ticker: ticker, score: (score * 10_000).rounded() / 10_000, label: AlphaVantagePayloads.label(score), articles: articles.count,
            bullish: bullish, bearish: bearish, timestamp: Int64(now)
        ).json
    }

    func articlesJSON() -> String {
        "["
            + articles.map { a in
                let topics = a.topics.map { "{\"topic\":\(JSONText.string($0.0)),\"relevance\":\(JSONText.number($0.1))}" }.joined(separator: ",")
                return
                    "{\"title\":\(JSONText.string(a.title)),\"url\":\(JSONText.string(a.url)),\"published\":\"\(a.published)\",\"source\":\(JSONText.string(a.source)),\"topics\":[\(topics)],\"overall_score\":\(JSONText.number(a.overall)),\"overall_label\":\(JSONText.string(a.overallLabel)),\"ticker_score\":\(JSONText.number(a.score)),\"ticker_label\":\(JSONText.string(a.label)),\"relevance\":\(JSONText.number(a.relevance))}"
            }.joined(separator: ",") + "]"
    }
}
