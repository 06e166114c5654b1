import Foundation

/// Finds Muster's bundled scripts (the default `demo.json`) however Muster was started: from
/// the build folder, from an installed copy, or with an explicit `MUSTER_SCRIPTS_DIR`.
public struct ScriptLocator: Sendable {
    /// The environment variable naming a folder of scripts; it is searched first.
    static let environmentVariable = "MUSTER_SCRIPTS_DIR"
    /// The script Muster plays when none is given.
    static let defaultScriptName = "demo.json"

    /// One folder the locator searches, and why.
    struct Place: Sendable, Equatable, CustomStringConvertible {
        /// Nil when the place does not apply (e.g. the environment variable is not set).
        let directory: URL?
        /// What this place is, e.g. "resource bundle beside the executable".
        let role: String

        /// A place to search; a nil `directory` only explains why a place was skipped.
        init(directory: URL?, role: String) {
            self.directory = directory
            self.role = role
        }

        var description: String {
            directory.map { "\($0.path) (\(role))" } ?? role
        }
    }

    /// No place holds the script.
    public struct NotFoundError: Error, Equatable, CustomStringConvertible, LocalizedError {
        let fileName: String
        let searched: [Place]

        public var description: String {
            let lines = searched.map { "  - \($0)" }.joined(separator: "\n")
            return "Cannot find the script \(fileName). Looked in:\n\(lines)\n"
                + "Set \(ScriptLocator.environmentVariable) to a folder that holds \(fileName), or give a script file explicitly."
        }

        public var errorDescription: String? { description }
    }

    /// The folders searched, in order.
    let places: [Place]

    /// A locator that searches exactly `places` (for tests, or a custom layout).
    init(places: [Place]) {
        self.places = places
    }

    /// The places a running Muster searches: `MUSTER_SCRIPTS_DIR`, the resource bundle beside
    /// the executable, `share/muster/scripts` of an installed copy, then the source checkout it was built from.
    init(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        executableURL: URL? = Bundle.main.executableURL,
        bundleDirectory: URL? = Bundle.main.bundleURL,
        sourceScriptsDirectory: URL? = ScriptLocator.sourceScriptsDirectory
    ) {
        var places: [Place] = []
        if let value = environment[Self.environmentVariable], !value.isEmpty {
            places.append(Place(directory: URL(fileURLWithPath: value, isDirectory: true), role: "\(Self.environmentVariable)"))
        } else {
            places.append(Place(directory: nil, role: "\(Self.environmentVariable) is not set"))
        }
        for directory in Self.bundleScriptsDirectories(bundleDirectory: bundleDirectory) {
            places.append(Place(directory: directory, role: "resource bundle beside the executable"))
        }
        var executables: [URL] = []
        if let executableURL {
            executables.append(executableURL)
            let resolved = executableURL.resolvingSymlinksInPath()
            if resolved.path != executableURL.path { executables.append(resolved) }
        }
        for executable in executables {
            let prefix = executable.deletingLastPathComponent().deletingLastPathComponent()
            let directory = prefix.appendingPathComponent("share/muster/scripts", isDirectory: true)
            places.append(Place(directory: directory, role: "installed copy"))
        }
        if let sourceScriptsDirectory {
            places.append(Place(directory: sourceScriptsDirectory, role: "source checkout Muster was built from"))
        }
        self.places = places
    }

    /// The default script for this process.
    public static func defaultScript() throws(NotFoundError) -> URL {
        try ScriptLocator().locate(defaultScriptName)
    }

    /// The first searched folder holding `fileName`; the error lists every place searched.
    func locate(_ fileName: String) throws(NotFoundError) -> URL {
        for place in places {
            guard let directory = place.directory else { continue }
            let candidate = directory.appendingPathComponent(fileName)
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDirectory), !isDirectory.boolValue {
                return candidate
            }
        }
        throw NotFoundError(fileName: fileName, searched: places)
    }

    /// `Resources/scripts` of the checkout this file was compiled from.
    static let sourceScriptsDirectory: URL? = {
        let thisFile = URL(fileURLWithPath: #filePath)
        // Sources/MusterScripted/ScriptLocator.swift -> the package root is three levels up.
        let root = thisFile.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent("Resources/scripts", isDirectory: true)
    }()

    /// Where SwiftPM's resource bundle for MusterScripted keeps `scripts`, if the bundle is present.
    ///
    /// `Bundle.module` calls `fatalError` when its bundle is missing (its generated accessor has
    /// no other way out), so the bundle's folder is checked here first and `Bundle.module` is only
    /// touched when the folder it will load exists.
    static func bundleScriptsDirectories(bundleDirectory: URL?) -> [URL] {
        guard let bundleDirectory else { return [] }
        #if canImport(Darwin)
        let bundleName = "Muster_MusterScripted.bundle"
        #else
        let bundleName = "Muster_MusterScripted.resources"
        #endif
        let bundleURL = bundleDirectory.appendingPathComponent(bundleName, isDirectory: true)
        let layouts = [
            bundleURL.appendingPathComponent("scripts", isDirectory: true),
            bundleURL.appendingPathComponent("Contents/Resources/scripts", isDirectory: true),
        ]
        guard bundleDirectory == Bundle.main.bundleURL,
              FileManager.default.fileExists(atPath: bundleURL.path) else { return [layouts[0]] }
        if let fromModule = Bundle.module.url(forResource: "scripts", withExtension: nil) {
            return [fromModule.standardizedFileURL]
        }
        return layouts
    }
}
