import Foundation
import Testing
import TidingsCore
import TidingsServer
import TidingsTestSupport

extension BrowserTests {
    @Suite("Resuming across a reload and a token expiry")
    struct Resume {
        @Test("a reloaded page resumes after the last id it kept in sessionStorage and gets nothing from before again")
        func reloadResumes() async throws {
            try await BrowserHarness.with { harness in
                try await TestDatabase.with("browser_reload") { database, config in
                    try await LiveGateway.with(try config.with(corsOrigins: [harness.origin])) { live in
                        try harness.configure(
                            .init(
                                gateway: live.baseURL,
                                token: try await BrowserCheck.token(),
                                topics: ["items/**"],
                                storageKey: "tidings-test.last-id"
                            )
                        )
                        try await Chromium.with(url: harness.pageURL) { _ in
                            _ = try await harness.reports.first("the stream to open") { $0.opens >= 1 }
                            for id in 1...3 { try await database.insert(id) }
                            let before = try await harness.reports.first("the first three rows") { $0.rows.count == 3 }
                            BrowserCheck.expectOnceInOrder(before, count: 3)

                            harness.holdNextConfig()
                            await harness.reload()
                            // The old page is gone and the new one waits for its config: no stream is open.
                            _ = await harness.configHeld.next()
                            for id in 4...5 { try await database.insert(id) }
                            await harness.releaseConfig()
                            // The page asks for last_event_id=0, but the stored id wins: a fresh store
                            // gets what was written during the reload, and nothing from before it.
                            _ = try await harness.reports.first("the rows written during the reload") {
                                $0.loads == 2 && $0.rows.count >= 2
                            }
                            try await database.insert(6)
                            let after = try await harness.reports.first("a row after the reload") { $0.loads == 2 && $0.rows.count >= 3 }
                            #expect(after.rows.map(\.id) == [4, 5, 6])
                            BrowserCheck.expectOnceInOrder(after, count: 3)
                            #expect((after.ids.min() ?? 0) > (before.ids.max() ?? .max))
                        }
                    }
                }
            }
        }

        @Test("when the token expires, the client gets a new one from getToken and resumes after its last id")
        func tokenExpiry() async throws {
            try await BrowserHarness.with { harness in
                try await TestDatabase.with("browser_expiry") { database, config in
                    let jwt = JWTSettings(key: .secret(TestConfig.secret), leeway: .zero)
                    try await LiveGateway.with(try config.with(jwt: jwt, corsOrigins: [harness.origin])) { live in
                        // No token up front: the page asks getToken first, and the short-lived token
                        // is minted only then, so a slow browser start cannot use it up.
                        try harness.configure(.init(gateway: live.baseURL, token: "", topics: ["items/**"], tokensFromTest: true))
                        try await Chromium.with(url: harness.pageURL) { _ in
                            _ = try await harness.reports.first("the page to ask for its first token") { $0.tokenFetches == 1 }
                            await harness.giveToken(try await BrowserCheck.token(ttl: .seconds(3)))
                            _ = try await harness.reports.first("the stream to open") { $0.opens >= 1 }
                            for id in 1...2 { try await database.insert(id) }
                            _ = try await harness.reports.first("the first two rows") { $0.rows.count == 2 }

                            _ = try await harness.reports.first("the stream to expire and the page to ask for a token") {
                                $0.expired == 1 && $0.tokenFetches == 2
                            }
                            // Written while the page has no stream: it must arrive after the reopen.
                            try await database.insert(3)
                            await harness.giveToken(try await BrowserCheck.token())
                            _ = try await harness.reports.first("the row written during the gap") { $0.rows.count == 3 }
                            try await database.insert(4)
                            let report = try await harness.reports.first("a row on the new stream") { $0.rows.count == 4 }
                            #expect(report.opens == 2)
                            #expect(report.expired == 1 && report.tokenFetches == 2)
                            BrowserCheck.expectOnceInOrder(report, count: 4)
                        }
                    }
                }
            }
        }
    }
}
