/// What plays a turn into a `ModelEventFeed` from outside any task (a model's timer).
public protocol ModelEventProducer: AnyObject, Sendable {
    /// The feed ended before the producer finished it (its reader was cancelled, or the call was
    /// interrupted): withdraw the work pending, yield nothing more. Called at most once, outside
    /// the feed's lock.
    func stopProducing()
}
