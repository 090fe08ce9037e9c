import Foundation
import Testing
import TidingsCore

/// One test per rule of `topics:` entries; extra entries appended to the short form start at line 10.
@Suite struct ConfigLoaderTopicsTests {
    private let short = ConfigFixture.shortForm

    @Test("topics is required")
    func missingTopics() {
        let yaml = short.replacingOccurrences(of: "topics:\n  - table: orders\n    topics: [\"orders/{id}\"]\n", with: "")
        ConfigFixture.expectError(yaml, line: 1, key: "topics", code: .missingKey, message: "is missing", fix: "table: public.orders")
    }

    @Test("topics may not be empty")
    func emptyTopics() {
        let yaml = short.replacingOccurrences(of: "topics:\n  - table: orders\n    topics: [\"orders/{id}\"]\n", with: "topics: []\n")
        ConfigFixture.expectError(yaml, line: 7, key: "topics", code: .invalidValue, message: "is empty", fix: "at least one entry")
    }

    @Test("an entry names a table or a channel, not both")
    func tableAndChannel() {
        let yaml = short + "  - table: items\n    channel: items\n    topics: [x]"
        ConfigFixture.expectError(
            yaml,
            line: 11,
            key: "topics[1].channel",
            code: .conflictingKeys,
            message: "either table: or channel:",
            fix: "split it"
        )
    }

    @Test("an entry names a table or a channel, not neither")
    func neitherTableNorChannel() {
        ConfigFixture.expectError(
            short + "  - topics: [x]",
            line: 10,
            key: "topics[1].table",
            code: .missingKey,
            message: "neither a table nor a channel",
            fix: "channel: name"
        )
    }

    @Test(
        "table names are lowercase identifiers, schema optional",
        arguments: [
            ("Shop.Items", "stores unquoted names in lowercase", "write table: shop.items"),
            ("a.b.c", "expected schema.table or table", "public.orders"),
            ("1items", "must start with a lowercase letter", "public.orders"),
            ("shop.", "must start with a lowercase letter", "public.orders"),
            ("my-items", "must start with a lowercase letter", "public.orders"),
        ]
    )
    func tableNames(name: String, message: String, fix: String) {
        ConfigFixture.expectError(
            short + "  - table: \(name)\n    topics: [x]",
            line: 10,
            key: "topics[1].table",
            code: .invalidValue,
            message: message,
            fix: fix
        )
    }

    @Test("a table captured twice names both lines, after defaulting the schema")
    func duplicateTable() {
        let yaml = short + "  - table: public.orders\n    topics: [\"shop/{id}\"]"
        ConfigFixture.expectError(
            yaml,
            line: 10,
            key: "topics[1].table",
            code: .invalidValue,
            message: "captured twice (lines 8 and 10)",
            fix: "merge"
        )
    }

    @Test("templates are parsed, with the reason in the message")
    func badTemplate() {
        let yaml = short + "  - table: items\n    topics: [\"items/ok\", \"items/{id\"]"
        ConfigFixture.expectError(
            yaml,
            line: 11,
            key: "topics[1].topics[1]",
            code: .invalidValue,
            message: "'{' without a closing '}'",
            fix: "{column}"
        )
    }

    @Test("a table's template names columns as PostgreSQL stores them")
    func uppercaseTemplateColumn() {
        let yaml = short + "  - table: items\n    topics: [\"items/{itemId}\"]"
        ConfigFixture.expectError(
            yaml,
            line: 11,
            key: "topics[1].topics[0]",
            code: .invalidValue,
            message: "'{itemId}' cannot name a column",
            fix: "{itemid}"
        )
    }

    @Test("an entry needs a non-empty topics list")
    func entryTemplates() {
        ConfigFixture.expectError(
            short + "  - table: items",
            line: 10,
            key: "topics[1].topics",
            code: .missingKey,
            message: "is missing",
            fix: "orders/{id}"
        )
        ConfigFixture.expectError(
            short + "  - table: items\n    topics: []",
            line: 11,
            key: "topics[1].topics",
            code: .invalidValue,
            message: "is empty",
            fix: "orders/{id}"
        )
    }

    @Test(
        "events are a non-empty set of insert, update and delete",
        arguments: [
            ("[insert, upsert]", "topics[1].events[1]", ConfigError.Code.invalidValue, "'upsert' is not an operation"),
            ("[insert, INSERT]", "topics[1].events[1]", .invalidValue, "'INSERT' is not an operation"),
            ("[update, update]", "topics[1].events[1]", .invalidValue, "listed twice"),
            ("[]", "topics[1].events", .invalidValue, "is empty"),
            ("insert", "topics[1].events", .wrongShape, "expected a list"),
        ]
    )
    func events(value: String, key: String, code: ConfigError.Code, message: String) {
        ConfigFixture.expectError(
            short + "  - table: items\n    topics: [x]\n    events: \(value)",
            line: 12,
            key: key,
            code: code,
            message: message,
            fix: ""
        )
    }

    @Test(
        "columns are a non-empty list of distinct identifiers",
        arguments: [
            ("[id, customerId]", "topics[1].columns[1]", "not a column name", "write customerid"),
            ("[id, \"a b\"]", "topics[1].columns[1]", "not a column name", "customer_id"),
            ("[id, id]", "topics[1].columns[1]", "listed twice", "remove one"),
            ("[]", "topics[1].columns", "is empty", "remove columns:"),
        ]
    )
    func columns(value: String, key: String, message: String, fix: String) {
        ConfigFixture.expectError(
            short + "  - table: items\n    topics: [x]\n    columns: \(value)",
            line: 12,
            key: key,
            code: .invalidValue,
            message: message,
            fix: fix
        )
    }

    @Test("old is key, full or none")
    func oldMode() {
        let yaml = short + "  - table: items\n    topics: [x]\n    old: partial"
        ConfigFixture.expectError(
            yaml,
            line: 12,
            key: "topics[1].old",
            code: .invalidValue,
            message: "'partial' is not an old-row mode",
            fix: "old: full"
        )
    }

    @Test("events, columns and old are refused on a channel entry", arguments: ["events: [insert]", "columns: [id]", "old: full"])
    func channelRefusesTableFields(line: String) {
        let yaml = short + "  - channel: alerts\n    topics: [\"alerts/{severity}\"]\n    \(line)"
        let key = "topics[1].\(line.prefix { $0 != ":" })"
        ConfigFixture.expectError(
            yaml,
            line: 12,
            key: key,
            code: .conflictingKeys,
            message: "not allowed on a channel entry",
            fix: "remove it"
        )
    }

    @Test("the channel tidings is reserved")
    func reservedChannel() {
        let yaml = short + "  - channel: tidings\n    topics: [x]"
        ConfigFixture.expectError(
            yaml,
            line: 10,
            key: "topics[1].channel",
            code: .invalidValue,
            message: "reserved for the gateway's own wake-up",
            fix: "another name"
        )
    }

    @Test(
        "channel names are lowercase identifiers without $",
        arguments: [("Alerts", "write channel: alerts"), ("my-alerts", "alerts"), ("a$b", "alerts")]
    )
    func channelNames(name: String, fix: String) {
        let yaml = short + "  - channel: \(name)\n    topics: [x]"
        ConfigFixture.expectError(yaml, line: 10, key: "topics[1].channel", code: .invalidValue, message: "is not a channel name", fix: fix)
    }

    @Test("a channel listed twice names both lines")
    func duplicateChannel() {
        let yaml = short + "  - channel: alerts\n    topics: [a]\n  - channel: alerts\n    topics: [b]"
        ConfigFixture.expectError(
            yaml,
            line: 12,
            key: "topics[2].channel",
            code: .invalidValue,
            message: "listed twice (lines 10 and 12)",
            fix: "merge"
        )
    }

    @Test("an entry that is not a mapping is a type error")
    func entryType() {
        ConfigFixture.expectError(
            short + "  - orders",
            line: 10,
            key: "topics[1]",
            code: .wrongShape,
            message: "expected a mapping",
            fix: "table: public.orders"
        )
    }
}
