// swift-tools-version: 6.2
import PackageDescription

/// Settings every target shares (ARCHITECTURE.md): explicit existentials, imports that say what
/// they use, and internal imports by default so no target leaks its dependencies.
let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "orchestrator",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "orchestrator", targets: ["orchestrator"]),
        .executable(name: "alphatrader", targets: ["alphatrader"]),
        .executable(name: "orchestrator-attempt", targets: ["orchestrator-attempt"]),
        .executable(name: "orchestrator-attempt-pq", targets: ["orchestrator-attempt-pq"]),
        .executable(name: "orchestrator-web", targets: ["orchestrator-web"]),
        .executable(name: "alphatrader-dashboard", targets: ["alphatrader-dashboard"]),
        .executable(name: "orchestrator-bench", targets: ["orchestrator-bench"]),
        .library(name: "OrchestratorCore", targets: ["OrchestratorCore"]),
    ],
    // PostgreSQL as the run store (issue 21) is a trait, on by default: `--disable-default-traits`
    // builds the orchestrator without postgres-nio (and the swift-nio-ssl and swift-crypto it
    // brings, ~6 min of a release build on two cores) — the README's main job, which runs on SQLite.
    traits: [
        .trait(name: "PostgreSQL", description: "Several nodes on one PostgreSQL run store (postgres-nio)"),
        .default(enabledTraits: ["PostgreSQL"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        // The second run store (issue 21): PostgreSQL through postgres-nio, in its own target.
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        // The run store: SQLite through GRDB (WAL, migrations, typed records).
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        // The daemon: a ServiceGroup that turns SIGTERM/SIGINT into a graceful shutdown, and
        // UnixSignals for SIGHUP reloads (ARCHITECTURE.md); swift-log for its logger.
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        // orchestrator serve (issue 20): Hummingbird 2, in its own targets (OrchestratorWeb and
        // the orchestrator-web executable) so that the engine, its tests and the README's main
        // job never build it.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
    ],
    targets: [
        // Pure: values and functions over explicit dates. Yams only parses text; no I/O here.
        .target(
            name: "OrchestratorCore",
            dependencies: [.product(name: "Yams", package: "Yams")],
            swiftSettings: strictSettings
        ),
        // The edges: reading files and the environment today; the run store, processes and
        // supervision arrive with the engine issues.
        // posix_spawn's POSIX_SPAWN_SETSID is only declared under _GNU_SOURCE.
        .target(name: "CSpawn", path: "Sources/CSpawn"),
        // Redis through hiredis (pkg-config `hiredis`, Debian's libhiredis-dev): the
        // orchestrator's health checks now, the trading system's data path later.
        .systemLibrary(name: "CHiredis", path: "Sources/CHiredis", pkgConfig: "hiredis", providers: [.apt(["libhiredis-dev"])]),
        .target(name: "Redis", dependencies: ["CHiredis"], swiftSettings: strictSettings),
        // One TCP socket for every client and local server (TWS, the HTTP stand-ins, the
        // orchestrator's tcp health probe): a leaf, so that the engine and the trading library share it.
        .target(name: "Net", swiftSettings: strictSettings),
        // What the SQLite stores share (the run store, the trade journal): the WAL checkpointer.
        .target(name: "SQLiteSupport", dependencies: [.product(name: "GRDB", package: "GRDB.swift")], swiftSettings: strictSettings),
        .target(
            name: "OrchestratorRuntime",
            dependencies: ["OrchestratorCore", "CSpawn", "Redis", "Net", "SQLiteSupport", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "orchestrator",
            dependencies: [
                "OrchestratorCore",
                "OrchestratorRuntime",
                "Backups",
                "orchestrator-attempt",
                "orchestrator-attempt-pq",
                .target(name: "OrchestratorPostgres", condition: .when(traits: ["PostgreSQL"])),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "OrchestratorWeb",
            dependencies: [
                "OrchestratorCore", "OrchestratorRuntime", .target(name: "OrchestratorPostgres", condition: .when(traits: ["PostgreSQL"])),
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "orchestrator-web",
            dependencies: ["OrchestratorCore", "OrchestratorRuntime", "OrchestratorWeb"],
            swiftSettings: strictSettings
        ),
        // The per-attempt supervisor, in C: it starts once per attempt, so it must start fast.
        // Linked statically: SwiftPM links every executable through swiftc, which otherwise
        // loads libswiftCore and libstdc++ into this C program — 2.0 ms per start against
        // 0.6 ms static (Debian's libsqlite3.a and libc.a, from libsqlite3-dev and libc6-dev).
        // The supervisor itself (attempt.c), shared by both executables; each provides the store
        // it writes to (attempt.h).
        .target(name: "CAttempt", dependencies: ["CSpawn"], path: "Sources/CAttempt"),
        .executableTarget(
            name: "orchestrator-attempt",
            dependencies: ["CAttempt"],
            linkerSettings: [.linkedLibrary("sqlite3"), .linkedLibrary("m"), .unsafeFlags(["-static-executable"])]
        ),
        // The same supervisor writing to a PostgreSQL store through libpq (Debian's libpq-dev),
        // linked dynamically: libpq's Kerberos, LDAP and OpenSSL do not link statically.
        .executableTarget(
            name: "orchestrator-attempt-pq",
            dependencies: ["CAttempt"],
            cSettings: [.unsafeFlags(["-I/usr/include/postgresql"])],
            linkerSettings: [.linkedLibrary("pq"), .linkedLibrary("m")]
        ),
        // The trading system's library (ARCHITECTURE.md): tape, market state, ingestion,
        // analytics, discovery, and the clients of the services it talks to.
        // Backups and restores shared by both tools: SHA-256, the manifest, a verified online copy
        // of a SQLite store and its restore, and which processes hold a file open.
        .target(name: "Backups", dependencies: [.product(name: "GRDB", package: "GRDB.swift")], swiftSettings: strictSettings),
        .target(
            name: "AlphaTrader",
            // GRDB for the trade journal (var/trading.sqlite), as for the run store.
            dependencies: [
                "OrchestratorCore", "Redis", "Net", "SQLiteSupport", "Backups", .product(name: "Yams", package: "Yams"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: strictSettings
        ),
        // The stand-ins for the services AlphaTrader talks to (as swift-nio's NIOTestUtils):
        // tws-sim's paper broker now; the simulators and the local HTTP server move here next.
        .target(
            name: "AlphaTraderSimulators",
            dependencies: ["AlphaTrader", "Net", "OrchestratorCore"],
            swiftSettings: strictSettings
        ),
        // alphatrader backtest (issue 22): the live analytics, discovery, strategies, risk and
        // order path over tapes, in one process, against the paper broker in process.
        .target(
            name: "AlphaTraderBacktest",
            dependencies: ["AlphaTrader", "AlphaTraderSimulators", "OrchestratorCore", "Redis"],
            swiftSettings: strictSettings
        ),
        .target(
            name: "OrchestratorPostgres",
            dependencies: ["OrchestratorRuntime", .product(name: "PostgresNIO", package: "postgres-nio")],
            swiftSettings: strictSettings
        ),
        // alphatrader dashboard (issue 20): Hummingbird, in its own targets like serve's, so that
        // the trading jobs' executable does not carry the web stack.
        .target(
            name: "AlphaTraderDashboard",
            dependencies: ["AlphaTrader", "OrchestratorCore", "OrchestratorWeb", "Redis", .product(name: "Hummingbird", package: "hummingbird")],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "alphatrader-dashboard",
            dependencies: ["AlphaTrader", "AlphaTraderDashboard", "OrchestratorCore", "OrchestratorWeb", "Redis"],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "alphatrader",
            dependencies: [
                "AlphaTrader", "AlphaTraderSimulators", "AlphaTraderBacktest", "Net", "OrchestratorCore", "OrchestratorRuntime", "Redis", "Backups",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictSettings
        ),
        // Performance figures, run in release mode by Benchmarks/run.sh (never timed unit tests).
        .executableTarget(
            name: "orchestrator-bench",
            dependencies: [
                "OrchestratorCore", "OrchestratorRuntime", "OrchestratorPostgres", "AlphaTrader", "AlphaTraderSimulators", "AlphaTraderBacktest", "Net",
                "Redis", "Backups", .product(name: "GRDB", package: "GRDB.swift"),
            ],
            path: "Benchmarks",
            exclude: [
                "run.sh", "lib.sh", "services.sh", "alphatrader.sh", "alphavantage.sh", "av_chain_bench.py", "croniter_bench.py", "services_bench.py",
                "crasher.c", "stamp.c", "dag_floor.c", "run_lag.py", "floor", "floor.sh", "README.md", "orders.sh", "orders_ib_async.py", "loopback_floor.py",
                "trading.sh", "distribution.sh", "reports.sh", "serve.sh", "postgres.sh", "backtest.sh", "backtrader_bench.py",
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "OrchestratorCoreTests",
            dependencies: ["OrchestratorCore", "OrchestratorRuntime"],
            exclude: ["Fixtures"],
            swiftSettings: strictSettings
        ),
        // A job that misbehaves on request (sleeps, fails, ignores SIGTERM, forks a grandchild,
        // prints a lot), for the engine's tests.
        .executableTarget(name: "orchestrator-test-helper", path: "Tests/Helper"),
        // Issue 21's fault campaign: nodes on one PostgreSQL under kill -9, SIGSTOP, terminated
        // sessions and server restarts, then the checker (run by .ci/run after the tests).
        .executableTarget(name: "fault-campaign", dependencies: ["TestSupport"], path: "Tests/FaultCampaign", swiftSettings: strictSettings),
        // The edges against real parts: SQLite files, processes.
        .testTarget(
            name: "OrchestratorRuntimeTests",
            dependencies: ["OrchestratorRuntime", "Net", "TestSupport", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strictSettings
        ),
        // Local servers the tests talk to: a real redis-server on a free port, scripted TCP peers.
        .target(name: "TestSupport", path: "Tests/TestSupport", swiftSettings: strictSettings),
        // The executables end to end: real processes, exit statuses, output formats.
        .testTarget(
            name: "OrchestratorCLITests",
            dependencies: [
                "orchestrator", "orchestrator-test-helper", "OrchestratorRuntime", "Redis", "TestSupport", "Backups",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: strictSettings
        ),
        // orchestrator serve's routes through HummingbirdTesting, over real SQLite files.
        .testTarget(
            name: "OrchestratorWebTests",
            dependencies: [
                "OrchestratorWeb", "OrchestratorRuntime", "OrchestratorCore", "OrchestratorPostgres", "orchestrator", "orchestrator-web",
                "AlphaTraderDashboard",
                "alphatrader-dashboard", "alphatrader", "AlphaTrader", "TestSupport", "Redis", .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: strictSettings
        ),
        // The PostgreSQL store against a real PostgreSQL started by the tests.
        .testTarget(
            name: "OrchestratorPostgresTests",
            dependencies: ["OrchestratorPostgres", "OrchestratorRuntime", "TestSupport", .product(name: "PostgresNIO", package: "postgres-nio")],
            swiftSettings: strictSettings
        ),
        // The trading system: formulas on hand-computed examples, the tape, ingestion into a real
        // redis-server, the TWS client against the TWS-protocol simulator.
        .testTarget(
            name: "AlphaTraderTests",
            dependencies: [
                "AlphaTrader", "AlphaTraderSimulators", "AlphaTraderBacktest", "alphatrader", "Net", "Redis", "TestSupport", "OrchestratorCore",
                "Backups", .product(name: "Yams", package: "Yams"), .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: strictSettings
        ),
    ]
)
