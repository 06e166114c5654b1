import CMusterSystem
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// What the kernel offers for the sandbox, and where its exec wrapper is.
public enum Landlock {
    /// The name of the exec wrapper (the `muster-sandbox` product), installed beside `muster`.
    public static let helperName = "muster-sandbox"
    /// The lowest ABI that confines TCP bind and connect.
    public static let networkABI = 4

    /// The kernel's Landlock ABI version, or why there is none.
    public static func abi() -> Result<Int, LandlockUnavailable> {
        let version = muster_landlock_abi()
        if version >= 1 { return .success(Int(version)) }
        let error = errno
        switch error {
        case ENOSYS: return .failure(LandlockUnavailable("this kernel has no Landlock (Linux 5.13 or later, built with CONFIG_SECURITY_LANDLOCK)"))
        case EOPNOTSUPP: return .failure(LandlockUnavailable("Landlock is built into this kernel but not enabled (add landlock to the lsm= boot parameter)"))
        default: return .failure(LandlockUnavailable("asking the kernel for Landlock failed: \(String(cString: strerror(error)))"))
        }
    }

    /// The exec wrapper beside the running executable (for the tests, the test bundle sits in the
    /// same build folder as the wrapper), or nil when it is not there.
    public static func helper() -> URL? {
        guard let executable = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") else { return nil }
        var directory = URL(fileURLWithPath: executable).deletingLastPathComponent()
        // A test bundle on Linux is `<build>/<Package>PackageTests.xctest`, a file in the build folder.
        for _ in 0..<2 {
            let candidate = directory.appendingPathComponent(helperName)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            directory.deleteLastPathComponent()
        }
        return nil
    }
}

/// Why the kernel cannot confine commands.
public struct LandlockUnavailable: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
