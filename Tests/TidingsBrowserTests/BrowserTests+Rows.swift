import Foundation
import Testing
import TidingsCore
import TidingsServer
import TidingsTestSupport

extension BrowserTests {
    @Suite("subscribe({store, tables}): /rows, then the stream")
    struct Rows {
        @Test("rows written before the page opened arrive through /rows, later changes through the stream")
        func loadsThenStreams() async throws {
            try await BrowserHarness.with { harness in
                try await TestDatabase.with("browser_rows") { database, config in
                    for id in 1...25 { try await database.insert(id, group: id % 3, note: "before \(id)") }
                    try await database.execute("UPDATE public.items SET note = 'changed before' WHERE id = 4")
                    try await database.execute("DELETE FROM public.items WHERE id = 5")
                    try await LiveGateway.with(try config.with(corsOrigins: [harness.origin])) { live in
                        var setup = BrowserHarness.Setup(gateway: live.baseURL, token: try await BrowserCheck.token(), topics: ["items/**"])
                        setup.loadTables = true
                        setup.lastEventId = nil
                        try harness.configure(setup)
                        try await Chromium.with(url: harness.pageURL) { _ in
                            let loaded = try await BrowserCheck.tableRows(database)
                            let first = try await harness.reports.first("the table loaded through /rows") {
                                $0.tableLoads >= 1 && $0.opens >= 1 && $0.rows == loaded
                            }
                            // Nothing before the snapshot's cursor came over the stream.
                            #expect(first.events.isEmpty)
                            for id in 26...28 { try await database.insert(id, note: "after \(id)") }
                            try await database.execute("UPDATE public.items SET note = 'changed after' WHERE id = 1")
                            try await database.execute("DELETE FROM public.items WHERE id = 2")
                            let expected = try await BrowserCheck.tableRows(database)
                            let report = try await harness.reports.first("the store to follow the table") { $0.rows == expected }
                            BrowserCheck.expectOnceInOrder(report, count: 5)
                            #expect(report.tableLoads == 1)
                        }
                    }
                }
            }
        }
    }
}
