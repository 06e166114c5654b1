import CLibedit
import Foundation

/// The input history, kept by libedit's history(3) and saved to a file after every entry,
/// so it survives across sessions (and crashes).
public final class CommandHistory {
    /// Entries kept in memory and in the file.
    public static let defaultLimit = 1000

    private let history: OpaquePointer
    private var event = HistEvent()
    /// The file it loads from and saves to; nil keeps it in memory only.
    public let file: URL?
    /// The first save error, reported once.
    public private(set) var saveError: String?

    /// Opens the history, loading `file` when it exists (a missing file is an empty history).
    public init?(file: URL?, limit: Int = CommandHistory.defaultLimit) {
        guard let history = history_init() else { return nil }
        self.history = history
        self.file = file
        muster_history_setsize(history, &event, Int32(max(1, limit)))
        muster_history_setunique(history, &event, 1)
        if let file {
            // H_LOAD returns -1 for a missing file: that is simply no history yet.
            _ = muster_history_load(history, &event, file.path)
        }
    }

    deinit {
        history_end(history)
    }

    /// Every entry, oldest first.
    public var entries: [String] {
        var entries: [String] = []
        // H_FIRST is the newest entry; H_NEXT walks towards older ones.
        var status = muster_history_first(history, &event)
        while status == 0 {
            if let text = event.str { entries.append(String(cString: text)) }
            status = muster_history_next(history, &event)
        }
        return entries.reversed()
    }

    /// Adds a line (a repeat of the newest entry is dropped) and saves the file.
    public func add(_ line: String) {
        let trimmed = line.trimmingCharacters(in: .newlines)
        guard !trimmed.allSatisfy(\.isWhitespace) else { return }
        _ = muster_history_enter(history, &event, trimmed)
        save()
    }

    /// Writes the file (creating its folder); remembers the first failure.
    public func save() {
        guard let file else { return }
        do {
            try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        } catch {
            saveError = saveError ?? "Cannot save the input history to \(file.path): \(error.localizedDescription)"
            return
        }
        // H_SAVE returns the number of entries written, or -1.
        if muster_history_save(history, &event, file.path) < 0, saveError == nil {
            saveError = "Cannot save the input history to \(file.path)."
        }
    }

    /// The libedit handle, for `el_gets` in plain mode.
    var handle: OpaquePointer { history }
}
