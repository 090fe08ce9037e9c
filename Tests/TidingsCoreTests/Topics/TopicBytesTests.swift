import Testing
import TidingsCore

/// Topics compare by UTF-8 bytes, as PostgreSQL compares text (SPEC §4).
@Suite struct TopicBytesTests {
    static let composed = "users/jos\u{E9}"
    static let decomposed = "users/jose\u{301}"

    @Test("a grant of a decomposed name does not match the composed name, nor the reverse")
    func canonicalEquivalentsDiffer() throws {
        #expect(try !Selector(parsing: Self.decomposed + "/**").matches(Topic(validating: Self.composed + "/inbox")))
        #expect(try !Selector(parsing: Self.composed + "/**").matches(Topic(validating: Self.decomposed + "/inbox")))
        #expect(try Selector(parsing: Self.composed + "/**").matches(Topic(validating: Self.composed + "/inbox")))
    }

    @Test("canonically equivalent topics and selectors are different values and hash apart")
    func equalityIsByBytes() throws {
        #expect(try Topic(validating: Self.composed) != Topic(validating: Self.decomposed))
        #expect(try Selector(parsing: Self.composed) != Selector(parsing: Self.decomposed))
        #expect(try Set([Topic(validating: Self.composed), Topic(validating: Self.decomposed)]).count == 2)
        #expect(try !Selector(parsing: Self.composed).overlaps(Selector(parsing: Self.decomposed)))
        #expect(try !Selector(parsing: Self.composed).isCovered(by: Selector(parsing: Self.decomposed)))
    }

    @Test("a '/' followed by a combining mark still separates segments")
    func slashBeforeCombiningMark() throws {
        let topic = try Topic(validating: "a/\u{301}b")
        #expect(topic.segments.map(\.description) == ["a", "\u{301}b"])
        #expect(try Selector(parsing: "a/*").matches(topic))
        #expect(try !Selector(parsing: "a").matches(topic))
    }

    @Test("a rendered value's '/' is encoded even when a combining mark follows it")
    func templateEncodesSlashBeforeMark() throws {
        let template = try TopicTemplate(parsing: "users/{name}")
        #expect(template.render { _ in "a/\u{301}b" } == "users/a%2F\u{301}b")
    }

    @Test("NUL and control characters are refused in topics and selectors", arguments: ["a\u{0}b", "a/\u{7}", "a\u{1B}[31m", "a\u{85}"])
    func controlCharactersRefused(text: String) {
        #expect(throws: TopicSyntaxError.self) { try Topic(validating: text) }
        #expect(throws: TopicSyntaxError.self) { try Selector(parsing: text) }
        let error = #expect(throws: TopicSyntaxError.self) { try Topic(validating: text) }
        #expect(error?.description.contains("control character") == true)
    }
}
