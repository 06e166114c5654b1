import MusterCore

extension EventSubscription {
    /// Reads events until `predicate` holds for one of them (or the subscription ends); returns
    /// everything read, that one last.
    public func collect(until predicate: (Event) -> Bool) async -> [Event] {
        var seen: [Event] = []
        for await event in self {
            seen.append(event)
            if predicate(event) { break }
        }
        return seen
    }
}
