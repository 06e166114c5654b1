/// Where frames are shown: the terminal through curses, or an in-memory grid in tests.
@MainActor
public protocol Screen: AnyObject {
    /// The size the next frame should have.
    var size: ScreenSize { get }
    /// Shows `frame`, writing only what differs from what is already shown.
    func present(_ frame: Frame)
}
