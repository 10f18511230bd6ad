import Foundation
import Testing
import TestSupport
@testable import KioskConfig

@Suite struct TOMLTests {
    @Test func parsesTheSubset() throws {
        let doc = try TOMLParser.parse("""
            # comment
            [kiosk]
            id = "a-1"   # trailing
            n = 1_000
            ok = true
            list = [
              "a", # first
              'b\\c',
            ]
            [mqtt.extra]
            "quoted key" = "x\\u00e5\\n"
            """)
        #expect(doc.tables["kiosk"]?.entries["id"]?.value == .string("a-1"))
        #expect(doc.tables["kiosk"]?.entries["n"]?.value == .integer(1000))
        #expect(doc.tables["kiosk"]?.entries["ok"]?.value == .boolean(true))
        #expect(doc.tables["kiosk"]?.entries["list"]?.value == .array([.string("a"), .string("b\\c")]))
        #expect(doc.tables["kiosk"]?.entries["list"]?.line == 6)
        #expect(doc.tables["mqtt.extra"]?.entries["quoted key"]?.value == .string("xå\n"))
    }

    @Test func syntaxErrorsHaveTheirLine() {
        func line(of text: String) -> Int? {
            do { _ = try TOMLParser.parse(text); return nil } catch { return error.line }
        }
        #expect(line(of: "[a]\nx = \"open\n") == 2)
        #expect(line(of: "[a]\nx = 1\nx = 2\n") == 3)
        #expect(line(of: "[a]\n\ny = bare\n") == 3)
        #expect(line(of: "[a]\nz = [1,\n2\n") == 2)
        #expect(line(of: "[a]\nt = {a = 1}\n") == 2)
    }
}

@Suite struct ConfigurationTests {
    @Test func exampleFileIsValid() throws {
        let here = URL(fileURLWithPath: #filePath)
        let example = here.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("config/tipskiosk.toml").path
        let c = try Configuration.load(path: example)
        #expect(c.kiosk.id == "gotene-ungdomsgarden-1")
        #expect(c.kiosk.languages == ["sv", "en"])
        #expect(c.storage.maxPending == 100_000)
        #expect(c.mqtt.topicPrefix == "lagesbild/v1")
        #expect(c.mqtt.tls == false)
        #expect(c.warnings.isEmpty)
        #expect(c.topics.status(kiosk: c.kiosk.id) == "lagesbild/v1/status/gotene-ungdomsgarden-1")
        #expect(c.mqtt.awaitReceipts, "the example keeps the default: receipts on")
    }

    @Test("Receipts are on unless a site turns them off (issue 22)")
    func receiptsOnByDefault() throws {
        let base = "[kiosk]\nid = \"k\"\nsite = \"s\"\n[mqtt]\n"
        #expect(try Configuration.parse(text: base, path: "t.toml", checkFiles: false).mqtt.awaitReceipts)
        #expect(try Configuration.parse(text: base + "await_receipts = false\n", path: "t.toml", checkFiles: false).mqtt.awaitReceipts == false)
    }

    @Test func errorsNameFileLineAndKey() {
        let text = "[kiosk]\nid = \"Bad Id\"\nsite = \"S\"\n[storage]\nmax_pending = 0\n[mqtt]\nqos = 0\ntopic_prefix = \"a/#\"\n"
        do {
            _ = try Configuration.parse(text: text, path: "/etc/k.toml")
            Issue.record("accepted a bad file")
        } catch {
            let lines = error.errors.map(\.description)
            #expect(lines.count == 4)
            #expect(lines[0].hasPrefix("/etc/k.toml:2: kiosk.id: must be 1 to 64 of a-z"))
            #expect(lines[1].hasPrefix("/etc/k.toml:5: storage.max_pending: must be between 1 and"))
            #expect(lines[2].hasPrefix("/etc/k.toml:7: mqtt.qos: must be between 1 and 2, not 0"))
            #expect(lines[3].hasPrefix("/etc/k.toml:8: mqtt.topic_prefix: must not contain"))
        }
    }

    @Test func speechIsOffUnlessSetAndMustBeABoolean() throws {
        let base = "[kiosk]\nid = \"k\"\nsite = \"s\"\n[prompt]\n"
        #expect(try Configuration.parse(text: base, path: "t.toml").prompt.speech == false)
        #expect(try Configuration.parse(text: base + "speech = true\n", path: "t.toml").prompt.speech == true)
        #expect(try Configuration.parse(text: base + "speech = false\n", path: "t.toml").prompt.speech == false)
        #expect(try Configuration.parse(text: base + "speech = true\n", path: "t.toml").warnings.isEmpty)
        do {
            _ = try Configuration.parse(text: base + "speech = \"yes\"\n", path: "t.toml")
            Issue.record("accepted speech = \"yes\"")
        } catch {
            #expect(error.errors.map(\.description) == ["t.toml:5: prompt.speech: must be true or false"])
        }
    }

    @Test func checkConfigNamesAMissingSpeechLibrary() throws {
        let d = TempDir()
        let path = writeTestConfig(in: d, extra: "[prompt]\nspeech = true\n")
        var env = ProcessInfo.processInfo.environment
        env["TIPSKIOSK_SPEECH_LIBRARY"] = "libespeak-ng-missing.so.1"
        let r = try runProcess(tipskioskBinary(), ["check-config", "--config", path], environment: env)
        #expect(r.status == 0, "a missing speech library is a note: the prompt runs without speech")
        #expect(r.stdout.contains("speech on"))
        #expect(r.stderr.contains("\(path):"))
        #expect(r.stderr.contains(": prompt.speech: cannot load libespeak-ng-missing.so.1"))
        #expect(r.stderr.contains("install libespeak-ng1"))
    }

    @Test func missingRequiredKeys() {
        do {
            _ = try Configuration.parse(text: "[kiosk]\nsite = \"x\"\n", path: "k.toml")
            Issue.record("accepted a file without kiosk.id")
        } catch {
            #expect(error.errors.map(\.description) == ["k.toml:1: kiosk.id: is missing"])
        }
    }

    @Test func pathsAreExpandedAndRelativeToTheFile() throws {
        let c = try Configuration.parse(text: "[kiosk]\nid = \"k\"\nsite = \"s\"\n[storage]\npath = \"data/o.sqlite\"\n[mqtt]\nusername = \"u\"\n",
                                        path: "/etc/tipskiosk/t.toml")
        #expect(c.storage.path == "/etc/tipskiosk/data/o.sqlite")
        let d = TempDir()
        _ = FileManager.default.createFile(atPath: d.file("pw"), contents: Data("secret".utf8), attributes: [.posixPermissions: 0o600])
        let c2 = try Configuration.parse(text: "[kiosk]\nid = \"k\"\nsite = \"s\"\n[mqtt]\npassword_file = \"$CREDENTIALS_DIRECTORY/pw\"\ntls = false\n",
                                         path: "/x/t.toml", environment: ["CREDENTIALS_DIRECTORY": d.path])
        #expect(c2.mqtt.passwordFile == d.file("pw"))
        do {
            _ = try Configuration.parse(text: "[kiosk]\nid = \"k\"\nsite = \"s\"\n[mqtt]\npassword_file = \"$NOPE/pw\"\n", path: "t.toml")
            Issue.record("accepted an unset variable")
        } catch {
            #expect(error.errors.first?.description == "t.toml:5: mqtt.password_file: uses $NOPE, which is not set in the environment")
        }
    }

    @Test func checkConfigCommandExitsWith78() throws {
        let d = TempDir()
        let path = d.file("bad.toml")
        _ = FileManager.default.createFile(atPath: path, contents: Data("[kiosk]\nid = \"ok\"\nsite = \"s\"\nidle_timeout_s = \"90\"\n".utf8))
        let r = try tipskiosk(["check-config", "--config", path])
        #expect(r.status == 78)
        #expect(r.stderr == "\(path):4: kiosk.idle_timeout_s: must be a whole number, not a string\n")
        let good = writeTestConfig(in: d)
        let ok = try tipskiosk(["check-config", "--config", good])
        #expect(ok.status == 0)
        #expect(ok.stdout.contains("ok (kiosk test-kiosk-1"))
    }
}
