import Foundation
import PostgresNIO
import Testing
import TidingsCore
import TidingsPostgres
import TidingsTestSupport

/// Swift's idea of a topic must be PostgreSQL's: the same split on `/`, the same byte
/// comparison, the same rendered template, for text that Unicode would call equivalent.
@Suite struct TopicBytesPropertyTests {
    /// Scalars that make canonical-equivalence mistakes visible: NFC/NFD pairs, combining marks
    /// next to `/`, compatibility forms, and the characters templates encode.
    static let alphabet: [String] = [
        "e", "\u{E9}", "e\u{301}", "\u{301}", "/", "/\u{301}", "%", "A", "\u{C5}", "A\u{30A}", "\u{212B}",
        "\u{FB01}", "fi", "\u{1F600}", "*", "x", "\u{0344}", "\u{0308}\u{0301}",
    ]

    static func randomText(_ rng: inout SplitMix64, maxParts: Int = 6) -> String {
        (0..<Int.random(in: 1...maxParts, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }.joined()
    }

    /// A selector as PostgreSQL would match it: `string_to_array` and text `=`.
    static let sqlMatch = """
        SELECT CASE WHEN s[cardinality(s)] = '**'
            THEN cardinality(t) >= cardinality(s) - 1
                AND NOT EXISTS (SELECT 1 FROM generate_subscripts(s, 1) i
                                WHERE i < cardinality(s) AND s[i] <> '*' AND s[i] IS DISTINCT FROM t[i])
            ELSE cardinality(t) = cardinality(s)
                AND NOT EXISTS (SELECT 1 FROM generate_subscripts(s, 1) i WHERE s[i] <> '*' AND s[i] IS DISTINCT FROM t[i])
            END
        FROM (SELECT string_to_array($1, '/') AS s, string_to_array($2, '/') AS t) AS pair
        """

    @Test("selector matching, topic splitting and template rendering agree with PostgreSQL byte for byte", .timeLimit(.minutes(2)))
    func swiftAgreesWithPostgres() async throws {
        let seed = ProcessInfo.processInfo.environment["TIDINGS_TOPIC_SEED"].flatMap(UInt64.init) ?? UInt64.random(in: 0...UInt64.max)
        print("TopicBytesPropertyTests seed: \(seed) (rerun with TIDINGS_TOPIC_SEED=\(seed))")
        var rng = SplitMix64(seed: seed)
        let template = try TopicTemplate(parsing: "t/{a}/x\u{301}{b}")
        let capture = try TestSupport.capture("things", [template.description])
        let url = try await TestSupport.migratedDatabase(
            "topic_bytes",
            setup: "CREATE TABLE things (id bigserial PRIMARY KEY, a text, b text)",
            tables: [capture]
        )
        let rounds = 300
        try await TestSupport.withConnection(url) { connection in
            for round in 0..<rounds {
                // Templates: the trigger's rendering is Swift's rendering, byte for byte.
                let a = Self.randomText(&rng)
                let b = Self.randomText(&rng)
                let rows = try await connection.query(
                    "WITH row AS (INSERT INTO things (a, b) VALUES (\(a), \(b)) RETURNING id) SELECT 1 FROM row",
                    logger: TestSupport.logger
                )
                for try await _ in rows {}
                let logged = try await Self.strings(
                    "SELECT topics[1] FROM tidings.changes ORDER BY id DESC LIMIT 1",
                    connection
                )
                let rendered = try #require(template.render { ["a": a, "b": b][$0] })
                #expect(Array(logged.first?.utf8 ?? "".utf8) == Array(rendered.utf8), "seed \(seed) round \(round): \(a) \(b)")

                // Splitting: Swift's segments are string_to_array's, byte for byte.
                let text = Self.randomText(&rng, maxParts: 8)
                let sqlSegments = try await Self.strings("SELECT unnest(string_to_array(\(text), '/'))", connection)
                let swiftSegments = TopicSegment.split(text).map(\.description)
                #expect(sqlSegments.map { Array($0.utf8) } == swiftSegments.map { Array($0.utf8) }, "seed \(seed): split \(text)")

                // tidings.publish accepts exactly the topics Swift accepts.
                let swiftAccepts = (try? Topic(logged: text)) != nil
                let sqlAccepts = try await Self.publishAccepts(text, connection)
                #expect(swiftAccepts == sqlAccepts, "seed \(seed): publish \(text)")

                // Matching: a selector over the same alphabet (with wildcards) against a topic.
                var selectorParts = (0..<Int.random(in: 1...3, using: &rng)).map { _ -> String in
                    Int.random(in: 0..<4, using: &rng) == 0 ? "*" : Self.randomSegment(&rng)
                }
                if Bool.random(using: &rng) { selectorParts.append("**") }
                let topicParts = (0..<Int.random(in: 1...4, using: &rng)).map { index in
                    index < selectorParts.count && selectorParts[index] != "*" && selectorParts[index] != "**" && Bool.random(using: &rng)
                        ? Self.equivalentOrEqual(selectorParts[index], &rng) : Self.randomSegment(&rng)
                }
                let selectorText = selectorParts.joined(separator: "/")
                let topicText = topicParts.joined(separator: "/")
                guard let selector = try? Selector(parsing: selectorText), let topic = try? Topic(logged: topicText) else { continue }
                let sqlMatches = try await connection.query(
                    PostgresQuery(unsafeSQL: Self.sqlMatch, binds: Self.binds(selectorText, topicText)),
                    logger: TestSupport.logger
                )
                var agreed = false
                for try await matches in sqlMatches.decode(Bool.self) { agreed = matches == selector.matches(topic) }
                #expect(agreed, "seed \(seed): \(selectorText) against \(topicText)")
            }
        }
    }

    /// A segment without `/` or a lone `*`, from the alphabet.
    static func randomSegment(_ rng: inout SplitMix64) -> String {
        while true {
            let text = randomText(&rng, maxParts: 3)
            if !text.unicodeScalars.contains("/") && !text.unicodeScalars.contains("*") { return text }
        }
    }

    /// The same segment, or one canonically equivalent to it but with other bytes.
    static func equivalentOrEqual(_ segment: String, _ rng: inout SplitMix64) -> String {
        guard Bool.random(using: &rng) else { return segment }
        let swapped = segment.unicodeScalars.map { scalar -> String in
            switch scalar {
            case "\u{E9}": "e\u{301}"
            case "\u{C5}": "\u{212B}"
            default: String(scalar)
            }
        }.joined()
        return swapped == segment ? segment.precomposedStringWithCanonicalMapping : swapped
    }

    static func binds(_ values: String...) -> PostgresBindings {
        var bindings = PostgresBindings()
        for value in values { bindings.append(value) }
        return bindings
    }

    static func strings(_ query: PostgresQuery, _ connection: PostgresConnection) async throws -> [String] {
        let rows = try await connection.query(query, logger: TestSupport.logger)
        var values: [String] = []
        for try await value in rows.decode(String.self) { values.append(value) }
        return values
    }

    /// Whether `tidings.publish` takes `topic`, tried in a transaction that is rolled back.
    static func publishAccepts(_ topic: String, _ connection: PostgresConnection) async throws -> Bool {
        try await connection.perform("BEGIN", logger: TestSupport.logger)
        do {
            try await connection.perform("SELECT tidings.publish(ARRAY[\(topic)], 'probe', '{}'::jsonb)", logger: TestSupport.logger)
            try await connection.perform("ROLLBACK", logger: TestSupport.logger)
            return true
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "22023" {
            try await connection.perform("ROLLBACK", logger: TestSupport.logger)
            return false
        }
    }
}
