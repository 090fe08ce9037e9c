import Testing
import TidingsCore

@Suite struct SelectorTests {
    private func selector(_ text: String) throws -> Selector { try Selector(parsing: text) }
    private func topic(_ text: String) throws -> Topic { try Topic(validating: text) }

    @Test("segments parse into literals, * and a final **")
    func parsing() throws {
        #expect(try selector("orders/*/items").segments == [.literal("orders"), .any, .literal("items")])
        #expect(try selector("orders/**").segments == [.literal("orders"), .rest])
        #expect(try selector("**").segments == [.rest])
        #expect(try selector("orders/*").description == "orders/*")
    }

    @Test("bad selectors are refused", arguments: ["", "a//b", "/a", "a/", "**/a", "a/**/b", "a*", "a/b*c", "***"])
    func refused(text: String) {
        #expect(throws: TopicSyntaxError.self) { try Selector(parsing: text) }
    }

    @Test("Selectors: orders/* matches orders/42, not orders/42/items nor orders")
    func singleWildcard() throws {
        let orders = try selector("orders/*")
        #expect(orders.matches(try topic("orders/42")))
        #expect(!orders.matches(try topic("orders/42/items")))
        #expect(!orders.matches(try topic("orders")))
        #expect(!orders.matches(try topic("customers/42")))
    }

    @Test("Selectors: orders/** matches orders/42, orders/42/items and orders itself")
    func restWildcard() throws {
        let orders = try selector("orders/**")
        #expect(orders.matches(try topic("orders/42")))
        #expect(orders.matches(try topic("orders/42/items")))
        #expect(orders.matches(try topic("orders")))
        #expect(!orders.matches(try topic("customers/42")))
        #expect(!orders.matches(try topic("ordersx/1")))
    }

    @Test("a literal selector matches only the same topic")
    func literal() throws {
        #expect(try selector("orders/42").matches(try topic("orders/42")))
        #expect(!(try selector("orders/42").matches(try topic("orders/43"))))
        #expect(!(try selector("orders/42").matches(try topic("orders/42/items"))))
    }

    @Test("** alone matches every topic")
    func everything() throws {
        for text in ["a", "a/b", "customers/42/orders"] {
            #expect(try selector("**").matches(try topic(text)))
        }
    }

    @Test("Selectors: orders/* overlaps orders/42 but not customers/**")
    func overlaps() throws {
        let orders = try selector("orders/*")
        #expect(orders.overlaps(try selector("orders/42")))
        #expect(try selector("orders/42").overlaps(orders))
        #expect(!orders.overlaps(try selector("customers/**")))
        #expect(orders.overlaps(try selector("**")))
        #expect(orders.overlaps(try selector("orders/**")))
    }

    @Test("overlaps respects segment counts")
    func overlapLengths() throws {
        #expect(!(try selector("orders/*").overlaps(try selector("orders/*/items"))))
        #expect(try selector("orders/**").overlaps(try selector("orders")))
        #expect(try selector("*/items").overlaps(try selector("orders/**")))
        #expect(try selector("a/b").overlaps(try selector("a/b/**")))
    }
}
