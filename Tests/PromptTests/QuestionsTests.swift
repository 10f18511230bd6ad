@testable import Prompt
import ReportModel
import Testing

/// The questions of issue 14, in process: "did you see it yourself?", the age question at an `ask` kiosk,
/// the danger screen, and staff's age group setting.
@Suite struct QuestionsTests {
    /// Types a whole tip up to the review screen with `source` and `age` keys (nil: Enter).
    func toReview(_ f: inout PromptFlow, category: String = "5", when: String = "3", source: String? = nil,
                  age: String? = nil) {
        f.type("x" + category + "Centrum\r" + when)
        if f.step == .danger { f.type(" ") }
        #expect(f.step == .source)
        f.type(source ?? "\r")
        #expect(f.step == .text)
        f.type("Cykeln stals\r")
        if f.ageGroupSetting == .ask {
            #expect(f.step == .age)
            f.type(age ?? "\r")
        }
        #expect(f.step == .contact)
        f.type("\r")
        #expect(f.step == .review)
    }

    func sent(_ f: inout PromptFlow) -> ValidDraft? {
        guard case .store(let d)? = f.type("1").first else { return nil }
        return d
    }

    @Test(arguments: [("1", Source.saw), ("2", Source.heard), ("3", nil), (nil, nil)] as [(String?, Source?)])
    func sourceAnswerGoesIntoTheReport(key: String?, expected: Source?) throws {
        var f = makeFlow()
        toReview(&f, source: key)
        let d = try #require(sent(&f))
        #expect(d.source == expected)
        let report = Report(id: "i", kiosk: "k", seq: 1, submittedAt: "2026-11-25T10:00:00Z", draft: d, site: "S", event: nil)
        if let expected {
            #expect(report.jsonPayload.contains(#""source":"\#(expected.rawValue)""#))
        } else {
            #expect(!report.jsonPayload.contains("source"))
        }
    }

    @Test func enterKeepsAnEarlierSourceAnswerAndRatherNotSayIsShownAsChosen() {
        var f = makeFlow()
        toReview(&f, source: "2")
        f.type("2") // change: back to the first question, answers kept
        f.type("\r\r\r")
        #expect(f.step == .source && f.source == .value(.heard))
        f.type("\r")
        #expect(f.source == .value(.heard))
        f.press(.escape)
        f.type("3")
        #expect(f.source == .notSaid && f.reviewDraft.source == nil)
    }

    @Test func otherKeysOnTheSourceQuestionExplainThemselves() {
        var f = makeFlow()
        f.type("x5Centrum\r3")
        f.type("7")
        #expect(f.step == .source && f.notice == .pressDigit)
        f.press(.escape)
        #expect(f.step == .when)
    }

    @Test func dangerScreenOnlyForThreatsOrViolenceHappeningNow() {
        var f = makeFlow()
        f.type("x4Torget\r1")
        #expect(f.step == .danger)
        let frame = ScreenRenderer(texts: try! builtInTexts(), places: [], site: "S").render(f, width: 80, height: 24, now: 0)
        #expect(frame.text.contains("Är någon i fara just nu?") && frame.text.contains("Ring 112."))
        f.press(.escape) // any key goes on, Esc too: the screen is read, not answered
        #expect(f.step == .source)
        f.press(.escape)
        #expect(f.step == .when)
        f.type("2") // today: no danger screen
        #expect(f.step == .source)
        var g = makeFlow()
        g.type("x5Torget\r1") // theft, now: no danger screen
        #expect(g.step == .source)
    }

    @Test func fixedAgeGroupAsksNothing() throws {
        var f = makeFlow(ageGroup: .group(.senior))
        toReview(&f)
        let d = try #require(sent(&f))
        // The flow sends none: the outbox fills in the kiosk's group when it stores the report.
        #expect(d.reporter.ageGroup == nil)
    }

    @Test(arguments: [("1", Reporter.AgeGroup.youth), ("2", .adult), ("3", .senior), ("4", nil), (nil, nil)] as [(String?, Reporter.AgeGroup?)])
    func askKioskAsksTheAgeAndSkippingSendsNull(key: String?, expected: Reporter.AgeGroup?) throws {
        var f = makeFlow(ageGroup: .ask)
        toReview(&f, age: key)
        let d = try #require(sent(&f))
        #expect(d.reporter.ageGroup == expected)
    }

    @Test func ageQuestionSharesStepSixWithContactAndBackGoesThroughIt() {
        var f = makeFlow(ageGroup: .ask)
        toReview(&f, age: "3")
        #expect(Step.age.number == 6 && Step.contact.number == 6 && Step.review.number == Step.questionCount)
        f.press(.escape)
        #expect(f.step == .contact)
        f.press(.escape)
        #expect(f.step == .age && f.age == .value(.senior))
        f.press(.escape)
        #expect(f.step == .text)
    }

    @Test func atMostSevenStepsForAVisitorWhoSkipsTheOptionalOnes() {
        for setting in [nil, AgeGroupSetting.ask, .group(.youth)] {
            var f = makeFlow(ageGroup: setting)
            var numbers: Set<Int> = []
            f.type("x")
            for key in ["5", "Centrum\r", "3", "\r", "hej\r", "\r", "\r"] where f.step != .review {
                if let n = f.step.number { numbers.insert(n) }
                f.type(key)
            }
            #expect(f.step == .review)
            if let n = f.step.number { numbers.insert(n) }
            #expect(numbers == Set(1...7), "\(String(describing: setting))")
        }
    }

    @Test func staffSetsTheAgeGroupAndTheNextTipFollowsIt() {
        var f = makeFlow(pinHash: testPINHash, ageGroup: .group(.youth))
        f.press(.control("a"))
        f.type("*" + testPIN + "\r")
        #expect(f.step == .staffMenu)
        f.type("7")
        #expect(f.step == .staffAgeGroup)
        #expect(f.type("4") == [.setAgeGroup(.ask)])
        _ = f.handle(.ageGroupSaved(.ask), now: 0)
        #expect(f.step == .staffMenu && f.notice == .ageGroupSaved && f.ageGroupSetting == .ask)
        f.type("7")
        #expect(f.type("5") == [.setAgeGroup(nil)])
        f.type("x") // not a choice
        #expect(f.notice == .pressDigit)
        #expect(f.type("6") == [.useConfiguredAgeGroup])
        _ = f.handle(.ageGroupFailed(.diskFull), now: 0)
        #expect(f.notice == .ageGroupFailed(.diskFull))
        f.press(.escape)
        #expect(f.step == .staffMenu)
        // The setting in force is `ask`: the next visitor gets the question.
        f.type("4")
        toReview(&f, age: "2")
        #expect(f.reviewDraft.reporter.ageGroup == .adult)
    }
}
