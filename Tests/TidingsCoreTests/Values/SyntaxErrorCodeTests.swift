import Testing
import TidingsCore

/// A refused value, topic, selector or template says which grammar refused it, beside the reason
/// a person reads.
@Suite struct SyntaxErrorCodeTests {
    @Test("a refused duration, byte count or listen address carries its kind as the code")
    func valueCodes() {
        let duration = #expect(throws: ValueSyntaxError.self) { try DurationText.parse("15 parsecs") }
        #expect(duration?.code == .duration)
        let bytes = #expect(throws: ValueSyntaxError.self) { try ByteCount.parse("lots") }
        #expect(bytes?.code == .byteCount)
        let address = #expect(throws: ValueSyntaxError.self) { try ListenAddress(parsing: "https://example.com:8443") }
        #expect(address?.code == .listenAddress)
        #expect(
            address?.description == "'https://example.com:8443': an address has no scheme or path — write only host:port, e.g. 0.0.0.0:8443"
        )
    }

    @Test("a refused topic, selector or template carries its kind as the code, and the same reason as before")
    func topicCodes() {
        let topic = #expect(throws: TopicSyntaxError.self) { try Topic(validating: "chat/*") }
        #expect(topic?.code == .topic)
        #expect(topic?.description == "'chat/*': '*' is a selector wildcard, not allowed in a topic")
        let selector = #expect(throws: TopicSyntaxError.self) { try Selector(parsing: "chat/**/x") }
        #expect(selector?.code == .selector)
        let template = #expect(throws: TopicSyntaxError.self) { try TopicTemplate(parsing: "todos/{id") }
        #expect(template?.code == .template)
    }
}
