import Glibc
import Hardware

/// libespeak-ng, opened with `dlopen` at run time: a kiosk without speech (and the gateway) neither links it nor
/// needs it installed. Only the few functions of `<espeak-ng/speak_lib.h>` the prompt uses are looked up; their
/// C types are declared here, so no header is needed at build time either.
///
/// The library is process-wide and can be initialised once per process, in one output mode: `Speaker` uses it
/// for playback (`AUDIO_OUTPUT_PLAYBACK`, asynchronous), `synthesizeToMemory` (tests, checks) synchronously.
public final class ESpeak: @unchecked Sendable {
    /// The library's file name (Debian 12: package libespeak-ng1).
    public static let defaultLibrary = "libespeak-ng.so.1"
    /// Names another library file (a test names a missing one to see the prompt carry on without speech).
    public static let libraryEnvironment = "TIPSKIOSK_SPEECH_LIBRARY"

    /// The library name to open: `$TIPSKIOSK_SPEECH_LIBRARY` when set, else `defaultLibrary`.
    public static var libraryName: String {
        if let p = getenv(libraryEnvironment), p.pointee != 0 { return String(cString: p) }
        return defaultLibrary
    }

    // speak_lib.h: espeak_AUDIO_OUTPUT, espeakINITIALIZE_DONT_EXIT, espeakCHARS_UTF8, espeakPHONEMES,
    // POS_CHARACTER, espeakRATE.
    enum Output: Int32 { case playback = 0, retrieval = 1, synchronous = 2, synchronousPlayback = 3 }
    static let initializeDontExit: Int32 = 0x8000
    static let charsUTF8: UInt32 = 1
    /// Text within `[[ ]]` is phonemes (espeak's own mnemonics): what `Respelling` uses for the words the
    /// letters alone cannot fix.
    static let phonemes: UInt32 = 0x100
    static let positionCharacter: Int32 = 1
    static let parameterRate: Int32 = 1

    typealias InitializeFn = @convention(c) (Int32, Int32, UnsafePointer<CChar>?, Int32) -> Int32
    typealias SetVoiceByNameFn = @convention(c) (UnsafePointer<CChar>?) -> Int32
    typealias SynthFn = @convention(c) (UnsafeRawPointer?, Int, UInt32, Int32, UInt32, UInt32,
                                        UnsafeMutablePointer<UInt32>?, UnsafeMutableRawPointer?) -> Int32
    typealias NoArgumentFn = @convention(c) () -> Int32
    typealias SetParameterFn = @convention(c) (Int32, Int32, Int32) -> Int32
    typealias SynthCallback = @convention(c) (UnsafeMutablePointer<Int16>?, Int32, UnsafeMutableRawPointer?) -> Int32
    typealias SetSynthCallbackFn = @convention(c) (SynthCallback?) -> Void

    let initialize: InitializeFn
    let setVoiceByName: SetVoiceByNameFn
    let synth: SynthFn
    let cancel: NoArgumentFn
    let synchronize: NoArgumentFn
    let setParameter: SetParameterFn
    let setSynthCallback: SetSynthCallbackFn

    private init(handle: UnsafeMutableRawPointer) throws(SpeechUnavailable) {
        func symbol<F>(_ name: String, _ type: F.Type) throws(SpeechUnavailable) -> F {
            guard let p = dlsym(handle, name) else { throw SpeechUnavailable("\(ESpeak.libraryName) has no \(name)") }
            return unsafeBitCast(p, to: type)
        }
        initialize = try symbol("espeak_Initialize", InitializeFn.self)
        setVoiceByName = try symbol("espeak_SetVoiceByName", SetVoiceByNameFn.self)
        synth = try symbol("espeak_Synth", SynthFn.self)
        cancel = try symbol("espeak_Cancel", NoArgumentFn.self)
        synchronize = try symbol("espeak_Synchronize", NoArgumentFn.self)
        setParameter = try symbol("espeak_SetParameter", SetParameterFn.self)
        setSynthCallback = try symbol("espeak_SetSynthCallback", SetSynthCallbackFn.self)
    }

    nonisolated(unsafe) private static var loaded: ESpeak?
    nonisolated(unsafe) private static var initializedMode: Output?
    nonisolated(unsafe) private static var initializedRate: Int32 = 0
    /// Guards `loaded`, `initializedMode`, `initializedRate`, `collected`.
    private static let lock = ThreadCondition()

    private static func withLock<T>(_ body: () throws(SpeechUnavailable) -> T) throws(SpeechUnavailable) -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    /// The library, opened on first use (the lock held).
    private static func load() throws(SpeechUnavailable) -> ESpeak {
        if let loaded { return loaded }
        let name = libraryName
        guard let handle = dlopen(name, RTLD_NOW | RTLD_LOCAL) else {
            throw SpeechUnavailable("cannot load \(name) (\(dlerror().map { String(cString: $0) } ?? "not found"))")
        }
        let lib = try ESpeak(handle: handle)
        loaded = lib
        return lib
    }

    /// Opens the library (once per process) and initialises it in `mode` (once per process; a second mode is
    /// refused). Returns the sample rate.
    static func open(mode: Output) throws(SpeechUnavailable) -> (ESpeak, sampleRate: Int32) {
        try withLock { () throws(SpeechUnavailable) -> (ESpeak, sampleRate: Int32) in
            let lib = try load()
            if let initializedMode {
                guard initializedMode == mode else { throw SpeechUnavailable("espeak-ng is already in use in another mode") }
                return (lib, initializedRate)
            }
            if mode == .playback, let problem = audioProblem() { throw SpeechUnavailable(problem) }
            let rate = lib.initialize(mode.rawValue, mode == .playback ? 0 : 200, nil, initializeDontExit)
            guard rate > 0 else {
                throw SpeechUnavailable("espeak-ng cannot start (espeak_Initialize: \(rate); is espeak-ng-data installed, is there audio?)")
            }
            initializedMode = mode
            initializedRate = rate
            return (lib, rate)
        }
    }

    /// Whether the library can be loaded (and has the functions used), without initialising it: nil when it
    /// can, else why not. For `check-config`.
    public static func checkLibrary() -> String? {
        do {
            _ = try withLock { () throws(SpeechUnavailable) -> ESpeak in try load() }
            return nil
        } catch {
            return error.description
        }
    }

    /// Why sound cannot be played, nil when it can be tried. espeak-ng's playback opens the audio device only for
    /// each utterance, and a failure there prints alsa-lib's lines for every one: so the device is looked at once,
    /// before: a sound server's socket (PulseAudio, PipeWire: a desktop running the demo) will do; else
    /// `/dev/snd` needs a playback device (`pcmC*D*p`) this process may open.
    static func audioProblem() -> String? {
        if getenv("PULSE_SERVER") != nil { return nil }
        if let runtime = getenv("XDG_RUNTIME_DIR").map({ String(cString: $0) }),
           access(runtime + "/pulse/native", F_OK) == 0 || access(runtime + "/pipewire-0", F_OK) == 0 {
            return nil
        }
        guard let dir = opendir("/dev/snd") else { return "no sound card (no /dev/snd)" }
        var playback: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name.hasPrefix("pcmC"), name.hasSuffix("p") { playback.append(name) }
        }
        closedir(dir)
        guard !playback.isEmpty else { return "no sound card with a playback device in /dev/snd" }
        var refused: (String, Int32)?
        for name in playback.sorted() {
            let fd = Glibc.open("/dev/snd/" + name, O_WRONLY | O_NONBLOCK | O_CLOEXEC)
            if fd >= 0 {
                Glibc.close(fd)
                return nil
            }
            let e = errno
            if e == EACCES || e == EPERM {
                refused = refused ?? (name, e)
            } else {
                return nil // busy (another program plays) or the like: the device is there and may be opened
            }
        }
        guard let (name, e) = refused else { return nil }
        return "/dev/snd/\(name): \(String(cString: strerror(e))) (the prompt needs the group audio and DeviceAllow=char-alsa rw: "
            + "hardware/systemd/tipskiosk-prompt.service.d/speech.conf)"
    }

    // MARK: - Synthesis that plays nothing

    /// Guards `discardAbandon`, `discardedSamples`.
    private static let discardLock = ThreadCondition()
    nonisolated(unsafe) private static var discardAbandon = false
    nonisolated(unsafe) private static var discardedSamples = 0

    /// Abandons (or no longer abandons) the synthesis in progress of `.synchronous` speech that plays nothing.
    static func setAbandon(_ value: Bool) { discardLock.withLock { discardAbandon = value } }

    /// Synthesises `text` and throws the sound away, on the calling thread (a box without a sound card, where a
    /// benchmark or a test wants the synthesis's real work beside the prompt). Stops early when `setAbandon(true)`.
    /// Returns the number of samples made.
    func synthesizeDiscarding(_ text: String) -> Int {
        // Under the library's lock: `synthesizeToMemory` may run on another thread of the process (tests).
        ESpeak.lock.withLock {
            ESpeak.discardLock.withLock { ESpeak.discardedSamples = 0 }
            setSynthCallback { _, count, _ in
                ESpeak.discardLock.withLock {
                    if count > 0 { ESpeak.discardedSamples += Int(count) }
                    return ESpeak.discardAbandon ? 1 : 0
                }
            }
            _ = say(text)
            return ESpeak.discardLock.withLock { ESpeak.discardedSamples }
        }
    }

    /// Hands `text` to `espeak_Synth` as the prompt's texts are: UTF-8, `[[…]]` taken as phonemes (the
    /// respellings). Its result code (0: queued or spoken).
    func say(_ text: String) -> Int32 {
        text.withCString { p in synth(p, strlen(p) + 1, 0, ESpeak.positionCharacter, 0, ESpeak.charsUTF8 | ESpeak.phonemes, nil, nil) }
    }

    // MARK: - Synthesis to memory

    nonisolated(unsafe) private static var collected: [Int16] = []

    /// Synthesises `text` with `voice` into 16-bit mono samples (for tests and checks), synchronously on the
    /// calling thread. The process must not use the library for playback.
    public static func synthesizeToMemory(_ text: String, voice: String) throws(SpeechUnavailable) -> (samples: [Int16], sampleRate: Int) {
        let (lib, rate) = try open(mode: .synchronous)
        return try withLock { () throws(SpeechUnavailable) -> (samples: [Int16], sampleRate: Int) in
            collected = []
            lib.setSynthCallback { wav, count, _ in
                if let wav, count > 0 { ESpeak.collected.append(contentsOf: UnsafeBufferPointer(start: wav, count: Int(count))) }
                return 0
            }
            guard lib.setVoiceByName(voice) == 0 else { throw SpeechUnavailable("espeak-ng has no voice \(voice)") }
            let r = lib.say(text)
            _ = lib.synchronize()
            guard r == 0 else { throw SpeechUnavailable("espeak_Synth: \(r)") }
            defer { collected = [] }
            return (collected, Int(rate))
        }
    }
}

/// Why there is no speech: one line for the log.
public struct SpeechUnavailable: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
