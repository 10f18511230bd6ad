/// RFC 3339 dates and times, without Foundation's formatters (pure and fast).
public enum RFC3339 {
    /// Formats an instant as `YYYY-MM-DDThh:mm:ss.sss±hh:mm` in the given UTC offset.
    public static func format(unixMillis: Int64, utcOffsetSeconds: Int) -> String {
        let local = unixMillis + Int64(utcOffsetSeconds) * 1000
        let ms = Int(((local % 1000) + 1000) % 1000)
        let secs = (local - Int64(ms)) / 1000
        var days = secs / 86400
        var rem = secs % 86400
        if rem < 0 { rem += 86400; days -= 1 }
        let (y, m, d) = civil(fromDays: days)
        let hh = Int(rem / 3600), mm = Int(rem % 3600 / 60), ss = Int(rem % 60)
        let off = abs(utcOffsetSeconds) / 60
        let sign = utcOffsetSeconds < 0 ? "-" : "+"
        return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))T\(pad(hh, 2)):\(pad(mm, 2)):\(pad(ss, 2)).\(pad(ms, 3))"
            + "\(sign)\(pad(off / 60, 2)):\(pad(off % 60, 2))"
    }

    /// True for an RFC 3339 full-date (`2026-11-20`) or date-time with an offset (`…T18:30:00+01:00`, `…Z`).
    public static func isValidDateOrDateTime(_ s: String) -> Bool {
        let b = Array(s.utf8)
        func digits(_ r: Range<Int>) -> Int? {
            guard r.upperBound <= b.count else { return nil }
            var v = 0
            for i in r { guard (48...57).contains(b[i]) else { return nil }; v = v * 10 + Int(b[i] - 48) }
            return v
        }
        guard b.count >= 10, let y = digits(0..<4), b[4] == 45, let m = digits(5..<7), b[7] == 45,
              let d = digits(8..<10), (1...12).contains(m), d >= 1, d <= daysIn(month: m, year: y), y >= 1900
        else { return false }
        if b.count == 10 { return true }
        guard b.count >= 20, b[10] == 84 || b[10] == 116, let hh = digits(11..<13), b[13] == 58,
              let mi = digits(14..<16), b[16] == 58, let se = digits(17..<19), hh < 24, mi < 60, se <= 60
        else { return false }
        var i = 19
        if b[i] == 46 { // fraction
            i += 1
            let start = i
            while i < b.count, (48...57).contains(b[i]) { i += 1 }
            guard i > start, i < b.count else { return false }
        }
        if (b[i] == 90 || b[i] == 122) && i == b.count - 1 { return true }
        guard b[i] == 43 || b[i] == 45, b.count == i + 6, let oh = digits(i + 1..<i + 3), b[i + 3] == 58,
              let om = digits(i + 4..<i + 6), oh < 24, om < 60 else { return false }
        return true
    }

    /// The instant of an RFC 3339 date-time with offset (`2026-11-20T18:30:00.123+01:00`, `…Z`), or of a
    /// full-date (`2026-11-20`, taken as its midnight at `dateOffsetSeconds` from UTC). Nil when not valid.
    public static func parse(_ s: String, dateOffsetSeconds: Int = 0) -> Int64? {
        guard isValidDateOrDateTime(s) else { return nil }
        let b = Array(s.utf8)
        func num(_ r: Range<Int>) -> Int64 { r.reduce(0) { $0 * 10 + Int64(b[$1] - 48) } }
        let days = days(fromYear: Int(num(0..<4)), month: Int(num(5..<7)), day: Int(num(8..<10)))
        if b.count == 10 { return days * 86_400_000 - Int64(dateOffsetSeconds) * 1000 }
        var ms = days * 86_400_000 + num(11..<13) * 3_600_000 + num(14..<16) * 60_000 + min(59, num(17..<19)) * 1000
        var i = 19
        if b[i] == 46 {
            i += 1
            var scale: Int64 = 100
            while i < b.count, (48...57).contains(b[i]) {
                ms += Int64(b[i] - 48) * scale
                scale /= 10
                i += 1
            }
        }
        if b[i] == 43 || b[i] == 45 {
            let offset = num(i + 1..<i + 3) * 3_600_000 + num(i + 4..<i + 6) * 60_000
            ms += b[i] == 43 ? -offset : offset
        }
        return ms
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
    static func days(fromYear y0: Int, month m: Int, day d: Int) -> Int64 {
        let y = Int64(m <= 2 ? y0 - 1 : y0)
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = Int64(m > 2 ? m - 3 : m + 9)
        let doy = (153 * mp + 2) / 5 + Int64(d) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 to a proleptic Gregorian date (H. Hinnant's algorithm).
    static func civil(fromDays z0: Int64) -> (Int, Int, Int) {
        let z = z0 + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (Int(m <= 2 ? y + 1 : y), Int(m), Int(d))
    }

    private static func pad(_ v: Int, _ width: Int) -> String {
        let s = String(v)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }
}
