import Logging
import PostgresNIO
import Synchronization
import Testing
import TidingsCore

@testable import TidingsPostgres

@Suite struct CaptureProblemWatchTests {
    @Test("each pass reports, per table, how many problems capture met since the last pass", .timeLimit(.minutes(1)))
    func reportsGrowthPerTable() async throws {
        let capture = try TestSupport.capture("items", ["owners/{owner_id}/items", "items/{id}"])
        let url = try await TestSupport.migratedDatabase(
            "problem_watch",
            setup: "CREATE TABLE items (id int PRIMARY KEY, owner_id int)",
            tables: [capture]
        )
        let reported = Mutex<[String]>([])
        let client = PostgresClient(configuration: try url.clientConfiguration(), backgroundLogger: TestSupport.logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            let watch = CaptureProblemWatch(client: client, logger: TestSupport.logger) { table, count in
                reported.withLock { $0.append("\(table) \(count)") }
            }
            var seen: [String: Int64] = [:]
            try await watch.check(seen: &seen)
            try await TestSupport.withConnection(url) { connection in
                try await TestSupport.execute(
                    "ALTER TABLE items RENAME COLUMN owner_id TO owner; INSERT INTO items VALUES (1, 1); INSERT INTO items VALUES (2, 1)",
                    on: connection
                )
            }
            try await watch.check(seen: &seen)
            try await watch.check(seen: &seen)
            try await TestSupport.withConnection(url) { try await TestSupport.execute("DELETE FROM items", on: $0) }
            try await watch.check(seen: &seen)
            group.cancelAll()
        }
        #expect(reported.withLock { $0 } == ["public.items 2", "public.items 2"])
    }
}
