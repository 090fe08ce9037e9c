import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import TidingsCore

@testable import TidingsServer

/// One whole small HTTP answer, for the JSON endpoints.
struct HTTPAnswer: Sendable {
    var status: Int
    var headers: HTTPHeaders
    var body: String

    /// The body parsed as a JSON object.
    var json: [String: Any] {
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
    func call(
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

/// Tokens minted with the test config's secret.
enum TestMint {
    static func token(subscribe: [String], publish: [String] = [], config: TidingsConfig) async throws -> String {
        try await TokenMinter(settings: config.auth.jwt).mint(
            subscribe: try subscribe.map { try Selector(parsing: $0) },
            publish: try publish.map { try Selector(parsing: $0) },
            ttl: .seconds(3600)
        )
    }
}

/// The `events` of a `/changes` answer as (id, event) pairs.
func changeEvents(_ answer: HTTPAnswer) throws -> [(id: Int64, event: String)] {
    let events = try answer.json["events"] as? [[String: Any]] ?? []
    return events.map { (($0["id"] as? NSNumber)?.int64Value ?? -1, $0["event"] as? String ?? "") }
}
