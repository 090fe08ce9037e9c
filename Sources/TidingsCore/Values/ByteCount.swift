/// Sizes as people write them in the config file: `512`, `64KiB`, `1MiB`, `64KB`.
///
/// Binary units (`KiB`, `MiB`, `GiB`) are powers of 1024 and decimal units (`KB`, `MB`, `GB`) are
/// powers of 1000, as the IEC defines them, so `64KB` is 64 000 bytes, not 65 536. Units are read
/// without regard to case (`64kib`); a bare number, or one followed by `B`, counts bytes.
package enum ByteCount {
    /// The accepted units, smallest first; ``format(_:)`` tries them largest first.
    static let units: [(name: String, bytes: Int)] = [
        ("B", 1),
        ("KB", 1000),
        ("KiB", 1024),
        ("MB", 1000 * 1000),
        ("MiB", 1024 * 1024),
        ("GB", 1000 * 1000 * 1000),
        ("GiB", 1024 * 1024 * 1024),
    ]

    /// Parses `text`, e.g. `64KiB`; blanks around and between number and unit are ignored.
    /// - Throws: ``ValueSyntaxError`` naming the accepted units when the number is missing,
    ///   negative or fractional, the unit is unknown, or the value does not fit an `Int`.
    package static func parse(_ text: String) throws(ValueSyntaxError) -> Int {
        let trimmed = text.filter { $0 != " " && $0 != "\t" && $0 != "_" }
        let digits = trimmed.prefix { $0.isASCII && $0.isNumber }
        let unit = trimmed.dropFirst(digits.count).lowercased()
        guard !digits.isEmpty else {
            throw error(text, trimmed.isEmpty ? "a size cannot be empty" : "a size is a whole number of bytes, optionally with a unit")
        }
        guard let multiplier = unit.isEmpty ? 1 : units.first(where: { $0.name.lowercased() == unit })?.bytes else {
            throw error(text, "unknown unit '\(trimmed.dropFirst(digits.count))'")
        }
        guard let count = Int(digits) else { throw error(text, "the number is too large") }
        let (total, overflow) = count.multipliedReportingOverflow(by: multiplier)
        guard !overflow else { throw error(text, "the number is too large") }
        return total
    }

    /// `bytes` in the largest unit that divides it exactly: `64KiB` for 65 536, `64KB` for 64 000,
    /// `512` for 512. A binary unit is tried before the decimal unit of the same rank.
    package static func format(_ bytes: Int) -> String {
        guard bytes != 0 else { return "0" }
        for unit in units.dropFirst().reversed() where bytes % unit.bytes == 0 {
            return "\(bytes / unit.bytes)\(unit.name)"
        }
        return "\(bytes)"
    }

    private static func error(_ text: String, _ problem: String) -> ValueSyntaxError {
        ValueSyntaxError(
            .byteCount,
            text: text,
            reason: "\(problem); accepted units are B, KB, KiB, MB, MiB, GB and GiB (KB = 1000 bytes, KiB = 1024)",
            fix: "write a whole number with an optional unit, e.g. 512, 64KiB or 1MiB"
        )
    }
}
