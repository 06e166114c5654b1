import Foundation

/// The app's terminal in memory: frames go to a `TextGridScreen`, typed text comes through a
/// pipe, so the real app loop (read source, key decoding, throttle, drawing) runs in-process.
///
/// Bytes written to `inputWriter` arrive as typed characters (UTF-8), as curses delivers text;
/// function-key sequences are not decoded. It never owns the process's signals.
@MainActor
public final class PipeTerminal: AppTerminal {
    private let grid: TextGridScreen
    /// Called after every frame presented, with the frame and the instant it was presented.
    public var onPresent: ((Frame, ContinuousClock.Instant) -> Void)?
    /// The summary line the app printed when it ended.
    public private(set) var farewellText: String?

    public nonisolated let inputDescriptor: Int32
    /// Write typed text here (from any thread).
    public nonisolated let inputWriter: Int32
    public var ownsProcess: Bool { false }
    /// Bytes of an incomplete UTF-8 character left from the last read.
    private var pending: [UInt8] = []

    /// A blank terminal of `size` with an empty input pipe.
    public init(size: ScreenSize) throws {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        _ = fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK)
        inputDescriptor = fds[0]
        inputWriter = fds[1]
        grid = TextGridScreen(size: size)
    }

    isolated deinit {
        close(inputDescriptor)
        close(inputWriter)
    }

    public var size: ScreenSize { grid.size }
    /// The last frame presented.
    public var frame: Frame { grid.frame }
    /// How many frames were presented.
    public var presentCount: Int { grid.presentCount }

    public func present(_ frame: Frame) {
        grid.present(frame)
        onPresent?(frame, .now)
    }

    /// Types `text` (from any thread): its bytes are written to the input pipe in one write.
    public nonisolated func type(_ text: String) {
        var bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeMutableBytes { write(inputWriter, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 { if errno == EINTR { continue } else { return } }
            offset += written
        }
    }

    public func readInput() -> [KeyDecoder.Input] {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(inputDescriptor, $0.baseAddress!, $0.count) }
            if count > 0 { pending += buffer[..<count] } else if count < 0, errno == EINTR { continue } else { break }
        }
        // Decode the complete characters; keep an incomplete tail for the next read.
        var end = pending.count
        while end > 0, pending[end - 1] & 0xC0 == 0x80 { end -= 1 }
        if end > 0, pending[end - 1] >= 0xC0 {
            let lead = pending[end - 1]
            let length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2
            if pending.count - (end - 1) < length { end -= 1 } else { end = pending.count }
        } else {
            end = pending.count
        }
        let inputs = String(decoding: pending[..<end], as: UTF8.self).unicodeScalars.map(KeyDecoder.Input.scalar)
        pending.removeFirst(end)
        return inputs
    }

    public func resize() {}
    public func invalidate() {}
    public func end() {}
    public func farewell(_ text: String) { farewellText = text }
}
