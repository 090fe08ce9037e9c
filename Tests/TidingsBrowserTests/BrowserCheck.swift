import Foundation
import PostgresNIO
import Testing
import TidingsCore
import TidingsServer
import TidingsTestSupport

/// What the browser tests share: the page's token, the table the page's store must equal, and
/// the once-each-in-order check of the ids it received.
enum BrowserCheck {
    /// A token for the page: subscribe `items/**` and `notes/**`, publish `notes/**`.
    static func token(ttl: Duration = .seconds(600)) async throws -> String {
        try await TestMint.token(subscribe: ["items/**", "notes/**"], publish: ["notes/**"], subject: "browser-test", ttl: ttl)
    }

    /// `public.items` as the page's store should hold it.
    static func tableRows(_ database: TestDatabase) async throws -> [ItemRow] {
        let rows = try await database.connection.query(
            "SELECT coalesce(json_agg(i ORDER BY i.id), '[]')::text FROM public.items i",
            logger: LiveGateway.logger
        )
        var text = "[]"
        for try await json in rows.decode(String.self) { text = json }
        return try JSONDecoder().decode([ItemRow].self, from: Data(text.utf8))
    }

    /// Checks that the page received every change-log id once, in order.
    static func expectOnceInOrder(_ report: PageReport, count: Int, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(report.ids.count == count, "\(report.ids)", sourceLocation: sourceLocation)
        #expect(Set(report.ids).count == report.ids.count, "repeated ids: \(report.ids)", sourceLocation: sourceLocation)
        #expect(report.ids == report.ids.sorted(), "out of order: \(report.ids)", sourceLocation: sourceLocation)
        #expect(report.failures.isEmpty, "\(report.failures)", sourceLocation: sourceLocation)
    }
}
