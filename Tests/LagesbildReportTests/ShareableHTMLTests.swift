import LagesbildReport
import ReportModel
import Testing

/// Issue 22, attack 7: the shareable HTML names no free-text place typed by fewer than three visitors, and no
/// total beside a hidden cell gives the hidden count away. Each test failed before the fix.
@Suite struct ShareableHTMLTests {
    static func picture(adding places: [Picture.Place]) -> Picture {
        var p = Fixture.picture()
        p.places.append(contentsOf: places)
        return p
    }

    @Test("Attack 7: a home address typed once is not in the shareable HTML; it counts under \"annan plats\"")
    func freeTextPlaceIsNotShown() {
        let p = Self.picture(adding: [Picture.Place(name: "Storgatan 12 lgh 1102", current: 1, previous: 0, byCategory: ["drugs": 1]),
                                      Picture.Place(name: "Bakom Ica", current: 2, previous: 1, byCategory: ["theft": 2])])
        let html = PictureRenderer.renderHTML(p)
        #expect(!html.contains("Storgatan 12"))
        #expect(!html.contains("Bakom Ica"))
        #expect(html.contains("Annan plats"))
        // The group's own formats keep every place as typed.
        #expect(PictureRenderer.renderJSON(p).contains("Storgatan 12 lgh 1102"))
    }

    @Test("Attack 7: no exact place total stands beside a \"< 3\" cell in its row")
    func noTotalBesideAHiddenCell() throws {
        let html = PictureRenderer.renderHTML(Fixture.picture())
        let start = try #require(html.range(of: "<section class=\"places\">"))
        let end = try #require(html.range(of: "</section>", range: start.upperBound..<html.endIndex))
        let table = html[start.lowerBound..<end.lowerBound]
        for row in table.components(separatedBy: "<tr").dropFirst() where row.contains("&lt; 3") {
            #expect(!row.contains(#/<td class="num total">\d+</td>/#), "\(row)")
        }
    }
}
