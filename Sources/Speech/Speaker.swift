import Daemon
import Glibc
import Hardware
import KioskLog

/// Speaks the prompt's texts aloud with espeak-ng, from a thread of its own: `say` and `stop` only leave a
/// request and return (no I/O, no waiting), so speech never delays a key or "Tack".
///
/// The thread opens libespeak-ng (`ESpeak`) when the speaker is made, for asynchronous playback to the system's
/// default audio device. A newer request replaces one not yet taken; each request first cancels what is still
/// being spoken (`espeak_Cancel`), so an old screen's speech never runs on. When the library, its data or the
/// audio device is missing, one line is logged and every request is dropped: the visitor's flow never depends on
/// speech.
public final class Speaker: @unchecked Sendable {
    public enum State: Sendable, Equatable {
        case starting
        case ready
        case unavailable(String)
    }

    /// Makes the words to say (text and language tag), on the speaker's thread; nil: say nothing.
    public typealias Words = @Sendable () -> (text: String, language: String)?

    private enum Request {
        case say(Words, at: Double)
        case stop
    }

    private let condition = ThreadCondition()
    // Guarded by `condition`.
    private var pending: Request?
    private var shutDown = false
    private var _state: State = .starting
    /// Counts requests, so that the thread sees a newer one while it waits.
    private var generation = 0

    /// The respelling of each language tag (`Respelling`).
    private let respellings: [String: Respelling]
    /// Words per minute (espeak's default is 175; a little slower reads better to a passer-by).
    public let rate: Int32
    /// Synthesise, but play nothing (`TIPSKIOSK_SPEECH_OUTPUT=discard`): for a box without a sound card where a
    /// benchmark or a test wants the synthesis's real work beside the prompt. The log then tells (debug) how
    /// many seconds of sound each utterance made, never its words.
    public let discard: Bool
    public static let outputEnvironment = "TIPSKIOSK_SPEECH_OUTPUT"
    /// Speech starts this long after its request: a key within it (a visitor going on at once) replaces the
    /// words before any are made, so quick keys never meet synthesis on the CPU; what was being said stops at
    /// once all the same. Well under the time a person takes to look at a new screen.
    public static let settleSeconds = 0.15

    /// Starts the speaker's thread, which opens libespeak-ng at once (nothing waits for it).
    public init(respellings: [String: Respelling], rate: Int32 = 160,
                discard: Bool = getenv(Speaker.outputEnvironment).map { String(cString: $0) == "discard" } ?? false) {
        self.respellings = respellings
        self.rate = rate
        self.discard = discard
        if !ThreadCondition.detach({ [self] in self.work() }) {
            _state = .unavailable("no thread for speech")
            Log.warning("speech: no thread for speech; the prompt runs without speech")
        }
    }

    public var state: State { condition.withLock { _state } }

    /// Whether speech is on its way or running: false once the library or the audio device proved missing.
    public var isAvailable: Bool {
        if case .unavailable = state { return false }
        return true
    }

    /// Speaks what `words` makes (on the speaker's thread: the caller's thread only hands it over), in the
    /// voice of its language (a BCP 47 tag; its first part names the espeak-ng voice), cutting off what is
    /// being said. Returns at once.
    public func say(_ words: @escaping Words) {
        post(.say(words, at: monotonicSeconds()))
    }

    /// Stops what is being said. Returns at once.
    public func stop() { post(.stop) }

    /// Ends the thread (what is being said is cut off).
    public func shutdown() {
        condition.withLock {
            shutDown = true
            condition.signal()
        }
    }

    private func post(_ r: Request) {
        condition.lock()
        if case .unavailable = _state {
            condition.unlock()
            return
        }
        pending = r
        generation += 1
        if discard { ESpeak.setAbandon(true) }
        condition.signal()
        condition.unlock()
    }

    /// The voice espeak-ng knows for a language tag: its first part (`sv`, `en`, `sv-FI` → `sv`).
    public static func voice(for language: String) -> String {
        String(language.split(separator: "-").first ?? "sv").lowercased()
    }

    private func work() {
        let lib: ESpeak
        let sampleRate: Int32
        do {
            (lib, sampleRate) = try ESpeak.open(mode: discard ? .synchronous : .playback)
            _ = lib.setParameter(ESpeak.parameterRate, rate, 0)
            condition.withLock { _state = .ready }
        } catch {
            condition.withLock {
                _state = .unavailable(error.description)
                pending = nil
            }
            Log.warning("speech: \(error); the prompt runs without speech")
            return
        }
        var voice: String?
        var missingVoices: Set<String> = []
        while true {
            condition.lock()
            while pending == nil && !shutDown { condition.wait() }
            let request = pending
            pending = nil
            let taken = generation
            let end = shutDown
            if discard { ESpeak.setAbandon(false) }
            condition.unlock()
            if !discard { _ = lib.cancel() }
            if end { return }
            guard case .say(let words, let postedAt)? = request else { continue }
            // Settle: a newer request (or the end) within `settleSeconds` replaces this one unspoken.
            let due = postedAt + Self.settleSeconds
            let replaced: Bool = condition.withLock {
                while generation == taken && !shutDown && monotonicSeconds() < due { _ = condition.wait(untilMonotonic: due) }
                return generation != taken || shutDown
            }
            if replaced { continue }
            if case let (text, language)? = words() {
                let wanted = Self.voice(for: language)
                if voice != wanted {
                    if lib.setVoiceByName(wanted) == 0 {
                        voice = wanted
                    } else if missingVoices.insert(wanted).inserted {
                        Log.warning("speech: espeak-ng has no voice \"\(wanted)\"; texts in \(language) are not read aloud")
                    }
                }
                if voice == wanted {
                    let spoken = (respellings[language] ?? Respelling(rules: [])).apply(text)
                    if discard {
                        let samples = lib.synthesizeDiscarding(spoken)
                        Log.debug("speech: \(String(format1: Double(samples) / Double(max(1, sampleRate)))) s of sound in \(wanted) (played nowhere)")
                    } else {
                        _ = lib.say(spoken)
                    }
                }
            }
        }
    }
}
