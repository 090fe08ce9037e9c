import Foundation
package import HTTPTypes
package import Hummingbird
import NIOCore

/// Every error a client sees: a status and the JSON body `{"error": "...", "detail": "..."}`.
///
/// `error` is a short stable code a client can switch on; `detail` says what was wrong and how
/// to fix it, and never contains a token, a secret or a database message. `package` so that the
/// `tidings dev` demo endpoints answer in the same shape.
package struct APIError: Error, HTTPResponseError, CustomStringConvertible {
    package let status: HTTPResponse.Status
    package let error: String
    package let detail: String
    package var headers: HTTPFields = [:]

    package init(status: HTTPResponse.Status, error: String, detail: String, headers: HTTPFields = [:]) {
        self.status = status
        self.error = error
        self.detail = detail
        self.headers = headers
    }

    package var description: String { "\(status.code) \(error): \(detail)" }

    package func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = self.headers
        headers[.contentType] = "application/json; charset=utf-8"
        headers[.cacheControl] = "no-store"
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        let body = try encoder.encode(["error": error, "detail": detail])
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    package static func badRequest(_ error: String, _ detail: String) -> APIError {
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

    package static func notFound(_ detail: String) -> APIError {
        APIError(status: .notFound, error: "not_found", detail: detail)
    }

    static func notReady(_ detail: String) -> APIError {
        APIError(status: .serviceUnavailable, error: "not_ready", detail: detail)
    }

    /// 503 for `/changes` and `/publish` while PostgreSQL is away (`/events` never answers 5xx).
    static func unavailable(_ detail: String) -> APIError {
        APIError(status: .serviceUnavailable, error: "unavailable", detail: detail, headers: [.retryAfter: "2"])
    }
}
