import Hardware
#if canImport(Glibc)
import Glibc
#endif

/// The receipt printed after "Tack" (`[hardware] receipt_printer`), made of the thanks screen's own texts: its
/// title, its reference line (`thanks.reference` with the same `{ref}`), and the emergency and police lines shown
/// on every screen. Nothing of the tip (text, place, contact) is handed in, so none can be printed.
public enum ReceiptText {
    /// The receipt in the visitor's language when the printer's code page has every character of it, else in the
    /// default language (the first one offered). `time` is already formatted (see `format(unixSeconds:)`).
    public static func receipt(texts: Texts, language: Int, reference: String, time: String) -> Receipt {
        func make(_ l: Int) -> Receipt {
            Receipt(title: texts.string("thanks.title", l), reference: texts.string("thanks.reference", l, ["ref": reference]),
                    time: time, footer: [texts.string("emergency", l), texts.string("police", l)])
        }
        let wanted = make(language)
        let lines = [wanted.title, wanted.reference] + wanted.footer
        return lines.allSatisfy(ESCPOS.canEncode) ? wanted : make(0)
    }

    /// `YYYY-MM-DD HH:MM` in the machine's local time zone (the kiosk's).
    public static func format(unixSeconds: Int) -> String {
        var t = time_t(unixSeconds)
        var parts = tm()
        localtime_r(&t, &parts)
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday)) \(two(parts.tm_hour)):\(two(parts.tm_min))"
    }
}
