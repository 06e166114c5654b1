import Clocks
import MusterCore

extension TaskRegistry {
    /// Runs `body` on the registry's actor in one go, so no task body can hop on in between
    /// (e.g. to see an entry while it is still pending, or to cancel before a body starts).
    func atomically<T: Sendable>(_ body: @Sendable (isolated TaskRegistry) throws -> T) rethrows -> T {
        try body(self)
    }

    /// `start`, with its refusal as a value.
    func startResult(_ request: Request, body: @escaping Body) -> Result<TaskID, StartRefusal> {
        do throws(StartRefusal) {
            return .success(try start(request, body: body))
        } catch {
            return .failure(error)
        }
    }
}

extension TaskRegistry.Request {
    /// A background request launched by `spawner`.
    static func background(_ name: String = "explore", kind: TaskKind = .agent, spawner: Spawner = .topLevel) -> Self {
        Self(name: name, kind: kind, description: "look around the workspace", spawner: spawner, mode: .background)
    }

    /// A foreground request launched by `spawner`.
    static func foreground(_ name: String = "explore", kind: TaskKind = .agent, spawner: Spawner = .topLevel) -> Self {
        Self(name: name, kind: kind, description: "look around the workspace", spawner: spawner, mode: .foreground)
    }
}

/// An error whose text people would see.
struct DescribedError: Error, CustomStringConvertible {
    let description: String
}
