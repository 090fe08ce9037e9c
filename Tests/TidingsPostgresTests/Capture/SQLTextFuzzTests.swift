import PostgresNIO
import Testing
import TidingsCore
import TidingsPostgres
import TidingsTestSupport

/// `SQLText` against PostgreSQL itself: whatever the text, the literal reads back as the same
/// bytes and the identifier names exactly that column.
@Suite struct SQLTextFuzzTests {
    /// Scalars that matter to quoting and to Swift's grapheme clusters, and some plain ones.
    static let alphabet: [Unicode.Scalar] = [
        "'", "'", "\"", "\"", "\\", "$", ";", "-", " ", "\n", "a", "Z", "0", "é",
        "\u{301}", "\u{600}", "\u{200D}", "\u{1F600}", "\u{FE0F}", "\u{1F1E6}", "\u{0D}",
    ]

    @Test("random strings with quotes, backslashes and combining marks round-trip as literals and identifiers", .timeLimit(.minutes(3)))
    func roundTrip() async throws {
        let seed = UInt64.random(in: 0...UInt64.max)
        print("SQLTextFuzzTests seed \(seed)")
        var random = SplitMix64(seed: seed)
        let url = try await TestPostgres.freshDatabase("sqltext_fuzz")
        try await TestSupport.withConnection(url) { connection in
            for round in 0..<300 {
                var scalars = String.UnicodeScalarView()
                for _ in 0..<Int.random(in: 1...14, using: &random) {
                    scalars.append(Self.alphabet[Int.random(in: 0..<Self.alphabet.count, using: &random)])
                }
                let text = String(scalars)
                if round % 2 == 0 {
                    try await connection.query("SET standard_conforming_strings = off", logger: TestSupport.logger)
                } else {
                    try await connection.query("SET standard_conforming_strings = on", logger: TestSupport.logger)
                }
                let literal = try await TestSupport.text("SELECT \(SQLText.literal(text))", on: connection)
                #expect(literal.map { Array($0.utf8) } == Array(text.utf8), "seed \(seed), literal of \(text.debugDescription)")
                guard text.utf8.count <= 63 else { continue }
                let name = try await TestSupport.text(
                    "SELECT json_object_keys(row_to_json(t)) FROM (SELECT 1 AS \(SQLText.identifier(text))) AS t",
                    on: connection
                )
                #expect(name.map { Array($0.utf8) } == Array(text.utf8), "seed \(seed), identifier \(text.debugDescription)")
            }
        }
    }
}
