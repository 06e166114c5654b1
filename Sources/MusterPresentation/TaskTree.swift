import MusterCore

/// The tasks as the task dialog lists them: tasks waiting for approval first, at the top level
/// in the order they asked, then each task under the agent that launched it, running first (by
/// id) then finished (newest first) at every level, nesting beyond `maxDepth` collapsed into one
/// count row unless its parent was expanded. Built from small `Node`s (what
/// the order depends on), so that 10,000 tasks sort quickly; a row names its task by id.
public struct TaskTree: Sendable {
    /// What a task's place in the tree depends on.
    public struct Node: Sendable, Equatable {
        public let id: TaskID
        public let parent: TaskID?
        public let isTerminal: Bool
        public let endedAt: Duration?

        /// The node of `task`.
        public init(_ task: TaskSnapshot) {
            id = task.id
            parent = task.spawner.taskID
            isTerminal = task.status.isTerminal
            endedAt = task.endedAt
        }
    }

    /// One row of the list: a task, or the count that stands for a collapsed subtree.
    public struct Row: Sendable, Equatable {
        public enum Content: Sendable, Equatable {
            case task(TaskID)
            /// `parent`'s descendants, not listed: how many, and how many of them have not ended.
            case collapsed(parent: TaskID, count: Int, running: Int)
        }

        public let content: Content
        /// 0 for a task launched by the main agent.
        public let depth: Int
        /// The last row under its parent (drawn `└`, else `├`).
        public let isLast: Bool

        /// The task of a task row.
        public var taskID: TaskID? {
            if case .task(let id) = content { id } else { nil }
        }

        /// `  └ `: the tree's drawing before the row's id (empty at depth 0).
        public var prefix: String {
            guard depth > 0 else { return "" }
            return String(repeating: "  ", count: depth - 1) + (isLast ? "└ " : "├ ")
        }
    }

    /// Levels listed before the rest collapses: 2 lists the main agent's tasks and theirs.
    public static let defaultMaxDepth = 2

    public private(set) var rows: [Row] = []
    /// Tasks that have not ended (at any depth), and those that have.
    public private(set) var running = 0
    public private(set) var done = 0
    /// Tasks (not ended) waiting for approval: listed first.
    public private(set) var waiting = 0

    /// An empty tree.
    public init() {}

    /// The tree of `tasks`; a task in `expanded` lists its children whatever its depth.
    public init(
        _ tasks: some Sequence<TaskSnapshot>, expanded: Set<TaskID> = [], waiting: [TaskID] = [], maxDepth: Int = TaskTree.defaultMaxDepth
    ) {
        self.init(nodes: tasks.map(Node.init), expanded: expanded, waiting: waiting, maxDepth: maxDepth)
    }

    /// The tree of the tasks `nodes` stand for. `waiting` are the tasks waiting for approval in
    /// the order they asked: each one not ended comes first, at the top level (whoever launched
    /// it), with its own tasks under it.
    public init(
        nodes: some Sequence<Node>, expanded: Set<TaskID> = [], waiting order: [TaskID] = [], maxDepth: Int = TaskTree.defaultMaxDepth
    ) {
        var rank: [TaskID: Int] = [:]
        for (index, id) in order.enumerated() where rank[id] == nil { rank[id] = index }
        var children: [TaskID?: [Node]] = [:]
        var known = Set<TaskID>()
        var all: [Node] = []
        for node in nodes {
            all.append(node)
            known.insert(node.id)
            if node.isTerminal { done += 1 } else { running += 1 }
        }
        for node in all {
            let asking = !node.isTerminal && rank[node.id] != nil
            if asking { self.waiting += 1 }
            // A task whose launcher is not listed hangs at the top rather than vanishing; so
            // does one waiting for approval, to be seen first.
            let parent = asking ? nil : node.parent.flatMap { known.contains($0) ? $0 : nil }
            children[parent, default: []].append(node)
        }
        for key in children.keys {
            children[key]?.sort { a, b in
                let aRank = a.isTerminal ? nil : rank[a.id], bRank = b.isTerminal ? nil : rank[b.id]
                switch (aRank, bRank) {
                case let (x?, y?): return x < y
                case (.some, nil): return true
                case (nil, .some): return false
                case (nil, nil): return Self.listedBefore(a, b)
                }
            }
        }
        rows.reserveCapacity(all.count)
        append(children: children[nil] ?? [], depth: 0, from: children, expanded: expanded, maxDepth: max(1, maxDepth))
    }

    /// Running (and pending) before finished; running by id, finished newest first.
    public static func listedBefore(_ a: Node, _ b: Node) -> Bool {
        let aEnded = a.isTerminal, bEnded = b.isTerminal
        if aEnded != bEnded { return !aEnded }
        if !aEnded { return a.id < b.id }
        let aEnd = a.endedAt ?? .zero, bEnd = b.endedAt ?? .zero
        return aEnd != bEnd ? aEnd > bEnd : a.id > b.id
    }

    private mutating func append(
        children list: [Node], depth: Int, from children: [TaskID?: [Node]], expanded: Set<TaskID>, maxDepth: Int
    ) {
        for (index, task) in list.enumerated() {
            let last = index == list.count - 1
            rows.append(Row(content: .task(task.id), depth: depth, isLast: last))
            guard let own = children[task.id], !own.isEmpty else { continue }
            if depth + 1 < maxDepth || expanded.contains(task.id) {
                append(children: own, depth: depth + 1, from: children, expanded: expanded, maxDepth: maxDepth)
            } else {
                var count = 0, active = 0
                Self.countDescendants(of: task.id, in: children, count: &count, running: &active)
                rows.append(Row(content: .collapsed(parent: task.id, count: count, running: active), depth: depth + 1, isLast: true))
            }
        }
    }

    private static func countDescendants(of id: TaskID, in children: [TaskID?: [Node]], count: inout Int, running: inout Int) {
        var stack = [id]
        while let next = stack.popLast() {
            for child in children[next] ?? [] {
                count += 1
                if !child.isTerminal { running += 1 }
                stack.append(child.id)
            }
        }
    }

    /// `Tasks (3 running · 2 done)`, `Tasks (⚠ 2 need you · 3 running · 2 done)`.
    public var title: String {
        let asking = waiting == 0 ? "" : "⚠ \(waiting) \(waiting == 1 ? "needs" : "need") you · "
        return "Tasks (\(asking)\(running) running · \(done) done)"
    }
}
