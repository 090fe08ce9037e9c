import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import Testing
import TidingsCore
import TidingsTestSupport

@testable import TidingsServer

@Suite("Tokens never reach the log", .timeLimit(.minutes(1)))
struct AuthLogRedactionTests {
    @Test("at trace level, no log line holds a token sent as header, query parameter or cookie, accepted or refused")
    func noTokenInLogs() async throws {
        let token = try await TestTokens.hmac(TestClaims(subscribe: ["groups/7/**"]))
        let forged = try await TestTokens.hmac(TestClaims(subscribe: ["groups/7/**"]), secret: TestTokens.longSecret)
        let captured = CapturedLog()
        let client = try HTTPClient.make()
        defer { client.shutdown { _ in } }
        try await TestDatabase.with("redact") { database, config in
            try await LiveGateway.with(try config.with(), logger: captured.logger(level: .trace)) { live in
                try await live.waitUntilReady(client: client)
                let events = "\(live.baseURL)/events?topic=groups/7/**"
                var streams: [SSEMessages.AsyncIterator] = []
                for (url, headers) in [
                    (events, [("Authorization", "Bearer \(token)")]),
                    (events + "&access_token=\(token)", []),
                    (events, [("Cookie", "tidings_token=\(token)")]),
                ] {
                    var (response, messages) = try await openStream(client, url, headers: headers)
                    #expect(response.status == .ok)
                    #expect(try await messages.next() == .retry(2000))
                    streams.append(messages)
                }
                try await database.insert(701, group: 7)
                for var messages in streams { _ = try #require(try await messages.nextEvent()) }

                let refused: [(String, [(String, String)], Int)] = [
                    ("\(live.baseURL)/events?topic=groups/8/**&access_token=\(token)", [], 403),
                    ("\(live.baseURL)/events?access_token=\(forged)&topic=groups/7/**", [], 401),
                    (events, [("Authorization", "Bearer \(forged)")], 401),
                    (events, [("Cookie", "tidings_token=\(forged)")], 401),
                    ("\(live.baseURL)/nowhere?access_token=\(token)", [], 404),
                ]
                for (url, headers, status) in refused {
                    var request = HTTPClientRequest(url: url)
                    for (name, value) in headers { request.headers.add(name: name, value: value) }
                    let response = try await client.execute(request, timeout: .seconds(10))
                    #expect(Int(response.status.code) == status, "\(url)")
                    _ = try await response.body.collect(upTo: 1 << 20)
                }
            }
        }
        let lines = captured.snapshot
        // The capture saw the requests, redacted: the check below is not vacuous.
        #expect(lines.contains { $0.contains("/events?topic=groups/7/**&access_token=***") })
        #expect(lines.contains { $0.contains("tidings.response.status=401") })
        for secret in [token, forged] {
            let leaks = lines.filter { $0.contains(secret) }
            #expect(leaks.isEmpty, "\(leaks.count) log lines hold a token, e.g. \(leaks.first ?? "")")
        }
    }

    @Test("the request log's query redaction replaces every access_token value, however its name is encoded")
    func queryRedaction() {
        typealias Log = RequestLogMiddleware<GatewayRequestContext>
        #expect(Log.redacted(query: "topic=a/**&access_token=abc.def.ghi") == "topic=a/**&access_token=***")
        #expect(Log.redacted(query: "access_token=x&access_token=y") == "access_token=***&access_token=***")
        #expect(Log.redacted(query: "acc%65ss_token=abc") == "acc%65ss_token=***")
        #expect(Log.redacted(query: "ACCESS_TOKEN=abc&topic=x") == "ACCESS_TOKEN=***&topic=x")
        #expect(Log.redacted(query: "topic=access_token") == "topic=access_token")
        #expect(Log.redacted(query: "access_token") == "access_token=***")
    }
}
