import ReportModel

extension Picture {
    /// The picture with every string a kiosk supplied (categories, places, kiosk ids, sites, states, events,
    /// `occurred`, age groups, sources, masked kinds, tips) put through `TextCleaner`, the one cleaning of
    /// ReportModel: escape sequences removed whole (an OSC 52 clipboard write, a CSI), C0/C1 controls, bidi
    /// overrides and invisible characters gone, one line each (a tip's text keeps its lines). Every renderer
    /// starts from this, whichever store filled the picture. Keys that clean to the same text are merged.
    public func cleaned() -> Picture {
        func line(_ s: String) -> String { TextCleaner.line(s) }
        func counts(_ list: [Count]) -> [Count] {
            var out: [Count] = []
            var index: [String?: Int] = [:]
            for c in list {
                let key = c.key.map(line)
                if let i = index[key] {
                    out[i].current = out[i].current.addingSaturated(c.current)
                    out[i].previous = out[i].previous.addingSaturated(c.previous)
                } else {
                    index[key] = out.count
                    out.append(Count(key: key, current: c.current, previous: c.previous))
                }
            }
            return out
        }
        var p = self
        p.byCategory = counts(byCategory)
        p.byKiosk = counts(byKiosk)
        p.byEvent = counts(byEvent)
        p.byOccurred = counts(byOccurred)
        p.byAgeGroup = counts(byAgeGroup)
        p.bySource = counts(bySource)
        p.byMasked = counts(byMasked)
        p.places = places.map { pl in
            Place(name: line(pl.name), current: pl.current, previous: pl.previous,
                  byCategory: Dictionary(pl.byCategory.map { (line($0.key), $0.value) }, uniquingKeysWith: { $0.addingSaturated($1) }))
        }
        p.kiosks = kiosks.map { k in
            var k = k
            k.id = line(k.id)
            k.site = k.site.map(line)
            k.state = k.state.map(line)
            return k
        }
        p.gaps = gaps.map { Gap(kiosk: line($0.kiosk), from: $0.from, to: $0.to) }
        p.tips = tips?.map { t in
            Tip(submittedAt: t.submittedAt, kiosk: line(t.kiosk), seq: t.seq, category: line(t.category), place: line(t.place),
                occurred: line(t.occurred), text: TextCleaner.clean(t.text, allowNewlines: true))
        }
        return p
    }
}
