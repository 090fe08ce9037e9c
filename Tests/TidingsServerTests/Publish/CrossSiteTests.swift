import AsyncHTTPClient
import Foundation
import NIOHTTP1
import PostgresNIO
import Testing
import TidingsCore
import TidingsTestSupport

@testable import TidingsServer

/// A `POST /publish` authenticated by the cookie must prove it comes from an allowed page
/// (SPEC §4): a cross-site form post would otherwise publish as the signed-in user.
@Suite("POST /publish against cross-site requests", .timeLimit(.minutes(2)))
struct CrossSiteTests {
    static let body = #"{"topics":["chat/42"],"event":"message","data":{"text":"hi"}}"#
    static let origin = "https://app.example"

    @Test("with the cookie: a text/plain form post, a missing Origin, an unlisted or '*'-only origin get 403 and log nothing")
    func cookiePublishNeedsJSONAndAllowedOrigin() async throws {
        let client = try HTTPClient.make()
        defer { client.shutdown { _ in } }
        try await TestDatabase.with("csrf") { database, config in
            let config = try config.with(corsOrigins: ["*", Self.origin])
            let token = try await TestMint.token(subscribe: [], publish: ["chat/**"], config: config)
            let cookie = ("Cookie", "tidings_token=\(token)")
            try await LiveGateway.with(config) { live in
                let url = "\(live.baseURL)/publish"
                let forged = try await client.call(
                    url,
                    method: .POST,
                    headers: [cookie, ("Content-Type", "text/plain"), ("Origin", "https://evil.example")],
                    body: Self.body
                )
                #expect(forged.status == 403)
                #expect(try forged.json["error"] as? String == "cross_site_refused")
                #expect(try (forged.json["detail"] as? String)?.contains("Content-Type: application/json") == true)

                let plainFromListed = try await client.call(
                    url,
                    method: .POST,
                    headers: [cookie, ("Content-Type", "text/plain"), ("Origin", Self.origin)],
                    body: Self.body
                )
                #expect(plainFromListed.status == 403)

                let noOrigin = try await client.call(
                    url,
                    method: .POST,
                    headers: [cookie, ("Content-Type", "application/json")],
                    body: Self.body
                )
                #expect(noOrigin.status == 403)
                #expect(try (noOrigin.json["detail"] as? String)?.contains("Origin") == true)

                let anyOrigin = try await client.call(
                    url,
                    method: .POST,
                    headers: [cookie, ("Content-Type", "application/json"), ("Origin", "https://elsewhere.example")],
                    body: Self.body
                )
                #expect(anyOrigin.status == 403)
                #expect(try (anyOrigin.json["detail"] as? String)?.contains("cors.origins") == true)

                let logged = try await database.connection.query("SELECT count(*)::int FROM tidings.changes", logger: LiveGateway.logger)
                for try await count in logged.decode(Int.self) { #expect(count == 0) }

                let allowed = try await client.call(
                    url,
                    method: .POST,
                    headers: [cookie, ("Content-Type", "application/json; charset=utf-8"), ("Origin", Self.origin)],
                    body: Self.body
                )
                #expect(allowed.status == 201)
            }
        }
    }

    @Test("a bearer token in the header is not affected: another site cannot set it")
    func bearerIsNotAffected() async throws {
        let client = try HTTPClient.make()
        defer { client.shutdown { _ in } }
        try await TestDatabase.with("csrf_bearer") { _, config in
            let config = try config.with()
            let token = try await TestMint.token(subscribe: [], publish: ["chat/**"], config: config)
            try await LiveGateway.with(config) { live in
                let answer = try await client.call(
                    "\(live.baseURL)/publish",
                    method: .POST,
                    headers: [("Authorization", "Bearer \(token)"), ("Content-Type", "text/plain")],
                    body: Self.body
                )
                #expect(answer.status == 201)
            }
        }
    }
}
