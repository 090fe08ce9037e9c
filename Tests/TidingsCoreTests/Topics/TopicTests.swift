import Testing
import TidingsCore

@Suite struct TopicTests {
    @Test("a topic keeps its text and splits into segments")
    func segments() throws {
        let topic = try Topic(validating: "customers/42/orders")
        #expect(topic.description == "customers/42/orders")
        #expect(topic.segments == ["customers", "42", "orders"])
    }

    @Test("a single segment is a topic")
    func singleSegment() throws {
        #expect(try Topic(validating: "announcements").segments == ["announcements"])
    }

    @Test(
        "empty topics, empty segments and wildcard segments are refused",
        arguments: ["", "/", "a/", "/a", "a//b", "a/*", "**", "a/**/b"]
    )
    func refused(text: String) {
        #expect(throws: TopicSyntaxError.self) { try Topic(validating: text) }
    }

    @Test("the error names the text and the reason")
    func errorText() {
        let error = #expect(throws: TopicSyntaxError.self) { try Topic(validating: "a//b") }
        #expect(error?.text == "a//b")
        #expect(error?.description.contains("empty segment") == true)
    }
}
