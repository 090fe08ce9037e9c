import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// A refused demo request, answered as the gateway answers errors: a status and the JSON body
/// `{"error": "...", "detail": "..."}`, so the demo page reads both kinds alike.
struct DemoInputError: Error, HTTPResponseError {
    let status: HTTPResponse.Status
    let error: String
    let detail: String

    static func badRequest(_ detail: String) -> DemoInputError {
        DemoInputError(status: .badRequest, error: "bad_request", detail: detail)
    }

    static func notFound(_ detail: String) -> DemoInputError {
        DemoInputError(status: .notFound, error: "not_found", detail: detail)
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        let body = try JSONSerialization.data(withJSONObject: ["error": error, "detail": detail], options: [.sortedKeys])
        return Response(
            status: status,
            headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(bytes: body))
        )
    }
}
