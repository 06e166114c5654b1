// swift-tools-version: 6.2
import PackageDescription

/// Settings every Muster target shares: Swift 6 language mode and explicit existentials.
let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "Muster",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "muster", targets: ["muster"]),
        .executable(name: "muster-bench", targets: ["muster-bench"]),
        .library(name: "MusterCore", targets: ["MusterCore"]),
        .library(name: "MusterOpenAI", targets: ["MusterOpenAI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-async-algorithms", from: "1.1.4"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.2"),
        .package(url: "https://github.com/pointfreeco/swift-clocks", from: "1.1.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        // C libraries: each is imported by exactly one Swift target (MusterTUI).
        .systemLibrary(
            name: "CNcursesw",
            pkgConfig: "ncursesw",
            providers: [.apt(["libncurses-dev"])]
        ),
        .systemLibrary(
            name: "CLibedit",
            pkgConfig: "libedit",
            providers: [.apt(["libedit-dev"])]
        ),

        // C the core cannot call from Swift: openat2 (no glibc wrapper), prctl (variadic), wcwidth
        // (hidden by the Glibc module). For MusterCore only.
        .target(name: "CMusterSystem"),

        // The core: registry, agents, tools, commands, session. No terminal, never prints.
        .target(
            name: "MusterCore",
            dependencies: [
                "CMusterSystem",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Collections", package: "swift-collections"),
                .product(name: "Subprocess", package: "swift-subprocess"),
            ],
            resources: [.copy("../../Resources/scripts")],
            swiftSettings: swiftSettings
        ),

        // A real model: OpenAI-compatible chat completions over async-http-client.
        .target(
            name: "MusterOpenAI",
            dependencies: [
                "MusterCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),

        // Front ends over the core: curses screen, plain line mode, and the libedit helpers.
        .target(
            name: "MusterTUI",
            dependencies: ["MusterCore", "CNcursesw", "CLibedit"],
            swiftSettings: swiftSettings
        ),

        // Outside processes for the tests and the benchmarks: spawning, tmux panes, deadline polls.
        .target(
            name: "MusterTmux",
            swiftSettings: swiftSettings
        ),

        .executableTarget(
            name: "muster",
            dependencies: [
                "MusterCore",
                "MusterTUI",
                "MusterOpenAI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Clocks", package: "swift-clocks"),
            ],
            swiftSettings: swiftSettings
        ),

        // `make bench`: measures stop latency, scale, throughput, rendering, idle cost and start-up.
        .executableTarget(
            name: "muster-bench",
            dependencies: [
                "MusterCore",
                "MusterTUI",
                "MusterTmux",
                .product(name: "Clocks", package: "swift-clocks"),
            ],
            swiftSettings: swiftSettings
        ),

        .testTarget(
            name: "MusterCoreTests",
            dependencies: [
                "MusterCore",
                "MusterTmux",
                .product(name: "Clocks", package: "swift-clocks"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "MusterOpenAITests",
            dependencies: [
                "MusterOpenAI",
                "MusterCore",
                .product(name: "Clocks", package: "swift-clocks"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "MusterTUITests",
            dependencies: ["MusterTUI", "MusterCore"],
            // Frame snapshots are read from the source tree (#filePath), not bundled.
            exclude: ["Snapshots"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "MusterEndToEndTests",
            dependencies: ["MusterCore", "MusterTmux"],
            // Scripts the tests pass to the binary by path, not bundled resources.
            exclude: ["Fixtures"],
            swiftSettings: swiftSettings
        ),
    ]
)
