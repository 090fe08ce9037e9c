import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import TidingsCore

@testable import TidingsServer

/// One whole small HTTP answer, for the JSON endpoints.
package struct HTTPAnswer: Sendable {
    package var status: Int
    package var headers: HTTPHeaders
    package var body: String

    /// The body parsed as a JSON object.
    package var json: [String: Any] {
        get throws {
            guard let object = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any] else {
                throw TestFailure("not a JSON object: \(body)")
            }
            return object
        }
    }
}

extension HTTPClient {
    /// Sends one request and reads its whole answer.
    package func call(
        _ url: String,
        method: HTTPMethod = .GET,
        headers: [(String, String)] = [],
        body: String? = nil,
        timeout: TimeAmount = .seconds(90)
    ) async throws -> HTTPAnswer {
        var request = HTTPClientRequest(url: url)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        let response = try await execute(request, timeout: timeout)
        let text = String(buffer: try await response.body.collect(upTo: 8 << 20))
        return HTTPAnswer(status: Int(response.status.code), headers: response.headers, body: text)
    }
}

/// Tokens minted as `tidings token` mints them, with the test config's secret.
package enum TestMint {
    /// A token granting `subscribe` and `publish`, signed with `config`'s key.
    package static func token(
        subscribe: [String],
        publish: [String] = [],
        subject: String? = nil,
        ttl: Duration = .seconds(3600),
        config: TidingsConfig
    ) async throws -> String {
        try await token(subscribe: subscribe, publish: publish, subject: subject, ttl: ttl, settings: config.auth.jwt)
    }

    /// A token granting `subscribe` and `publish`, signed with the key of `settings`
    /// (``TestConfig/secret`` unless told otherwise).
    package static func token(
        subscribe: [String],
        publish: [String] = [],
        subject: String? = nil,
        ttl: Duration = .seconds(3600),
        settings: JWTSettings = JWTSettings(key: .secret(TestConfig.secret))
    ) async throws -> String {
        try await TokenMinter(settings: settings).mint(
            subscribe: try subscribe.map { try Selector(parsing: $0) },
            publish: try publish.map { try Selector(parsing: $0) },
            subject: subject,
            ttl: ttl
        )
    }
}

/// The `events` of a `/changes` answer as (id, event) pairs.
package func changeEvents(_ answer: HTTPAnswer) throws -> [(id: Int64, event: String)] {
    let events = try answer.json["events"] as? [[String: Any]] ?? []
    return events.map { (($0["id"] as? NSNumber)?.int64Value ?? -1, $0["event"] as? String ?? "") }
}
