import Foundation
import Logging
import PostgresNIO
import Testing
import TidingsCore
import TidingsServer
import TidingsTestSupport

extension BrowserTests {
    @Suite("Live changes, a gateway restart and offline publishes")
    struct Client {
        @Test("inserts, an update and a delete made while the page watches reach its store, each event once")
        func liveChanges() async throws {
            let certificate = try TestCertificate()
            let tls = TLSFiles(certificate: certificate.files.certificate, key: certificate.files.key)
            defer { try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: tls.certificate).deletingLastPathComponent().path) }
            try await BrowserHarness.with { harness in
                try await TestDatabase.with("browser_live", tls: tls) { database, config in
                    try await LiveGateway.with(try config.with(corsOrigins: [harness.origin])) { live in
                        try harness.configure(.init(gateway: live.baseURL, token: try await BrowserCheck.token(), topics: ["items/**"]))
                        try await Chromium.with(url: harness.pageURL) { _ in
                            _ = try await harness.reports.first("the stream to open") { $0.opens >= 1 }
                            for id in 1...5 { try await database.insert(id, group: id % 2, note: "note \(id)") }
                            try await database.execute("UPDATE public.items SET note = 'changed' WHERE id = 2")
                            try await database.execute("DELETE FROM public.items WHERE id = 4")
                            let expected = try await BrowserCheck.tableRows(database)
                            #expect(expected.map(\.id) == [1, 2, 3, 5])
                            let report = try await harness.reports.first("the store to match the table") { $0.rows == expected }
                            BrowserCheck.expectOnceInOrder(report, count: 7)
                            #expect(report.events.map(\.event).suffix(2) == ["items.update", "items.delete"])
                        }
                    }
                }
            }
        }

        @Test("rows written while the gateway is down arrive once each after it restarts, and the store equals the table")
        func gatewayRestart() async throws {
            try await BrowserHarness.with { harness in
                try await TestDatabase.with("browser_restart") { database, _ in
                    try await GatewayProcess(database: database.url, corsOrigin: harness.origin).run { gateway in
                        try await gateway.waitUntilReady()
                        try harness.configure(.init(gateway: gateway.baseURL, token: try await BrowserCheck.token(), topics: ["items/**"]))
                        try await Chromium.with(url: harness.pageURL) { _ in
                            _ = try await harness.reports.first("the stream to open") { $0.opens >= 1 }
                            for id in 1...5 { try await database.insert(id) }
                            _ = try await harness.reports.first("the first five rows") { $0.rows.count == 5 }

                            #expect(await gateway.stop() == 0)
                            _ = try await harness.reports.first("the page to lose its stream") { !$0.errors.isEmpty }
                            for id in 6...15 { try await database.insert(id) }
                            try await database.execute("UPDATE public.items SET note = 'while down' WHERE id = 3")
                            try await database.execute("DELETE FROM public.items WHERE id = 1")
                            try gateway.start()

                            let expected = try await BrowserCheck.tableRows(database)
                            let report = try await harness.reports.first("the store to match the table after the restart") {
                                $0.rows == expected
                            }
                            #expect(report.opens >= 2)
                            BrowserCheck.expectOnceInOrder(report, count: 17)

                            // Nothing else was pending: the next event is the next insert, once.
                            try await database.insert(16)
                            let after = try await harness.reports.first("the insert after the restart") { $0.rows.last?.id == 16 }
                            BrowserCheck.expectOnceInOrder(after, count: 18)
                        }
                    }
                }
            }
        }

        @Test("publishes queued while the gateway is down are delivered once each, in order, when it is back")
        func offlinePublish() async throws {
            try await BrowserHarness.with { harness in
                try await TestDatabase.with("browser_publish") { database, _ in
                    try await GatewayProcess(database: database.url, corsOrigin: harness.origin).run { gateway in
                        try await gateway.waitUntilReady()
                        try harness.configure(
                            .init(
                                gateway: gateway.baseURL,
                                token: try await BrowserCheck.token(),
                                topics: ["notes/**"],
                                events: ["note.added"]
                            )
                        )
                        try await Chromium.with(url: harness.pageURL) { _ in
                            _ = try await harness.reports.first("the stream to open") { $0.opens >= 1 }
                            try await harness.publish([(["notes/1"], "note.added", "online")])
                            let online = try await harness.reports.first("the online publish to settle") { $0.settled.count == 1 }
                            #expect(online.settled.first?.id != nil, "\(online.settled.first?.error ?? "")")

                            #expect(await gateway.stop() == 0)
                            let tags = ["offline-1", "offline-2", "offline-3"]
                            try await harness.publish(tags.map { (["notes/1"], "note.added", $0) })
                            _ = try await harness.reports.first("the queue to retry while the gateway is down") {
                                $0.pending == 3 && $0.retries >= 1
                            }
                            try gateway.start()

                            let report = try await harness.reports.first("every publish to settle and arrive") { report in
                                report.settled.count == 4 && report.events.filter { $0.event == "note.added" }.count >= 4
                            }
                            #expect(report.pending == 0)
                            let settled = Dictionary(uniqueKeysWithValues: report.settled.map { ($0.tag, $0.id) })
                            let ids = tags.compactMap { settled[$0] ?? nil }
                            #expect(ids.count == 3, "\(report.settled.map { "\($0.tag): \($0.error ?? "ok")" })")
                            #expect(ids == ids.sorted() && Set(ids).count == 3, "delivered out of order or twice: \(ids)")
                            let arrived = report.events.filter { $0.event == "note.added" }
                            #expect(arrived.compactMap(\.tag).sorted() == (["online"] + tags).sorted())
                            for tag in tags { #expect(arrived.first { $0.tag == tag }?.id == settled[tag] ?? nil) }
                            BrowserCheck.expectOnceInOrder(report, count: 4)

                            let logged = try await database.connection.query(
                                "SELECT data->'data'->>'tag', count(*) FROM tidings.changes WHERE event = 'note.added' GROUP BY 1 ORDER BY 1",
                                logger: LiveGateway.logger
                            )
                            var counts: [String: Int64] = [:]
                            for try await (tag, count) in logged.decode((String, Int64).self) { counts[tag] = count }
                            #expect(counts == ["online": 1, "offline-1": 1, "offline-2": 1, "offline-3": 1])
                        }
                    }
                }
            }
        }
    }
}
