/// The short duration notation of the config file and the command line: `500ms`, `15s`, `1m`,
/// `2h`, `7d`.
///
/// One whole number and one unit; combinations such as `1h30m` are not accepted, so `90m` is how
/// to write an hour and a half. ``format(_:)`` prints the largest unit that divides the duration
/// exactly, so `parse(format(d)) == d` for every duration that is a whole number of milliseconds.
package enum DurationText {
    /// The accepted units, smallest first, with their length in milliseconds.
    static let units: [(name: String, milliseconds: Int64)] = [
        ("ms", 1),
        ("s", 1000),
        ("m", 60 * 1000),
        ("h", 60 * 60 * 1000),
        ("d", 24 * 60 * 60 * 1000),
    ]

    /// Parses `text`, e.g. `15s`; blanks around and between number and unit are ignored.
    /// - Throws: ``ValueSyntaxError`` naming the accepted units when the number or the unit is
    ///   missing, the unit is unknown, the number is negative or fractional, or the value overflows.
    package static func parse(_ text: String) throws(ValueSyntaxError) -> Duration {
        let trimmed = text.filter { $0 != " " && $0 != "\t" }
        let digits = trimmed.prefix { $0.isASCII && $0.isNumber }
        let unit = trimmed.dropFirst(digits.count)
        guard !trimmed.isEmpty else {
            throw error(text, "a duration cannot be empty")
        }
        guard !digits.isEmpty else {
            throw error(text, "a duration is a whole number followed by a unit")
        }
        guard !unit.isEmpty else {
            throw error(text, "the unit is missing")
        }
        guard let milliseconds = units.first(where: { $0.name == unit })?.milliseconds else {
            throw error(text, "unknown unit '\(unit)'")
        }
        guard let count = Int64(digits) else {
            throw error(text, "the number is too large")
        }
        let (total, overflow) = count.multipliedReportingOverflow(by: milliseconds)
        guard !overflow else {
            throw error(text, "the number is too large")
        }
        return .milliseconds(total)
    }

    /// The short form of `duration`: `7d`, `1m`, `15s`, `500ms`, `0s`.
    ///
    /// A duration that is not a whole number of milliseconds falls back to Swift's own
    /// description (`0.0005 seconds`), which ``parse(_:)`` does not read back.
    package static func format(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let attosecondsPerMillisecond: Int64 = 1_000_000_000_000_000
        guard attoseconds % attosecondsPerMillisecond == 0 else { return duration.description }
        let (secondsInMilliseconds, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        guard !overflow else { return duration.description }
        let total = secondsInMilliseconds + attoseconds / attosecondsPerMillisecond
        guard total != 0 else { return "0s" }
        for unit in units.reversed() where total % unit.milliseconds == 0 {
            return "\(total / unit.milliseconds)\(unit.name)"
        }
        return "\(total)ms"
    }

    private static func error(_ text: String, _ problem: String) -> ValueSyntaxError {
        ValueSyntaxError(
            .duration,
            text: text,
            reason: "\(problem); accepted units are ms, s, m, h and d",
            fix: "write a whole number and one unit, e.g. 500ms, 15s, 1m, 2h or 7d"
        )
    }
}
