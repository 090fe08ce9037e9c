import NIOCore
import PostgresNIO
import Testing
import TidingsCore
import TidingsPostgres

/// Reads of the log by id are bounded by bytes as well as rows, so that a run of large events
/// never makes one read so long that it times out.
@Suite struct ChangeLogPageTests {
    @Test("a page stops once its events reach the byte bound, always holds one event, and says it is full", .timeLimit(.minutes(1)))
    func pagesAreBoundedByBytes() async throws {
        let capture = try TestSupport.capture("docs", ["docs/{id}"])
        let url = try await TestSupport.migratedDatabase(
            "log_page_bytes",
            setup: "CREATE TABLE docs (id int PRIMARY KEY, body text)",
            tables: [capture]
        )
        try await TestSupport.withConnection(url) { connection in
            try await TestSupport.execute(
                "INSERT INTO docs SELECT n, repeat('x', 20000) FROM generate_series(1, 5) AS n; INSERT INTO docs VALUES (6, 'small')",
                on: connection
            )
            var pages: [[Int64]] = []
            var cursor: Int64 = 0
            while true {
                let page = try await ChangeLog.page(after: cursor, limit: 100, maxBytes: 30000, on: connection, logger: TestSupport.logger)
                guard let last = page.changes.last else { break }
                #expect(page.isFull == (last.id < 6))
                pages.append(page.changes.map(\.id))
                cursor = last.id
            }
            #expect(pages == [[1, 2], [3, 4], [5, 6]])
        }
    }
}
