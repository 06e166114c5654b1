import MusterCore
import CMusterSystem
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Columns text takes on a terminal, measured the way curses and terminals do (C `wcwidth`):
/// wide CJK and emoji take two, combining marks and joiners none.
public enum DisplayWidth {
    /// One screen cell's worth of text: a spacing character and the zero-width ones after it.
    public struct Cluster: Sendable, Equatable {
        public let text: String
        /// 1 or 2 (a lone zero-width character at the start of a string counts as 1).
        public let width: Int
    }

    /// Columns `text` takes: what its `clusters` add up to, counted without making them (a
    /// dialog's frame measured every row's text, and made every cell's string to do so).
    public static func of(_ text: some StringProtocol) -> Int {
        if text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) { return text.utf8.count }
        return UTF8Locale.shared.withLocale {
            var columns = 0
            var started = false
            for scalar in text.unicodeScalars {
                let width = scalar.value >= 0x20 && scalar.value < 0x7F ? 1 : UTF8Locale.shared.columns(scalar).clamped
                // A zero-width scalar joins the cell before it; one at the start takes a cell.
                if width == 0, started { continue }
                columns += max(1, width)
                started = true
            }
            return columns
        }
    }

    /// Columns one scalar takes: 0, 1 or 2 (control characters count 1; they are never shown raw).
    public static func of(scalar: Unicode.Scalar) -> Int {
        if scalar.value >= 0x20 && scalar.value < 0x7F { return 1 }
        return UTF8Locale.shared.withLocale { UTF8Locale.shared.columns(scalar) }.clamped
    }

    /// Splits `text` into screen cells: each spacing scalar starts one, zero-width ones join it.
    public static func clusters(of text: some StringProtocol) -> [Cluster] {
        var clusters: [Cluster] = []
        forEachCluster(of: text) { clusters.append($0) }
        return clusters
    }

    /// The cells of `text`, as `clusters` makes them, handed over one by one as they are made
    /// (no array: a frame draws most of its text this way); stops when `body` returns false.
    public static func forEachCluster(of text: some StringProtocol, _ body: (Cluster) -> Bool) {
        UTF8Locale.shared.withLocale {
            var current = String.UnicodeScalarView()
            var currentWidth = 0
            for scalar in text.unicodeScalars {
                let width: Int
                if scalar.value >= 0x20 && scalar.value < 0x7F {
                    width = 1
                } else {
                    width = UTF8Locale.shared.columns(scalar).clamped
                }
                if width == 0, !current.isEmpty {
                    current.append(scalar)
                    continue
                }
                if !current.isEmpty, !body(Cluster(text: String(current), width: currentWidth)) { return }
                current = String.UnicodeScalarView([scalar])
                currentWidth = max(1, width)
            }
            if !current.isEmpty { _ = body(Cluster(text: String(current), width: currentWidth)) }
        }
    }

    /// `forEachCluster` for a body that takes them all.
    public static func forEachCluster(of text: some StringProtocol, _ body: (Cluster) -> Void) {
        forEachCluster(of: text) { (cluster: Cluster) -> Bool in
            body(cluster)
            return true
        }
    }

    /// `text` cut to at most `width` columns, ending in `…` when something was cut.
    public static func truncate(_ text: String, to width: Int) -> String {
        guard width > 0 else { return "" }
        // No character is wider than its UTF-8 bytes are many, so a short string always fits.
        guard text.utf8.count > width, of(text) > width else { return text }
        var result = ""
        var used = 0
        forEachCluster(of: text) { cluster -> Bool in
            if used + cluster.width > width - 1 { return false }
            result += cluster.text
            used += cluster.width
            return true
        }
        return result + "…"
    }

    /// `text` padded with spaces on the right to `width` columns (never cut).
    public static func pad(_ text: String, to width: Int) -> String {
        let missing = width - of(text)
        return missing > 0 ? text + String(repeating: " ", count: missing) : text
    }
}

private extension Int {
    /// wcwidth gives -1 for non-printable characters; they are shown in one cell.
    var clamped: Int { self < 0 ? 1 : Swift.min(self, 2) }
}

/// A C.UTF-8 locale for `wcwidth`, installed per thread around each measurement, so widths
/// never depend on (or change) the process locale.
private struct UTF8Locale: @unchecked Sendable {
    // @unchecked: the locale handle is set once, never freed, only read.
    let handle: locale_t?

    static let shared = UTF8Locale()

    private init() {
        handle = newlocale(LC_CTYPE_MASK, "C.UTF-8", nil) ?? newlocale(LC_CTYPE_MASK, "en_US.UTF-8", nil)
    }

    /// C `wcwidth` of one scalar (call inside `withLocale`), through the C shim: the Glibc module
    /// hides it (it needs _XOPEN_SOURCE).
    func columns(_ scalar: Unicode.Scalar) -> Int {
        Int(muster_wcwidth(Int32(bitPattern: scalar.value)))
    }

    func withLocale<T>(_ body: () -> T) -> T {
        guard let handle else { return body() }
        let previous = uselocale(handle)
        defer { uselocale(previous) }
        return body()
    }
}
