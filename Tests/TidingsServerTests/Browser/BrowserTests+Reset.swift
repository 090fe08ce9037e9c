import Foundation
import PostgresNIO
import Testing
import TidingsCore
import TidingsServer

extension BrowserTests {
    @Suite("subscribe({store, tables}) after tidings.reset")
    struct Reset {
        @Test(
            "after the log is pruned past its cursor, the page reloads its tables through /rows without a page reload, drops stale rows, gains missing ones and streams on"
        )
        func reloadsAfterReset() async throws {
            try await BrowserHarness.with { harness in
                try await TestDatabase.with("browser_reset") { database, _ in
                    for id in 1...6 { try await database.insert(id, group: id % 2, note: "before \(id)") }
                    try await GatewayProcess(database: database.url, corsOrigin: harness.origin).run { gateway in
                        try await gateway.waitUntilReady()
                        var setup = BrowserHarness.Setup(
                            gateway: gateway.baseURL,
                            token: try await BrowserCheck.token(),
                            topics: ["items/**"]
                        )
                        setup.loadTables = true
                        setup.lastEventId = nil
                        try harness.configure(setup)
                        try await Chromium.with(url: harness.pageURL) { _ in
                            let loaded = try await BrowserCheck.tableRows(database)
                            _ = try await harness.reports.first("the table loaded through /rows") {
                                $0.tableLoads == 1 && $0.opens >= 1 && $0.rows == loaded
                            }
                            // A row the page holds from the stream, not from the snapshot.
                            try await database.insert(7, note: "streamed")
                            let streamed = try await BrowserCheck.tableRows(database)
                            let before = try await harness.reports.first("the streamed row") { $0.rows == streamed }
                            let seenBeforeReset = try #require(before.ids.max())

                            // While the page cannot reach the gateway, rows change and the log is
                            // pruned past everything the page saw: its cursor cannot be continued.
                            #expect(await gateway.stop() == 0)
                            _ = try await harness.reports.first("the page to lose its stream") { !$0.errors.isEmpty }
                            try await database.execute("DELETE FROM public.items WHERE id IN (1, 7)")
                            try await database.execute("UPDATE public.items SET note = 'changed while away' WHERE id = 2")
                            for id in 8...10 { try await database.insert(id, note: "missed \(id)") }
                            let pruned = try await Self.pruneEverything(database)
                            #expect(pruned > 0)
                            try gateway.start()

                            let expected = try await BrowserCheck.tableRows(database)
                            #expect(expected.map(\.id) == [2, 3, 4, 5, 6, 8, 9, 10])
                            let reloaded = try await harness.reports.first("the store to equal the table after the reset") {
                                $0.resets >= 1 && $0.tableLoads >= 2 && $0.rows == expected
                            }
                            #expect(reloaded.loads == 1, "the page itself reloaded")
                            #expect(reloaded.resets == 1)
                            #expect(reloaded.tableLoads == 2)
                            #expect(reloaded.failures.isEmpty, "\(reloaded.failures)")
                            // The pruned changes never came as events: the rows came from the new snapshot.
                            #expect(reloaded.ids.allSatisfy { $0 <= seenBeforeReset }, "\(reloaded.ids)")

                            // It streams again, from the new snapshot's cursor.
                            try await database.insert(11, note: "after the reset")
                            try await database.execute("DELETE FROM public.items WHERE id = 3")
                            let final = try await BrowserCheck.tableRows(database)
                            let after = try await harness.reports.first("the changes after the reset") { $0.rows == final }
                            #expect(after.loads == 1 && after.tableLoads == 2 && after.resets == 1)
                            let newIds = after.ids.filter { $0 > seenBeforeReset }
                            #expect(newIds.count == 2 && newIds == newIds.sorted(), "\(after.ids)")
                            #expect(Set(after.ids).count == after.ids.count, "repeated ids: \(after.ids)")
                        }
                    }
                }
            }
        }

        /// Prunes every logged event, as retention with a zero `max_age` would; returns how many went.
        static func pruneEverything(_ database: TestDatabase) async throws -> Int {
            var total = 0
            while true {
                let rows = try await database.connection.query("SELECT tidings.prune('0 seconds', 0, 1000)", logger: LiveGateway.logger)
                var deleted = 0
                for try await count in rows.decode(Int32.self) { deleted = Int(count) }
                guard deleted > 0 else { return total }
                total += deleted
            }
        }
    }
}
