import CoreMetrics
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import PostgresNIO
import TidingsCore
import TidingsPostgres

/// `POST /publish`: an event that does not start as a row change, written through
/// `tidings.publish()` so that it is logged, ordered and replayable like one.
struct PublishController: Sendable {
    let client: PostgresClient
    let authenticator: Authenticator
    let maxBody: Int
    let metrics: GatewayMetrics
    /// `capture.mode: logical`: the id is known once the capturer has logged the publish.
    var logicalCapture = false

    func register(on router: Router<GatewayRequestContext>) {
        router.post("publish") { request, context in try await publish(request: request, context: context) }
    }

    func publish(request: Request, context: GatewayRequestContext) async throws -> Response {
        let access = try await authenticator.access(for: request)
        guard access.hasToken else {
            throw APIError.unauthorized("publishing needs a token with publish rights (Authorization: Bearer)", invalidToken: false)
        }
        let parsed = try PublishRequest(body: try await body(of: request))
        if let refused = parsed.topics.first(where: { topic in !access.publish.contains { $0.matches(topic) } }) {
            throw APIError.forbidden("this token may not publish to topic '\(refused)'")
        }
        let client = self.client
        let logger = context.logger
        let id = try await DatabaseCall.run(logger: logger) {
            try await client.withConnection { connection in
                let topics = parsed.topics.map(\.description)
                // Autocommit: the deferred outbox trigger logs the event as the statement commits.
                try await connection.perform(
                    "SELECT tidings.publish(\(topics), \(parsed.event), (\(parsed.body)::jsonb)->'data')",
                    logger: logger
                )
                if logicalCapture { return try await PublishedID.await(on: connection, logger: logger) }
                let rows = try await connection.query("SELECT tidings.last_change_id()", logger: logger)
                for try await id in rows.decode(Int64.self) { return id }
                throw APIError.unavailable("the publish committed but its id could not be read")
            }
        }
        metrics.published.increment()
        return Response(
            status: .created,
            headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(string: #"{"id":\#(id)}"#))
        )
    }

    /// The body, refused with 413 past `publish.max_body` before more of it is read.
    private func body(of request: Request) async throws(APIError) -> [UInt8] {
        let tooLarge = APIError(
            status: .contentTooLarge,
            error: "body_too_large",
            detail: "the body is larger than publish.max_body (\(maxBody) bytes)"
        )
        if let length = request.headers[.contentLength].flatMap(Int.init), length > maxBody { throw tooLarge }
        do {
            let buffer = try await request.body.collect(upTo: maxBody)
            return Array(buffer.readableBytesView)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw tooLarge
        } catch {
            throw .badRequest("bad_body", "the body could not be read to its end")
        }
    }
}
