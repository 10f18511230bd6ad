import ReportModel
import Testing

/// What arrives from the network: the strict JSON parser, a received report, a receipt.
@Suite struct JSONParserTests {
    @Test func parsesValuesAndKeepsIntegers() throws {
        let v = try JSONParser.parse(#" {"a": [1, -2, 3.5, 1e3, true, false, null], "b": {"c": "d"}, "e": "" } "#)
        #expect(v["a"] == .array([.int(1), .int(-2), .double(3.5), .double(1000), .bool(true), .bool(false), .null]))
        #expect(v["b"]?["c"]?.string == "d")
        #expect(v["e"]?.string == "")
        #expect(v["missing"] == nil)
    }

    @Test func decodesEscapesAndSurrogatePairs() throws {
        let v = try JSONParser.parse(#"["a\"b\\c\/d\n\t", "\u00e5\u00E4\u00f6", "\ud83d\ude00", "Gröna Lund ✓"]"#)
        #expect(v.array?.map { $0.string } == ["a\"b\\c/d\n\t", "åäö", "😀", "Gröna Lund ✓"])
    }

    @Test("Refuses what is not JSON, with the byte offset", arguments: [
        "", "{", "{\"a\":}", "[1,]", "{\"a\" 1}", "tru", "01", "1.", "-", "\"abc", "\"a\u{01}b\"",
        "\"\\x\"", "\"\\ud800\"", "\"\\udc00\"", "{} {}", "{'a': 1}", "NaN", "[1 2]",
    ])
    func refuses(_ text: String) {
        #expect(throws: JSONError.self) { try JSONParser.parse(text) }
    }

    @Test func refusesInvalidUTF8() {
        for bytes: [UInt8] in [[0x22, 0xFF, 0x22], [0x22, 0xC3, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22], [0x22, 0x5C, 0x6E, 0xFF, 0x22]] {
            #expect(throws: JSONError.self) { try bytes.withUnsafeBytes { try JSONParser.parse($0) } }
        }
    }

    @Test func boundsTheNesting() throws {
        let deep = String(repeating: "[", count: 40) + String(repeating: "]", count: 40)
        #expect(throws: JSONError.self) { try JSONParser.parse(deep) }
        let fine = String(repeating: "[", count: 10) + String(repeating: "]", count: 10)
        _ = try JSONParser.parse(fine)
    }
}

@Suite struct ReceivedReportTests {
    static let good = #"{"schema":"tipskiosk.report.v1","id":"01a21455-ecbd-75b3-97be-22dd959c09e2","kiosk":"k-1","seq":5,"submitted_at":"2026-11-20T18:30:00.250+01:00","category":"drugs","place":"Centrum","occurred":"today","text":"hej","language":"sv","reporter":{"role":"visitor","age_group":"senior"},"contact":null,"site":"Gården","event":"Mässan"}"#

    static func decode(_ text: String, kiosk: String = "k-1") throws(ReceivedReport.Rejection) -> ReceivedReport {
        let bytes = Array(text.utf8)
        let result: Result<ReceivedReport, ReceivedReport.Rejection> = bytes.withUnsafeBytes { buf in
            do throws(ReceivedReport.Rejection) { return .success(try ReceivedReport.decode(buf, topicKiosk: kiosk)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    @Test func readsAReport() throws {
        let r = try Self.decode(Self.good)
        #expect(r.kiosk == "k-1" && r.seq == 5 && r.category == "drugs" && r.place == "Centrum")
        #expect(r.submittedAt == 1_795_195_800_250)   // 2026-11-20T17:30:00.250Z
        #expect(r.ageGroup == "senior" && r.site == "Gården" && r.event == "Mässan")
        #expect(r.payload == Self.good, "kept as received")
    }

    @Test func keepsNewerMinorVersionsAndUnknownFields() throws {
        let newer = Self.good.replacingOccurrences(of: #""tipskiosk.report.v1""#, with: #""tipskiosk.report.v1.4""#)
            .replacingOccurrences(of: #""event":"Mässan""#, with: #""event":"Mässan","source":"saw","masked":["phone"]"#)
        let r = try Self.decode(newer)
        #expect(r.schema == "tipskiosk.report.v1.4")
        #expect(r.payload.contains(#""masked":["phone"]"#))
    }

    @Test("Rejects with a reason that names the field", arguments: [
        (#""schema":"tipskiosk.report.v1""#, #""schema":"tipskiosk.report.v2""#, "schema"),
        (#""schema":"tipskiosk.report.v1""#, #""schema":"tipskiosk.report.v10""#, "schema"),
        (#""kiosk":"k-1""#, #""kiosk":"k-2""#, "kiosk"),
        (#""seq":5"#, #""seq":0"#, "seq"),
        (#""seq":5"#, #""seq":"5""#, "seq"),
        (#""id":"01a21455-ecbd-75b3-97be-22dd959c09e2""#, #""id":"not-a-uuid""#, "id"),
        (#""submitted_at":"2026-11-20T18:30:00.250+01:00""#, #""submitted_at":"2026-11-20""#, "submitted_at"),
        (#""text":"hej""#, #""text":"""#, "text"),
        (#""place":"Centrum""#, #""place":7"#, "place"),
    ])
    func rejects(_ from: String, _ to: String, _ field: String) {
        do {
            _ = try Self.decode(Self.good.replacingOccurrences(of: from, with: to))
            Issue.record("accepted \(to)")
        } catch {
            #expect(error.reason.hasPrefix(field), "\(error.reason)")
        }
    }

    @Test func rejectsTooLongAndTooLarge() {
        let long = Self.good.replacingOccurrences(of: #""text":"hej""#, with: #""text":""# + String(repeating: "å", count: 2001) + #"""#)
        #expect(throws: ReceivedReport.Rejection.self) { try Self.decode(long) }
        let fine = Self.good.replacingOccurrences(of: #""text":"hej""#, with: #""text":""# + String(repeating: "å", count: 2000) + #"""#)
        #expect((try? Self.decode(fine)) != nil, "2000 characters of 2 bytes each is within the limit")
        let huge = String(repeating: " ", count: ReceivedReport.maxPayloadBytes) + Self.good
        #expect(throws: ReceivedReport.Rejection.self) { try Self.decode(huge) }
    }

    @Test func placesGroupWithoutCaseOrSpacing() {
        #expect(ReceivedReport.placeKey("  Centrum ") == ReceivedReport.placeKey("centrum"))
        #expect(ReceivedReport.placeKey("Parken  vid\tån") == "parken vid ån")
        #expect(ReceivedReport.placeKey("Ängen") == ReceivedReport.placeKey("ÄNGEN"))
    }
}

@Suite struct DeliveryReceiptTests {
    @Test func mergesSeqsIntoRanges() {
        #expect(DeliveryReceipt.ranges(of: [7, 3, 1, 2, 2, 9, 8]) == [1...3, 7...9])
        #expect(DeliveryReceipt.ranges(of: []) == [])
    }

    @Test func roundTripsItsJSON() throws {
        let r = DeliveryReceipt(kiosk: "k-1", seqs: [5, 1, 2, 3], at: "2026-11-25T10:00:00.000+00:00")
        #expect(r.json == #"{"schema":"lagesbild.receipt.v1","kiosk":"k-1","seqs":[[1,3],[5,5]],"at":"2026-11-25T10:00:00.000+00:00"}"#)
        let back = try Array(r.json.utf8).withUnsafeBytes { try DeliveryReceipt.decode($0) }
        #expect(back == r)
    }

    @Test func refusesBadReceipts() {
        for text in [#"{"schema":"x","kiosk":"k","seqs":[]}"#, #"{"schema":"lagesbild.receipt.v1","seqs":[]}"#,
                     #"{"schema":"lagesbild.receipt.v1","kiosk":"k","seqs":[[3,1]]}"#,
                     #"{"schema":"lagesbild.receipt.v1","kiosk":"k","seqs":[[0,1]]}"#,
                     #"{"schema":"lagesbild.receipt.v1","kiosk":"k","seqs":[[1]]}"#, "nope"] {
            #expect(throws: DeliveryReceipt.DecodingError.self) { try Array(text.utf8).withUnsafeBytes { try DeliveryReceipt.decode($0) } }
        }
        let newer = #"{"schema":"lagesbild.receipt.v1.1","kiosk":"k","seqs":[[1,2]],"extra":true}"#
        #expect((try? Array(newer.utf8).withUnsafeBytes { try DeliveryReceipt.decode($0) })?.seqs == [1...2])
    }

    @Test("A receipt naming more seqs or ranges than a commit can hold, or ranges out of order, is refused plainly (issue 22, attack 4)")
    func refusesUnboundedReceipts() {
        func reason(_ seqs: String) -> String? {
            let text = #"{"schema":"lagesbild.receipt.v1","kiosk":"k","seqs":"# + seqs + "}"
            do {
                _ = try Array(text.utf8).withUnsafeBytes { try DeliveryReceipt.decode($0) }
                return nil
            } catch let e as DeliveryReceipt.DecodingError {
                return e.reason
            } catch {
                return "\(error)"
            }
        }
        #expect(reason("[[1,9223372036854775807]]")?.contains("more than \(DeliveryReceipt.maxSeqs) seqs") == true)
        #expect(reason("[[1,\(DeliveryReceipt.maxSeqs)]]") == nil, "a receipt of the most seqs allowed is taken")
        #expect(reason("[[1,\(DeliveryReceipt.maxSeqs + 1)]]") != nil)
        #expect(reason("[[1,40000],[40001,80000]]") != nil, "the bound is over all ranges together")
        #expect(reason("[[1,2],[3,9223372036854775807]]") != nil)
        #expect(reason("[[5,6],[1,2]]")?.contains("ascending") == true)
        #expect(reason("[[1,5],[5,6]]")?.contains("ascending") == true, "overlapping")
        let many = (0...DeliveryReceipt.maxRanges).map { "[\(2 * $0 + 1),\(2 * $0 + 1)]" }.joined(separator: ",")
        #expect(reason("[" + many + "]")?.contains("more than \(DeliveryReceipt.maxRanges) ranges") == true)
    }
}

@Suite struct RFC3339ParseTests {
    @Test func parsesInstantsAndDates() {
        #expect(RFC3339.parse("1970-01-01T00:00:00Z") == 0)
        #expect(RFC3339.parse("2026-11-20T18:30:00.250+01:00") == 1_795_195_800_250)
        #expect(RFC3339.parse("2026-11-20T17:30:00.25Z") == 1_795_195_800_250)
        #expect(RFC3339.parse("2024-02-29T12:00:00-05:30") == 1_709_227_800_000)
        #expect(RFC3339.parse("2026-11-25", dateOffsetSeconds: 3600) == 1_795_561_200_000)
        #expect(RFC3339.parse("2026-02-30") == nil)
        #expect(RFC3339.parse("yesterday") == nil)
        // Round trip with the formatter.
        for ms: Int64 in [0, 1_795_195_800_250, 951_782_400_123] {
            #expect(RFC3339.parse(RFC3339.format(unixMillis: ms, utcOffsetSeconds: 7200)) == ms)
        }
    }
}
