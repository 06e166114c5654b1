extension RegistryMachine {
    /// The tasks one spawner launched that may still be active, in id order, and how many are:
    /// an ended one is not removed at once (a hash set's removal was a tenth of recording an
    /// end) but swept out once the ended ones outnumber the active ones, O(1) per end on average.
    struct Children {
        private(set) var ids: [TaskID] = []
        /// How many of `ids` have not ended.
        var active = 0

        /// A new child: ids only grow, so the list stays in id order.
        mutating func append(_ id: TaskID) {
            ids.append(id)
            active += 1
        }

        var needsSweep: Bool { ids.count > 2 * active + 16 }

        /// Keeps only the ids `isActive` says have not ended.
        mutating func sweep(keeping isActive: (TaskID) -> Bool) {
            ids.removeAll { !isActive($0) }
        }
    }
}
