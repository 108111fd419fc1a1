import AlphaTrader
import Foundation
import OrchestratorCore
import Testing

/// The evening report looked at as a person would: Debian's chromium, headless, renders the
/// page; its DOM after rendering holds the charts and the figures, and its screenshot is a
/// full-width image.
@Suite("The evening report in headless Chromium", .serialized)
struct EveningBrowserTests {
    static var chromium: String? { ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) } }

    static func run(_ arguments: [String]) throws -> (status: Int32, stdout: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try #require(chromium, "chromium is not installed (scripts/install-deps.sh --tests installs it)"))
        p.arguments =
            [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                "--user-data-dir=" + NSTemporaryDirectory() + "chromium-\(UUID().uuidString)",
            ] + arguments
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test("Chromium renders the page: the DOM holds the four charts, the cards and the tables; the screenshot is 1280 wide and not empty")
    func rendered() throws {
        let report = EveningReport(EveningReportTests.inputs())
        let dir = NSTemporaryDirectory() + "evening-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let page = dir + "/evening.html"
        try EveningRender.html(report, zone: EveningReportTests.zone).write(toFile: page, atomically: true, encoding: .utf8)
        let dom = try Self.run(["--dump-dom", "file://" + page])
        #expect(dom.status == 0)
        for needle in [
            "<svg", "class=\"equity\"", "class=\"drawdown\"", "class=\"bar\"", "class=\"run succeeded\"", "id=\"card-sharpe\"", "−3.42",
            "Evening report — 2026-12-07",
        ] {
            #expect(dom.stdout.contains(needle), "\(needle)")
        }
        let shot = dir + "/evening.png"
        let s = try Self.run(["--screenshot=" + shot, "--window-size=1280,1800", "--hide-scrollbars", "file://" + page])
        #expect(s.status == 0)
        let png = try #require(FileManager.default.contents(atPath: shot))
        #expect(png.count > 30_000, "a page of charts and tables, not a blank one: \(png.count) bytes")
        #expect(Array(png.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        let width = png[16..<20].reduce(0) { $0 << 8 | Int($1) }
        #expect(width == 1280)
    }
}
