import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Every error a client sees: a status and the JSON body `{"error": "...", "detail": "..."}`.
///
/// `error` is a short stable code a client can switch on; `detail` says what was wrong and how
/// to fix it, and never contains a token, a secret or a database message.
struct APIError: Error, HTTPResponseError, CustomStringConvertible {
    let status: HTTPResponse.Status
    let error: String
    let detail: String
    var headers: HTTPFields = [:]

    var description: String { "\(status.code) \(error): \(detail)" }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = self.headers
        headers[.contentType] = "application/json; charset=utf-8"
        headers[.cacheControl] = "no-store"
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        let body = try encoder.encode(["error": error, "detail": detail])
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    static func badRequest(_ error: String, _ detail: String) -> APIError {
        APIError(status: .badRequest, error: error, detail: detail)
    }

    /// 401 with `WWW-Authenticate: Bearer`, as RFC 6750 asks.
    static func unauthorized(_ detail: String, invalidToken: Bool) -> APIError {
        let challenge = invalidToken ? #"Bearer realm="tidings", error="invalid_token""# : #"Bearer realm="tidings""#
        return APIError(status: .unauthorized, error: "unauthorized", detail: detail, headers: [.wwwAuthenticate: challenge])
    }

    static func forbidden(_ detail: String) -> APIError {
        APIError(status: .forbidden, error: "forbidden", detail: detail)
    }

    static func notReady(_ detail: String) -> APIError {
        APIError(status: .serviceUnavailable, error: "not_ready", detail: detail)
    }

    /// 503 for `/changes` and `/publish` while PostgreSQL is away (`/events` never answers 5xx).
    static func unavailable(_ detail: String) -> APIError {
        APIError(status: .serviceUnavailable, error: "unavailable", detail: detail, headers: [.retryAfter: "2"])
    }
}
