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
        .executable(name: "muster-sandbox", targets: ["muster-sandbox"]),
        .library(name: "MusterCore", targets: ["MusterCore"]),
        .library(name: "MusterOpenAI", targets: ["MusterOpenAI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
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
        // (hidden by the Glibc module). For MusterCore, and MusterPresentation's display width.
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
            swiftSettings: swiftSettings
        ),

        // The scripted model (the demo, and the tests' model): plays JSON scripts, no network.
        .target(
            name: "MusterScripted",
            dependencies: ["MusterCore"],
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

        // How the core's events and replies look to a person, for every front end: transcript
        // lines, the /tasks table, the pill, display width (wcwidth through CMusterSystem).
        .target(
            name: "MusterPresentation",
            dependencies: ["MusterCore", "CMusterSystem"],
            swiftSettings: swiftSettings
        ),

        // The headless front end (`muster -p`): one prompt, the answer or JSON out, no terminal.
        .target(
            name: "MusterHeadless",
            dependencies: ["MusterCore", "MusterPresentation"],
            swiftSettings: swiftSettings
        ),

        // Front ends over the core: curses screen, plain line mode, and the libedit helpers.
        .target(
            name: "MusterTUI",
            dependencies: ["MusterCore", "MusterPresentation", "CNcursesw", "CLibedit"],
            swiftSettings: swiftSettings
        ),

        // Outside processes for the tests and the benchmarks: spawning, tmux panes, deadline polls, the built binary.
        .target(
            name: "MusterTmux",
            dependencies: [.product(name: "Subprocess", package: "swift-subprocess")],
            swiftSettings: swiftSettings
        ),

        // Doubles and builders the tests and muster-bench share: gate, recorder, closure model, test tools, runtimes.
        .target(
            name: "MusterTestSupport",
            dependencies: ["MusterCore", .product(name: "Clocks", package: "swift-clocks")],
            swiftSettings: swiftSettings
        ),

        .executableTarget(
            name: "muster",
            dependencies: [
                // Built with it (`swift build --product muster`): every shell command starts through it.
                "muster-sandbox",
                "MusterCore",
                "MusterHeadless",
                "MusterPresentation",
                "MusterTUI",
                "MusterOpenAI",
                "MusterScripted",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Clocks", package: "swift-clocks"),
            ],
            swiftSettings: swiftSettings
        ),

        // The exec wrapper every `shell` command starts through when the sandbox is on (C, so its
        // exec costs a fraction of a millisecond): applies Landlock, then executes /bin/sh.
        // Linked statically in release builds: SwiftPM links every executable with the Swift
        // driver, which adds libswiftCore and libstdc++ (its swiftrt.o needs the runtime, so
        // --as-needed cannot drop them); loading them made each command's start 2 ms slower, a
        // static binary 0.3-0.7 ms. Debug builds link it as usual: the thread sanitizer's runtime
        // cannot link into a static executable (`make test-tsan` builds debug).
        .executableTarget(
            name: "muster-sandbox",
            linkerSettings: [.unsafeFlags(["-static-executable"], .when(configuration: .release))]
        ),

        // `make bench`: measures stop latency, scale, throughput, rendering, idle cost and start-up.
        .executableTarget(
            name: "muster-bench",
            dependencies: [
                "muster-sandbox",
                "MusterCore",
                "MusterHeadless",
                "MusterPresentation",
                "MusterTUI",
                "MusterScripted",
                "MusterTestSupport",
                "MusterTmux",
                .product(name: "Clocks", package: "swift-clocks"),
            ],
            swiftSettings: swiftSettings
        ),

        .testTarget(
            name: "MusterCoreTests",
            dependencies: [
                "MusterCore",
                "MusterPresentation",
                "MusterTestSupport",
                "MusterTmux",
                .product(name: "Clocks", package: "swift-clocks"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "MusterHeadlessTests",
            dependencies: [
                "MusterHeadless",
                "MusterCore",
                "MusterTestSupport",
                .product(name: "Clocks", package: "swift-clocks"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "MusterScriptedTests",
            dependencies: [
                "MusterScripted",
                "MusterCore",
                .product(name: "Clocks", package: "swift-clocks"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "MusterOpenAITests",
            dependencies: [
                "MusterOpenAI",
                "MusterCore",
                "MusterTestSupport",
                .product(name: "Clocks", package: "swift-clocks"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "MusterPresentationTests",
            dependencies: ["MusterPresentation", "MusterCore"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "MusterTUITests",
            dependencies: ["MusterTUI", "MusterPresentation", "MusterCore"],
            // Frame snapshots are read from the source tree (#filePath), not bundled.
            exclude: ["Snapshots"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "MusterEndToEndTests",
            dependencies: [
                "MusterCore",
                "MusterTmux",
                "MusterTestSupport",
                // The counting OpenAI-compatible server the model-call tests run the binary against.
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            // Scripts the tests pass to the binary by path, not bundled resources.
            exclude: ["Fixtures"],
            swiftSettings: swiftSettings
        ),
    ]
)
