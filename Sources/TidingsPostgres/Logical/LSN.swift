/// A position in PostgreSQL's write-ahead log, written `16/B374D848` as PostgreSQL writes it.
package struct LSN: Sendable, Hashable, Comparable, CustomStringConvertible {
    package static let zero = LSN(0)

    package var value: UInt64

    package init(_ value: UInt64) { self.value = value }

    /// Parses `X/Y` (hexadecimal halves); nil for anything else.
    package init?(_ text: String) {
        let halves = text.split(separator: "/", omittingEmptySubsequences: false)
        guard halves.count == 2, let high = UInt32(halves[0], radix: 16), let low = UInt32(halves[1], radix: 16) else { return nil }
        self.value = UInt64(high) << 32 | UInt64(low)
    }

    package var description: String {
        String(value >> 32, radix: 16, uppercase: true) + "/" + String(value & 0xFFFF_FFFF, radix: 16, uppercase: true)
    }

    package static func < (lhs: LSN, rhs: LSN) -> Bool { lhs.value < rhs.value }
}
