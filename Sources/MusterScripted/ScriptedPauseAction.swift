/// What `ScriptedPauses` tells when a scheduled pause is over (on the timer's queue).
protocol ScriptedPauseAction: AnyObject, Sendable {
    func pauseEnded()
}
