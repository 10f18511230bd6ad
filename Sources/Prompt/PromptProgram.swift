import Display
import Hardware
import KioskLog
import ReportModel
import Speech
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The visitor prompt on a terminal: `tipskiosk prompt`.
public enum PromptProgram {
    private static let running = ThreadCondition()

    /// Runs the prompt on the terminal `input`/`output` (usually both the same tty) until the terminal hangs up
    /// (read returns 0 or EIO, POLLHUP) or SIGTERM/SIGHUP/SIGINT/SIGQUIT arrives (as a signal: the keys Ctrl-C,
    /// Ctrl-\, Ctrl-Z and Ctrl-D are ordinary keys in raw mode and never end it). The terminal mode is restored
    /// and the screen wiped on every way out, also on a crash signal.
    ///
    /// A single-threaded `poll()` loop: no busy waiting (with nothing pending it sleeps until input or a signal),
    /// SIGWINCH is handled through a self-pipe. Output never blocks the loop: a frame the terminal does not take
    /// within 200 ms (the Hold key stopped it, or the far end stopped reading) stays queued, output is restarted,
    /// and the next frame replaces the unwritten rest with a whole screen; so the idle wipe always comes. Only one
    /// prompt can run in a process at a time (signal handlers are process-wide).
    ///
    /// - Returns: the exit status: 0 after a hang-up or a terminating signal, 78 (`EX_CONFIG`) when there are no
    ///   Swedish texts (only a program built without `Languages/sv.txt` and no `sv.txt` in `language_dir`), 74 (`EX_IOERR`) on another I/O error, 70 when a prompt already runs in this process.
    public static func run(settings: PromptSettings, store: PromptStore, input: Int32, output: Int32) -> Int32 {
        let texts: Texts
        do {
            texts = try Texts.load(languages: settings.languages, directory: settings.languageDirectory)
        } catch {
            let device = TerminalDevice(input: input, output: output)
            _ = device.writeAll("tipskiosk prompt: \(error)\r\n")
            return 78
        }
        guard running.tryLock() else { return 70 }
        defer { running.unlock() }

        // Log lines on standard error would land in the middle of the visitor's screen when it is the same
        // terminal: send them to /dev/null while the prompt runs (under systemd stderr is the journal instead).
        let stderrGuard = StderrGuard(ifSameTerminalAs: output)
        defer { stderrGuard.restore() }

        let device = TerminalDevice(input: input, output: output)
        guard let signals = SignalSetup.install(terminalFD: input, saved: device.saved) else {
            _ = device.writeAll("tipskiosk prompt: cannot take over the terminal's signals; not starting\r\n")
            return 71
        }
        // On a terminal, raw mode is what keeps Ctrl-C and friends from ending the prompt: without it, no start.
        if device.saved != nil && !device.enterRawMode() {
            let why = String(cString: strerror(errno))
            signals.uninstall()
            _ = device.writeAll("tipskiosk prompt: cannot put the terminal in raw mode (\(why)); not starting\r\n")
            return 71
        }
        device.makeOutputNonBlocking()
        // The framebuffer the screens are drawn on in large type, once taken (below).
        var screen: Framebuffer?
        defer {
            // The wipe, also over an unwritten frame (never written: the draft in it stays unseen) and after a
            // stop of the output.
            let dropped = device.replacePending(with: "")
            if !device.writeAll((dropped ? "\u{18}" : "") + TerminalDevice.teardown, waitMillis: 200) {
                device.restartOutput()
                _ = device.flush(waitMillis: 300)
            }
            // Only now, with the console's text wiped, does the console draw its text again (as in the crash
            // handler): never the last frame, draft and all.
            screen?.close()
            device.restore()
            signals.uninstall()
        }
        device.enqueue(TerminalDevice.setup)
        if device.flush(waitMillis: 200) == .gone { return 0 }

        // On the kiosk's own screen (a Linux virtual console), large type drawn on the framebuffer; on a pty,
        // a serial line, or without a framebuffer, the terminal's own characters.
        if settings.display == .auto, Framebuffer.isVirtualConsole(input) {
            do {
                let taken = try Framebuffer(console: input)
                screen = taken
                Log.info("drawing on \(taken.summary)")
            } catch {
                Log.warning("drawing with the console's own font: \(error)")
            }
        }

        let printer = settings.receiptPrinter.map { ReceiptPrinter(path: $0) }
        defer {
            // A receipt for the last tip may still be on its way: give it a moment, never long.
            printer?.waitUntilIdle(seconds: 2)
            printer?.stop()
        }
        // Speech: its own thread opens libespeak-ng now (a missing library or audio device is one log line, and
        // the prompt runs on without speech).
        let speaker = settings.speech ? Speaker(respellings: Dictionary(
            texts.packs.map { ($0.tag, Respelling(strings: $0.strings)) }, uniquingKeysWith: { a, _ in a })) : nil
        defer { speaker?.shutdown() }
        var loop = PromptLoop(settings: settings, texts: texts, store: store, device: device, signals: signals,
                              printer: printer, screen: screen, speaker: speaker)
        return loop.run()
    }
}

/// The poll loop: bytes → keys → flow → effects → one frame per batch.
struct PromptLoop {
    let device: TerminalDevice
    let signals: SignalSetup
    let store: PromptStore
    var renderer: ScreenRenderer
    let quitKey: Key?
    /// `[hardware] receipt_printer`, nil without one.
    let printer: ReceiptPrinter?
    /// The framebuffer the frames are also drawn on, in large type (nil: the terminal alone shows them).
    let screen: Framebuffer?
    /// A tip was stored: its receipt is due once the thanks screen is drawn.
    var receiptDue = false
    /// `[prompt] speech`: the speaker and what each screen says; nil without speech.
    let speaker: Speaker?
    let speech: SpeechScript?
    /// The state last spoken (or silenced); the flow changed since: speech is due once the frame is drawn,
    /// `speechByKey` when a key brought the change.
    var spokenCue: SpeechScript.Cue
    var speechDue = false
    var speechByKey = false
    var flow: PromptFlow
    var decoder = KeyDecoder()
    var writer = FrameWriter()
    var size: (rows: Int, columns: Int)
    var lastByteAt: Int64 = 0
    var gone = false
    /// A frame (or the screen's whole state) is to be drawn.
    var dirty = true
    /// Since when the terminal has not taken the queued output (nil while output flows).
    var stalledSince: Int64?
    /// When output was last restarted after a stall (nil: not yet).
    var lastRestart: Int64?
    /// When the centre's feedback is next read from the store (while the welcome screen shows).
    var feedbackCheckAt: Int64 = 0
    /// How often the welcome screen reads the feedback the gateway stored (a small read; no busy polling).
    static let feedbackEveryMillis: Int64 = 5000
    /// How long a frame may wait for the terminal before the loop goes on (and restarts output).
    static let outputWaitMillis = 200
    /// While output stays stalled, how often it is restarted again (the Hold key may be pressed again).
    static let restartEveryMillis: Int64 = 1000
    /// A report was stored: the store's upkeep runs once the thanks screen is drawn.
    var upkeepDue = false
    /// How long the last store took (nil: none yet), for `drawsSavingFirst`.
    var lastStoreMillis: Int64?
    /// A store that takes this long or longer is slow: the next one shows "Saving your tip …" first.
    static let slowStoreMillis: Int64 = 100

    /// Whether the "Saving your tip …" screen is drawn before a store. On a sound disk a store takes well under a
    /// millisecond: that screen would be up for a fraction of it and only delay the thanks (docs/BENCHMARKS.md,
    /// the visitor's wait). So it comes first only for the first tip after start, and after a store that took
    /// `slowStoreMillis` or more (a worn SD card, a long wait for the outbox's lock), where the visitor should
    /// see that the key was taken.
    static func drawsSavingFirst(lastStoreMillis: Int64?) -> Bool {
        lastStoreMillis.map { $0 >= slowStoreMillis } ?? true
    }

    init(settings: PromptSettings, texts: Texts, store: PromptStore, device: TerminalDevice, signals: SignalSetup,
         printer: ReceiptPrinter? = nil, screen: Framebuffer? = nil, speaker: Speaker? = nil) {
        self.printer = printer
        self.screen = screen
        self.speaker = speaker
        self.device = device
        self.signals = signals
        self.store = store
        self.quitKey = settings.quitKey
        var renderer = ScreenRenderer(texts: texts, places: settings.places, site: settings.site)
        renderer.speechHint = speaker != nil
        self.renderer = renderer
        self.speech = speaker == nil ? nil : SpeechScript(renderer: renderer)
        let config = FlowConfig(languageTags: texts.packs.map(\.tag), places: settings.places,
                                idleTimeoutMillis: Int64(max(1, settings.idleTimeoutSeconds)) * 1000,
                                thanksMillis: Int64(max(1, settings.thanksSeconds)) * 1000,
                                staffPINHash: settings.staffPINHash, ageGroup: store.ageGroup())
        self.flow = PromptFlow(config: config, now: monotonicMillis())
        self.spokenCue = SpeechScript.Cue(flow)
        self.size = screen.map { (rows: $0.rows, columns: $0.columns) } ?? device.size()
    }

    mutating func run() -> Int32 {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            if dirty { draw() } // (after a stall that ended, draw asks for one more, whole screen)
            if receiptDue { printReceipt() }
            if speechDue { speak() }
            if upkeepDue {
                upkeepDue = false
                store.upkeep()
            }
            if gone { return 0 }
            let now = monotonicMillis()
            var deadline = flow.nextDeadline(now: now)
            if let p = decoder.pendingTimeoutMillis { deadline = min(deadline ?? .max, lastByteAt + Int64(p)) }
            if stalledSince != nil { deadline = min(deadline ?? .max, (lastRestart ?? now) + Self.restartEveryMillis) }
            if flow.step == .welcome { deadline = min(deadline ?? .max, feedbackCheckAt) }
            let timeout: Int32 = deadline.map { Int32(clamping: max(0, $0 - now)) } ?? -1

            var fds = [pollfd(fd: device.input, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: signals.readFD, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: device.output, events: Int16(POLLOUT), revents: 0)]
            let r = poll(&fds, device.hasPendingOutput ? 3 : 2, timeout)
            if r < 0 {
                if errno == EINTR { continue }
                return 74
            }
            if device.hasPendingOutput && (fds[2].revents != 0 || restartIsDue(now: monotonicMillis())) {
                flushOutput(waitMillis: 0)
                if gone { return 0 }
            }
            if fds[1].revents & Int16(POLLIN) != 0 {
                for sig in signals.drain() {
                    if sig == SIGWINCH {
                        if screen == nil { size = device.size() }
                        writer.invalidate()
                        screen?.invalidate()
                        dirty = true
                    } else {
                        return 0
                    }
                }
            }
            let inEvents = fds[0].revents
            if inEvents & Int16(POLLIN) != 0 {
                let n = read(device.input, &buffer, buffer.count)
                if n > 0 {
                    lastByteAt = monotonicMillis()
                    for key in decoder.feed(buffer[0..<n]) {
                        if let quitKey, key == quitKey { return 0 }
                        if repeatsSpeech(key) { continue }
                        apply(.key(key))
                    }
                    dirty = true
                } else if n == 0 {
                    return 0 // end of file: the terminal hung up
                } else if errno != EINTR && errno != EAGAIN {
                    return errno == EIO ? 0 : 74
                }
            } else if inEvents & Int16(POLLHUP | POLLERR | POLLNVAL) != 0 {
                return 0
            }
            let later = monotonicMillis()
            if let p = decoder.pendingTimeoutMillis, later - lastByteAt >= Int64(p) {
                for key in decoder.flush() where !repeatsSpeech(key) { apply(.key(key)) }
                dirty = true
            }
            if let d = flow.nextDeadline(now: later), later >= d {
                apply(.tick)
                dirty = true
            }
            if flow.step == .welcome, later >= feedbackCheckAt {
                feedbackCheckAt = later + Self.feedbackEveryMillis
                let f = store.feedback()
                if f != flow.feedback {
                    apply(.feedback(f))
                    dirty = true
                }
            }
            if gone { return 0 }
        }
    }

    /// Renders the flow and hands the frame to the terminal, waiting for it at most `outputWaitMillis`.
    mutating func draw() {
        dirty = false
        // "F1 = läs upp igen" only while speech can be had (it goes once the library or the sound card proved
        // missing).
        if let speaker { renderer.speechHint = speaker.isAvailable }
        let frame = renderer.render(flow, width: size.columns, height: size.rows, now: monotonicMillis())
        if device.hasPendingOutput {
            // The terminal has not taken the last frame: replace its rest with a whole new screen.
            writer.invalidate()
            screen?.invalidate()
            device.replacePending(with: TerminalDevice.resume + writer.output(for: frame))
        } else {
            device.enqueue(writer.output(for: frame))
        }
        if let screen {
            for (row, cells) in FramePainter.rows(frame).enumerated() {
                screen.draw(row: row, cells: cells, background: FramePainter.background)
            }
        }
        flushOutput(waitMillis: stalledSince == nil ? Self.outputWaitMillis : 0)
    }

    /// Hands the receipt of the tip just stored to the printer's queue (it returns at once), after the thanks
    /// screen was drawn: the printer never delays "Tack".
    mutating func printReceipt() {
        receiptDue = false
        guard let printer, flow.step == .thanks, let reference = flow.reference else { return }
        let receipt = ReceiptText.receipt(texts: renderer.texts, language: flow.language, reference: reference,
                                          time: ReceiptText.format(unixSeconds: Int(unixMillis() / 1000)))
        printer.submit(ESCPOS.bytes(for: receipt))
    }

    /// After the frame is drawn: what the change of screen means for the speech (`SpeechScript.action`), handed
    /// to the speaker's thread (it returns at once).
    mutating func speak() {
        speechDue = false
        defer { speechByKey = false }
        guard let speech, let speaker else { return }
        let decision = speech.decision(from: spokenCue, to: flow, byKey: speechByKey)
        spokenCue = SpeechScript.Cue(flow)
        switch decision {
        case .none: break
        case .stop: speaker.stop()
        case .screen, .notice:
            // The words are made on the speaker's thread, from a copy of the state.
            let state = flow
            speaker.say { speech.words(decision, state).map { ($0.text, $0.language) } }
        }
    }

    /// With speech on (and to be had), the repeat key (F1) on a visitor screen reads it again and goes no further
    /// (on the welcome screen it does not start a tip). Not on staff screens, nor while staff type in paper tips:
    /// there, and without speech, F1 is the key it always was.
    func repeatsSpeech(_ key: Key) -> Bool {
        guard let speech, let speaker, speaker.isAvailable, key == SpeechScript.repeatKey,
              !flow.step.isStaff, !flow.paperMode else { return false }
        let state = flow
        speaker.say { speech.utterance(for: state).map { ($0.text, $0.language) } }
        return true
    }

    func restartIsDue(now: Int64) -> Bool { lastRestart.map { now - $0 >= Self.restartEveryMillis } ?? true }

    /// Writes what is queued. On a stall, restarts output (at most every `restartEveryMillis`) and tries once
    /// more; when output flows again after a stall, the whole screen is drawn anew.
    mutating func flushOutput(waitMillis: Int) {
        var result = device.flush(waitMillis: waitMillis)
        if result == .stalled {
            let now = monotonicMillis()
            if stalledSince == nil { stalledSince = now }
            if restartIsDue(now: now) {
                lastRestart = now
                device.restartOutput()
                result = device.flush(waitMillis: 50)
            }
        }
        switch result {
        case .done:
            if stalledSince != nil {
                stalledSince = nil
                writer.invalidate()
                screen?.invalidate()
                dirty = true
            }
        case .stalled:
            break
        case .gone:
            gone = true
        }
    }

    /// Hands one event to the flow and carries out its effects (which may answer with more events).
    mutating func apply(_ event: FlowEvent) {
        if speaker != nil {
            speechDue = true
            if case .key = event { speechByKey = true }
        }
        var queue = [event]
        while !queue.isEmpty {
            let e = queue.removeFirst()
            for effect in flow.handle(e, now: monotonicMillis()) {
                switch effect {
                case .clearScreen:
                    // A wipe: the whole screen and the terminal's scrollback go, not only the rows that changed.
                    writer.invalidate(clearingScrollback: true)
                case .store(let draft):
                    if Self.drawsSavingFirst(lastStoreMillis: lastStoreMillis) { draw() }
                    let started = monotonicMillis()
                    do {
                        let r = try store.store(draft)
                        queue.append(.stored(id: r.id, seq: r.seq))
                        receiptDue = printer != nil
                        upkeepDue = true
                    } catch {
                        queue.append(.storeFailed(error))
                    }
                    lastStoreMillis = monotonicMillis() - started
                case .refreshStaffSnapshot:
                    queue.append(.staffSnapshot(store.snapshot(), eventLabel: store.eventLabel()))
                case .setEventLabel(let label):
                    do {
                        try store.setEventLabel(label)
                        queue.append(.eventLabelSaved(label))
                    } catch {
                        queue.append(.eventLabelFailed(error))
                    }
                case .useConfiguredEventLabel:
                    do {
                        try store.useConfiguredEventLabel()
                        queue.append(.eventLabelSaved(store.eventLabel()))
                    } catch {
                        queue.append(.eventLabelFailed(error))
                    }
                case .setAgeGroup(let setting):
                    do {
                        try store.setAgeGroup(setting)
                        queue.append(.ageGroupSaved(setting))
                    } catch {
                        queue.append(.ageGroupFailed(error))
                    }
                case .useConfiguredAgeGroup:
                    do {
                        try store.useConfiguredAgeGroup()
                        queue.append(.ageGroupSaved(store.ageGroup()))
                    } catch {
                        queue.append(.ageGroupFailed(error))
                    }
                case .requeueDeadLetters:
                    do {
                        queue.append(.deadLettersRequeued(try store.requeueDeadLetters()))
                    } catch {
                        queue.append(.deadLettersFailed(error))
                    }
                case .loadStaffLockout:
                    let stored = store.staffLockout()
                    queue.append(.staffLockoutLoaded(PINLockout(stored: stored, now: monotonicMillis(),
                                                                unixNow: unixMillis())))
                case .saveStaffLockout(let lockout):
                    // When it cannot be stored, the flow still holds it for as long as this prompt runs.
                    try? store.setStaffLockout(lockout.stored(now: monotonicMillis(), unixNow: unixMillis()))
                }
            }
        }
    }
}

/// Points fd 2 at /dev/null while the prompt runs, when fd 2 is the prompt's own terminal.
struct StderrGuard {
    private let saved: Int32

    init(ifSameTerminalAs output: Int32) {
        var a = stat(), b = stat()
        guard isatty(2) == 1, fstat(2, &a) == 0, fstat(output, &b) == 0, a.st_rdev == b.st_rdev else {
            saved = -1
            return
        }
        let copy = fcntl(2, F_DUPFD_CLOEXEC, 3)
        let null = open("/dev/null", O_WRONLY | O_CLOEXEC)
        if copy >= 0, null >= 0, dup2(null, 2) == 2 {
            saved = copy
        } else {
            if copy >= 0 { close(copy) }
            saved = -1
        }
        if null >= 0 { close(null) }
    }

    func restore() {
        guard saved >= 0 else { return }
        _ = dup2(saved, 2)
        close(saved)
    }
}
