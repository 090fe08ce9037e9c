import Foundation
import Testing

extension BrowserTests {
    @Suite("The React binding in Chromium")
    struct React {
        @Test("useRows renders a table's rows, skips renders for other tables, and shows an optimistic change and its rollback")
        func useRowsFollowsTheStore() async throws {
            let text = try await ReactPage.with { url, results in
                try await Chromium.with(url: url) { _ in
                    var iterator = results.makeAsyncIterator()
                    return try #require(await iterator.next(), "the page posted no result")
                }
            }
            let result = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
            #expect(result["errors"] as? [String] == [])
            let steps = try #require(result["steps"] as? [[String: Any]])
            let texts = steps.map { $0["text"] as? [String] ?? [] }
            let renders = steps.map { ($0["renders"] as? NSNumber)?.intValue ?? -1 }
            #expect(
                steps.map { $0["name"] as? String ?? "" } == ["loaded", "another table changed", "inserted", "optimistic", "rolled back"]
            )
            #expect(texts == [["1:a", "2:b"], ["1:a", "2:b"], ["1:a", "2:b", "3:c"], ["1:mine", "2:b", "3:c"], ["1:a", "2:b", "3:c"]])
            #expect(renders[1] == renders[0], "a change to another table re-rendered the list")
            #expect(renders[2] == renders[1] + 1)
        }
    }
}
