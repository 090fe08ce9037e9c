import CoreMetrics
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import PostgresNIO
import TidingsCore
import TidingsPostgres

/// `POST /publish`: an event that does not start as a row change, written through
/// ``ChangeLog/publish(topics:event:envelope:)`` so that it is logged, ordered and replayable like one.
struct PublishController: Sendable {
    /// Knows the capture mode: in `capture.mode: logical` the id is known once the capturer has
    /// logged the publish.
    let log: ChangeLog
    let authenticator: Authenticator
    let maxBody: Int
    let metrics: GatewayMetrics
    var crossSite = CrossSiteCheck(cors: nil)
    /// How long the body may take to arrive.
    var bodyDeadline: Duration = .seconds(10)
    /// The captured tables' event names (`orders.update`…): a publish may not pose as a row change.
    var capturedEvents: Set<String> = []

    func register(on router: Router<GatewayRequestContext>) {
        router.post("publish") { request, context in try await publish(request: request, context: context) }
    }

    func publish(request: Request, context: GatewayRequestContext) async throws -> Response {
        try crossSite.check(request)
        let access = try await authenticator.access(for: request)
        guard access.hasToken else {
            throw APIError.unauthorized("publishing needs a token with publish rights (Authorization: Bearer)", invalidToken: false)
        }
        let bytes = try await body(of: request)
        let parsed = try PublishRequest(body: bytes)
        guard !capturedEvents.contains(parsed.event) else {
            throw APIError.badRequest("bad_event", "event '\(parsed.event)' is a captured table's event name; choose another")
        }
        if let refused = parsed.topics.first(where: { topic in !access.publish.contains { $0.matches(topic) } }) {
            throw APIError.forbidden("this token may not publish to topic '\(refused)'")
        }
        let logger = context.logger
        var log = self.log
        log.logger = logger
        // Topics are checked here and event names are ASCII: what PostgreSQL can still refuse
        // is in `data`, unless a topic holds characters the database's encoding lacks.
        let field = parsed.topics.allSatisfy { $0.description.utf8.allSatisfy { $0 < 0x80 } } ? "data" : "topics or data"
        if let key = try IdempotencyKey(request: request, access: access, body: bytes) {
            return try await publishOnce(parsed, key: key, field: field, log: log)
        }
        let id = try await DatabaseCall.run(field: field, logger: logger) { [log] in
            try await log.publish(topics: parsed.topics.map(\.description), event: parsed.event, envelope: parsed.body)
        }
        metrics.published.increment()
        return Self.answer(id, status: .created)
    }

    /// `{"id":N}` with `status`; with no id (logical mode, the capturer has not numbered the
    /// publish in time) 202, `{"id":null}`: the event is committed and will be logged in its place.
    static func answer(_ id: Int64?, status: HTTPResponse.Status) -> Response {
        Response(
            status: id == nil && status == .created ? .accepted : status,
            headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(string: #"{"id":\#(id.map(String.init) ?? "null")}"#))
        )
    }

    /// The body, refused with 413 past `publish.max_body` before more of it is read, and with
    /// 408 when it has not all arrived within `bodyDeadline` (a client trickling a body cannot
    /// hold a connection and a request open for ever).
    private func body(of request: Request) async throws(APIError) -> [UInt8] {
        let tooLarge = APIError(
            status: .contentTooLarge,
            error: "body_too_large",
            detail: "the body is larger than publish.max_body (\(maxBody) bytes)"
        )
        if let length = request.headers[.contentLength].flatMap(Int.init), length > maxBody { throw tooLarge }
        let maxBody = self.maxBody
        let deadline = bodyDeadline
        do {
            return try await withThrowingTaskGroup(of: [UInt8]?.self) { group in
                group.addTask {
                    let buffer = try await request.body.collect(upTo: maxBody)
                    return Array(buffer.readableBytesView)
                }
                group.addTask {
                    try await Task.sleep(for: deadline)
                    return nil
                }
                defer { group.cancelAll() }
                guard let first = try await group.next(), let bytes = first else {
                    throw APIError(
                        status: .requestTimeout,
                        error: "body_timeout",
                        detail: "the body did not arrive within \(deadline) (limits.request_head)"
                    )
                }
                return bytes
            }
        } catch let error as APIError {
            throw error
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw tooLarge
        } catch {
            throw .badRequest("bad_body", "the body could not be read to its end")
        }
    }
}
