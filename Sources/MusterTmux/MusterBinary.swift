import Foundation

/// Where `swift build` put the `muster` binary, for the tests that run it.
public enum MusterBinary {
    /// The package's root folder (this file is `Sources/MusterTmux/MusterBinary.swift`).
    public static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The built binary, or nil when it is not built.
    public static let url: URL? = {
        let candidates = [
            // A test bundle sits beside the products in .build/<triple>/debug.
            URL(fileURLWithPath: CommandLine.arguments.first ?? "").deletingLastPathComponent().appendingPathComponent("muster"),
            Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("muster"),
            packageRoot.appendingPathComponent(".build/debug/muster"),
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }()
}
