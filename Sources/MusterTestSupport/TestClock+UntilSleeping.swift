import Clocks

extension TestClock where Duration == Swift.Duration {
    /// Returns once some sleep is suspended on the clock, so that an `advance` reaches it.
    public func untilSleeping() async {
        // TestClock offers no notification when a sleep registers; `checkSuspension()` (which throws
        // while a sleep is suspended) is its only public view of that, so this polls it, yielding.
        while (try? await checkSuspension()) != nil {
            await Task.yield()
        }
    }
}
