import Foundation
import Hardware
import Testing
import TestSupport

@Suite struct StatusLightTests {
    // MARK: The mapping, table-tested

    @Test(arguments: [
        // running, connected, pending, dead letters, outbox refuses → light
        (false, true, 0, 0, false, StatusLight.State.off),
        (false, false, 5, 3, true, .off),
        (true, true, 0, 0, false, .steady),
        (true, true, 1, 0, false, .slowBlink),
        (true, false, 7, 0, false, .slowBlink),
        (true, false, 0, 0, false, .slowBlink),
        (true, true, 0, 1, false, .fastBlink),
        (true, false, 3, 2, false, .fastBlink),
        (true, true, 100, 0, true, .fastBlink),
        (true, false, 0, 0, true, .fastBlink),
    ])
    func stateForSnapshot(_ row: (Bool, Bool, Int, Int, Bool, StatusLight.State)) {
        let (running, connected, pending, dead, refuses, expected) = row
        let snapshot = StatusLight.Snapshot(running: running, connected: connected, pending: pending, deadLetters: dead,
                                            outboxRefuses: refuses)
        #expect(StatusLight.state(for: snapshot) == expected, "\(snapshot)")
    }

    @Test func blinkTimesAreSlowAndFast() {
        #expect(StatusLight.State.off.blinkMillis == nil)
        #expect(StatusLight.State.steady.blinkMillis == nil)
        let slow = StatusLight.State.slowBlink.blinkMillis!, fast = StatusLight.State.fastBlink.blinkMillis!
        #expect(slow.on == 1000 && slow.off == 1000)
        #expect(fast.on == 125 && fast.off == 125)
    }

    @Test func triggerNamesIgnoreTheBrackets() {
        #expect(LEDClassLight.triggerNames("none [timer] heartbeat\n") == ["none", "timer", "heartbeat"])
        #expect(LEDClassLight.triggerNames("[none] kbd-numlock") == ["none", "kbd-numlock"])
    }

    // MARK: The LED class in a fake sysfs tree

    @Test func eachStateWritesTheLEDFiles() throws {
        let sysfs = try FakeLED(triggers: "[none] timer heartbeat")
        let light = LEDClassLight(folder: sysfs.root + "/tips")
        #expect(light.hasTimerTrigger)
        #expect(light.shown == nil)

        light.show(.steady)
        #expect(sysfs.trigger == "none" && sysfs.brightness == "255")
        light.show(.slowBlink)
        #expect(sysfs.trigger == "timer" && sysfs.delayOn == "1000" && sysfs.delayOff == "1000")
        light.show(.fastBlink)
        #expect(sysfs.trigger == "timer" && sysfs.delayOn == "125" && sysfs.delayOff == "125")
        light.show(.steady)
        #expect(sysfs.trigger == "none" && sysfs.brightness == "255")
        light.show(.off)
        #expect(sysfs.trigger == "none" && sysfs.brightness == "0")
        #expect(light.shown == .off)
    }

    @Test func writesOnlyWhenTheStateChanges() throws {
        let sysfs = try FakeLED(triggers: "[none] timer")
        let light = LEDClassLight(folder: sysfs.root + "/tips")
        light.show(.fastBlink)
        #expect(sysfs.delayOn == "125")
        // Something else writes the files; the same state again writes nothing.
        try sysfs.set("delay_on", "7")
        try sysfs.set("trigger", "x")
        light.show(.fastBlink)
        #expect(sysfs.delayOn == "7" && sysfs.trigger == "x")
        light.show(.slowBlink)
        #expect(sysfs.trigger == "timer" && sysfs.delayOn == "1000")
    }

    @Test func withoutTheTimerTriggerItShowsSteady() throws {
        let sysfs = try FakeLED(triggers: "[none] heartbeat default-on", maxBrightness: "1")
        let light = LEDClassLight(folder: sysfs.root + "/tips")
        #expect(!light.hasTimerTrigger)
        light.show(.slowBlink)
        #expect(sysfs.trigger == "none" && sysfs.brightness == "1")
        #expect(light.shown == .steady)
        light.show(.off)
        #expect(sysfs.brightness == "0")
    }

    @Test func aFailedWriteIsTriedAgainAtTheNextShow() throws {
        let sysfs = try FakeLED(triggers: "[none] timer")
        // A folder where delay_on should be: no user, not even root, can write it as a file.
        try FileManager.default.removeItem(atPath: sysfs.folder + "/delay_on")
        try FileManager.default.createDirectory(atPath: sysfs.folder + "/delay_on", withIntermediateDirectories: false)
        let light = LEDClassLight(folder: sysfs.root + "/tips")
        light.show(.slowBlink)
        #expect(light.shown == nil)
        try FileManager.default.removeItem(atPath: sysfs.folder + "/delay_on")
        try sysfs.set("delay_on", "")
        light.show(.slowBlink)
        #expect(light.shown == .slowBlink)
        #expect(sysfs.delayOn == "1000")
    }
}
