import Foundation

/// The running state of one grep call: matches found and files seen.
struct GrepSearch {
    let regex: BoundedRegex
    let maxResults: Int
    let cancellation: CancellationFlag
    let report: (String) -> Void
    private(set) var matches: [String] = []
    private(set) var filesSearched = 0
    private(set) var binarySkipped = 0
    private(set) var largeSkipped: [String] = []
    private(set) var unreadable: [String] = []
    private(set) var moreMatchesExist = false

    init(regex: BoundedRegex, maxResults: Int, cancellation: CancellationFlag, report: @escaping (String) -> Void) {
        self.regex = regex
        self.cancellation = cancellation
        self.report = report
        self.maxResults = maxResults
    }

    var isFull: Bool { moreMatchesExist }

    var progressLine: String {
        "Searched \(filesSearched) file\(filesSearched == 1 ? "" : "s"), \(matches.count) match\(matches.count == 1 ? "" : "es")"
    }

    /// Opens an entry met during a walk (never following a link) and searches it; what cannot
    /// be opened as a regular file is counted as unreadable.
    mutating func searchEntry(_ entry: DirectoryWalker.Entry) throws {
        let file: ReadableFile
        do {
            file = try ReadableFile(name: entry.name, in: entry.directory)
        } catch {
            unreadable.append(entry.path)
            return
        }
        try search(file, named: entry.path, explicit: false)
    }

    /// Adds the file's matching lines. An explicitly named binary or huge file is an error;
    /// met during a walk it is only counted.
    mutating func search(_ file: borrowing ReadableFile, named relative: String, explicit: Bool) throws {
        try cancellation.check()
        if file.size > GrepTool.maxFileBytes {
            if explicit { throw ToolError("\"\(relative)\" is too large to search (\(file.size) bytes).") }
            largeSkipped.append(relative)
            return
        }
        let bytes: [UInt8]
        do {
            bytes = try Self.readAll(file)
        } catch {
            if explicit { throw ToolError("Cannot read \"\(relative)\": \(error).") }
            unreadable.append(relative)
            return
        }
        filesSearched += 1
        if ReadableFile.looksBinary(bytes.prefix(ReadableFile.binaryProbeSize)) {
            if explicit { throw ToolError("\"\(relative)\" looks like a binary file (it contains NUL bytes).") }
            binarySkipped += 1
            return
        }
        let regex = self.regex
        let cancellation = self.cancellation
        let report = self.report
        let room = maxResults - matches.count
        var found: [String] = []
        var more = false
        var lineNumber = 0
        let check = { (line: LineSplitter.Line) throws in
            lineNumber += 1
            guard !more else { return }
            let text = line.text
            let number = lineNumber
            guard try Self.lineMatches(text, number: number, of: relative, regex: regex, cancellation: cancellation, report: report)
            else { return }
            guard found.count < room else {
                more = true
                return
            }
            found.append("\(relative):\(number): \(Self.shown(text))")
        }
        var splitter = LineSplitter(maxLineBytes: 64 * 1024)
        try splitter.append(bytes, emit: check)
        if let last = splitter.finish() { try check(last) }
        matches += found
        moreMatchesExist = more
    }

    /// Matches one line within the regex's time limit; a stop becomes `CancellationError`, an
    /// exceeded limit an error naming the line.
    private static func lineMatches(
        _ text: String, number: Int, of relative: String, regex: BoundedRegex, cancellation: CancellationFlag,
        report: (String) -> Void
    ) throws -> Bool {
        do {
            var reportedSlow = false
            return try regex.firstMatch(in: text, shouldStop: { cancellation.isCancelled }, onProgress: { spent in
                if !reportedSlow, spent >= GrepTool.slowLine {
                    reportedSlow = true
                    report("Line \(number) of \(relative) is slow to match")
                }
            })
        } catch .stopped {
            throw CancellationError()
        } catch .tooExpensive(let reason) {
            throw ToolError(
                "Pattern too expensive on line \(number) of \(relative): it backtracks too much (\(reason)); "
                    + "avoid nested repetition such as (a+)+."
            )
        }
    }

    func output(pattern: String, path: String) -> ToolOutput {
        var lines = matches
        if matches.isEmpty {
            lines.append("No matches for /\(pattern)/ in \(path) (\(filesSearched) file\(filesSearched == 1 ? "" : "s") searched).")
        }
        if moreMatchesExist {
            lines.append("[Stopped at \(maxResults) matches: narrow the pattern or the path, or raise max_results.]")
        }
        if binarySkipped > 0 { lines.append("[Skipped \(binarySkipped) binary file\(binarySkipped == 1 ? "" : "s").]") }
        if !largeSkipped.isEmpty {
            lines.append("[Skipped files over \(GrepTool.maxFileBytes / 1024 / 1024) MB: \(largeSkipped.prefix(10).joined(separator: ", ")).]")
        }
        if !unreadable.isEmpty {
            lines.append("[Could not read: \(unreadable.prefix(10).joined(separator: ", ")).]")
        }
        return ToolOutput(lines.joined(separator: "\n"))
    }

    private static func readAll(_ file: borrowing ReadableFile) throws(ReadableFile.OpenFailure) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(file.size)
        while true {
            let chunk = try file.read(upTo: 256 * 1024)
            if chunk.isEmpty { return bytes }
            bytes += chunk
            if bytes.count > GrepTool.maxFileBytes { return bytes }
        }
    }

    private static func shown(_ text: String) -> String {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard trimmed.count > GrepTool.maxShownCharacters else { return trimmed }
        return trimmed.prefix(GrepTool.maxShownCharacters) + " …"
    }
}
