import MusterCore
func runInteractive(setup: SessionSetup, command: Muster) async -> Int32 { 0 }
