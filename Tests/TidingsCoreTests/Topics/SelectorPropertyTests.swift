import Testing
import TidingsCore
import TidingsTestSupport

@Suite struct SelectorPropertyTests {
    static let topicAlphabet = ["a", "b", "c"]
    static let selectorAlphabet = ["a", "b", "*"]

    /// The definition in docs/protocol.md, written as directly as possible: `**` tries every split.
    static func referenceMatches(_ pattern: ArraySlice<String>, _ topic: ArraySlice<String>) -> Bool {
        guard let head = pattern.first else { return topic.isEmpty }
        if head == "**" {
            return (0...topic.count).contains { referenceMatches(pattern.dropFirst(), topic.dropFirst($0)) }
        }
        guard let first = topic.first else { return false }
        return (head == "*" || head == first) && referenceMatches(pattern.dropFirst(), topic.dropFirst())
    }

    static func randomTopic(using rng: inout SplitMix64) -> [String] {
        (0..<Int.random(in: 1...4, using: &rng)).map { _ in topicAlphabet.randomElement(using: &rng)! }
    }

    static func randomSelector(using rng: inout SplitMix64) -> [String] {
        var segments = (0..<Int.random(in: 0...4, using: &rng)).map { _ in selectorAlphabet.randomElement(using: &rng)! }
        if segments.isEmpty || (segments.count < 4 && Bool.random(using: &rng)) { segments.append("**") }
        return segments
    }

    /// Every topic of 1 to 4 segments over the topic alphabet: enough to witness any overlap of
    /// selectors of at most 4 segments, since a wildcard can always take the letter `c`.
    static let allTopics: [[String]] = {
        var result: [[String]] = []
        var layer: [[String]] = [[]]
        for _ in 1...4 {
            layer = layer.flatMap { prefix in topicAlphabet.map { prefix + [$0] } }
            result += layer
        }
        return result
    }()

    @Test("matches agrees with a reference matcher on 2,000 random pairs")
    func matchesAgreesWithReference() throws {
        var rng = SplitMix64(seed: 0x7469_6469_6E67_7321)
        for _ in 0..<2000 {
            let topicSegments = Self.randomTopic(using: &rng)
            let selectorSegments = Self.randomSelector(using: &rng)
            let topic = try Topic(validating: topicSegments.joined(separator: "/"))
            let selector = try Selector(parsing: selectorSegments.joined(separator: "/"))
            let expected = Self.referenceMatches(selectorSegments[...], topicSegments[...])
            #expect(selector.matches(topic) == expected, "\(selector) vs \(topic)")
        }
    }

    @Test("overlaps agrees with brute force over every topic up to 4 segments")
    func overlapsAgreesWithBruteForce() throws {
        var rng = SplitMix64(seed: 42)
        let topics = try Self.allTopics.map { try Topic(validating: $0.joined(separator: "/")) }
        for _ in 0..<400 {
            let lhs = try Selector(parsing: Self.randomSelector(using: &rng).joined(separator: "/"))
            let rhs = try Selector(parsing: Self.randomSelector(using: &rng).joined(separator: "/"))
            let expected = topics.contains { lhs.matches($0) && rhs.matches($0) }
            #expect(lhs.overlaps(rhs) == expected, "\(lhs) vs \(rhs)")
            #expect(rhs.overlaps(lhs) == expected, "\(rhs) vs \(lhs)")
        }
    }

    @Test("the generator is deterministic")
    func deterministic() {
        var first = SplitMix64(seed: 7)
        var second = SplitMix64(seed: 7)
        #expect((0..<8).map { _ in first.next() } == (0..<8).map { _ in second.next() })
    }
}
