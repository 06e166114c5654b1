#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// What a file tool opened below the workspace: its name, its descriptor and its kind.
struct WorkspaceEntry: ~Copyable {
    /// What `fstat` says the descriptor is.
    enum Kind: Equatable {
        case directory
        case regularFile
        case other
    }

    let path: WorkspacePath
    let descriptor: FileDescriptor
    let kind: Kind

    init(path: WorkspacePath, descriptor: consuming FileDescriptor) throws(WorkspacePath.Failure) {
        switch descriptor.status() {
        case .success(let info):
            switch info.st_mode & S_IFMT {
            case S_IFDIR: kind = .directory
            case S_IFREG: kind = .regularFile
            default: kind = .other
            }
        case .failure(let error):
            throw .system(error.description)
        }
        self.path = path
        self.descriptor = descriptor
    }
}
