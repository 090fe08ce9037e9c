import Testing
import TidingsCore

@Suite struct TopicTemplateTests {
    @Test("literal runs and placeholders parse in order")
    func parts() throws {
        let template = try TopicTemplate(parsing: "customers/{customer_id}/orders")
        #expect(template.parts == [.literal("customers/"), .column("customer_id"), .literal("/orders")])
        #expect(template.columns == ["customer_id"])
        #expect(template.description == "customers/{customer_id}/orders")
    }

    @Test("columns lists each placeholder once, in order of first use")
    func columns() throws {
        #expect(try TopicTemplate(parsing: "{b}/{a}-{b}").columns == ["b", "a"])
        #expect(try TopicTemplate(parsing: "announcements").columns.isEmpty)
    }

    @Test(
        "bad templates are refused",
        arguments: [
            "", "orders/{id", "orders/id}", "orders/{}", "orders/{1d}", "orders/{a-b}", "orders/*", "orders/**", "orders//{id}", "/{id}",
        ]
    )
    func refused(text: String) {
        #expect(throws: TopicSyntaxError.self) { try TopicTemplate(parsing: text) }
    }

    @Test("render fills placeholders from the row")
    func render() throws {
        let template = try TopicTemplate(parsing: "customers/{customer_id}/orders/{id}")
        let row = ["customer_id": "7", "id": "42"]
        #expect(template.render { row[$0] } == "customers/7/orders/42")
    }

    @Test("render is nil when a value is missing or empty")
    func renderMissing() throws {
        let template = try TopicTemplate(parsing: "orders/{id}")
        #expect(template.render { _ in nil } == nil)
        #expect(template.render { _ in "" } == nil)
    }

    @Test("values are percent-encoded for / and % so they cannot add segments")
    func percentEncoding() throws {
        let template = try TopicTemplate(parsing: "files/{path}")
        let rendered = try #require(template.render { _ in "a/b%c" })
        #expect(rendered == "files/a%2Fb%25c")
        #expect(try Topic(validating: rendered).segments.count == 2)
        #expect(TopicTemplate.encodeSegmentValue("100%") == "100%25")
        #expect(TopicTemplate.encodeSegmentValue("plain") == "plain")
        #expect(TopicTemplate.encodeSegmentValue("%2F") == "%252F")
    }

    @Test("column names are letters, digits and _, not starting with a digit")
    func columnNames() {
        #expect(TopicTemplate.isColumnName("customer_id"))
        #expect(TopicTemplate.isColumnName("_x1"))
        #expect(!TopicTemplate.isColumnName("1x"))
        #expect(!TopicTemplate.isColumnName("a-b"))
        #expect(!TopicTemplate.isColumnName(String(repeating: "a", count: 64)))
    }
}
