import Testing
import TidingsCore

@testable import TidingsPostgres

@Suite("RowsPredicate: selectors against topic templates, as SQL")
struct RowsPredicateTests {
    private static let columns: [String: RowsPredicate.ColumnType] = [
        "id": .integer(bits: 64), "group_id": .integer(bits: 32), "name": .text, "uid": .other,
    ]

    private static func condition(
        _ templates: [String],
        requested: [String],
        granted: [String] = ["**"]
    ) throws -> (sql: String, parameters: Int) {
        var parameters = RowsParameters()
        let grant = Grant(
            granted: try granted.map { try Selector(parsing: $0) },
            requested: try requested.map { try Selector(parsing: $0) }
        )
        let sql = RowsPredicate.condition(
            templates: try templates.map { try TopicTemplate(parsing: $0) },
            granted: grant.granted,
            requested: grant.requested,
            requestIsCovered: grant.requestIsCovered,
            columns: columns,
            parameters: &parameters
        )
        return (sql, parameters.count)
    }

    @Test("a literal against a {column} segment is an equality the column's index can serve")
    func literalBecomesEquality() throws {
        #expect(try Self.condition(["items/{id}"], requested: ["items/42"]) == (#"("id" = $1)"#, 1))
        #expect(
            try Self.condition(["people/{name}"], requested: ["people/ada"])
                == (#"("name" = $1 AND "name"::text COLLATE "C" = $1)"#, 1)
        )
        #expect(try Self.condition(["things/{uid}"], requested: ["things/x"]) == (#"("uid"::text COLLATE "C" = $1)"#, 1))
    }

    @Test("* and ** ask only that the template's columns render; a wrong segment count or literal never matches")
    func wildcardsAndShapes() throws {
        #expect(try Self.condition(["items/{id}"], requested: ["items/*"]) == (#"("id" IS NOT NULL AND "id"::text <> '')"#, 0))
        #expect(try Self.condition(["items/{id}"], requested: ["**"]).sql == #"("id" IS NOT NULL AND "id"::text <> '')"#)
        #expect(try Self.condition(["items/{id}"], requested: ["items/*/x"]).sql == "FALSE")
        #expect(try Self.condition(["items/{id}"], requested: ["orders/*"]).sql == "FALSE")
        #expect(try Self.condition(["items/{id}"], requested: ["items/{id}/**"]).sql == "FALSE")
    }

    @Test("integers match only their canonical text; literals compare by bytes, not by Unicode equivalence")
    func byteExact() throws {
        for text in ["007", "+7", "7.0", " 7", "99999999999999999999"] {
            #expect(try Self.condition(["items/{id}"], requested: ["items/\(text)"]).sql == "FALSE", "\(text)")
        }
        #expect(try Self.condition(["groups/{group_id}"], requested: ["groups/2147483648"]).sql == "FALSE")
        #expect(try Self.condition(["caf\u{E9}/{id}"], requested: ["cafe\u{301}/1"]).sql == "FALSE")
        #expect(try Self.condition(["caf\u{E9}/{id}"], requested: ["caf\u{E9}/1"]).sql == #"("id" = $1)"#)
    }

    @Test("percent-encoded literals are decoded once; an encoding no value produces matches nothing")
    func percentEncoding() throws {
        #expect(TopicTemplate.decodeSegmentValue("a%2Fb%25c") == "a/b%c")
        #expect(TopicTemplate.decodeSegmentValue("a%41") == nil)
        #expect(TopicTemplate.decodeSegmentValue("a%2f") == nil)
        #expect(try Self.condition(["people/{name}"], requested: ["people/a%41"]).sql == "FALSE")
        #expect(try Self.condition(["people/{name}"], requested: ["people/a%2Fb"]).parameters == 1)
    }

    @Test("a segment mixing text and columns is rendered as the trigger renders it and compared by bytes")
    func mixedSegments() throws {
        let (sql, count) = try Self.condition(["users/user-{id}"], requested: ["users/user-7"])
        #expect(sql == #"(('user-' || NULLIF(replace(replace("id"::text, '%', '%25'), '/', '%2F'), '')) COLLATE "C" = $1)"#)
        #expect(count == 1)
    }

    @Test("the grant and the request are separate rules: visible by one topic, requested by another")
    func grantAndRequest() throws {
        let (sql, _) = try Self.condition(["items/{id}", "groups/{group_id}/items"], requested: ["items/*"], granted: ["groups/1/**"])
        #expect(sql == #"(("group_id" = $1)) AND (("id" IS NOT NULL AND "id"::text <> ''))"#)
        #expect(try Self.condition(["items/{id}"], requested: ["items/1"], granted: ["items/**"]).sql == #"("id" = $1)"#)
    }
}
