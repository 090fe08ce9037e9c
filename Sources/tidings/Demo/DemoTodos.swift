import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import PostgresNIO
import TidingsServer

/// `/dev/todos` under `tidings dev`: real row changes for the demo page, so that what it shows
/// travels the same path as any application's writes (trigger, change log, stream).
///
/// - `POST /dev/todos` `{"title":"…"}`: inserts a row, 201 `{"id":N}`.
/// - `PATCH /dev/todos/{id}` `{"done":true,"version":V}`: the server side of optimistic writes.
///   It changes the row only while its `version` is still V (`UPDATE … WHERE version = V`) and
///   bumps it; a stale V answers 409 with the row as it is now. Without `version` it always writes.
/// - `DELETE /dev/todos/{id}`: 200 `{"id":N}`; 404 for an unknown id.
///
/// The page loads the table through the gateway's own `GET /rows`, like any application.
/// Bad input gets a 400 JSON error and changes nothing.
struct DemoTodos: Sendable {
    let client: PostgresClient

    static let maxBody = 16 * 1024
    static let maxTitle = 200

    /// The body of `POST /dev/todos`.
    private struct NewTodo: Decodable {
        var title: String
    }

    /// The body of `PATCH /dev/todos/{id}`.
    private struct TodoChange: Decodable {
        var done: Bool
        /// The version the change was made against; nil writes whatever the version is.
        var version: Int32?
    }

    func register(on router: Router<GatewayRequestContext>) {
        let todos = router.group("dev/todos")
        todos.post { request, context in
            let body = try await Self.decode(NewTodo.self, from: request, example: #"{"title":"buy milk"}"#)
            let title = body.title.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !title.isEmpty, title.count <= Self.maxTitle else {
                throw APIError.badRequest("bad_request", "title must have 1 to \(Self.maxTitle) characters")
            }
            let id = try await one("INSERT INTO public.todos (title) VALUES (\(title)) RETURNING id", logger: context.logger)
            return Self.json(.created, #"{"id":\#(id ?? 0)}"#)
        }
        todos.patch(":id") { request, context in
            let id = try Self.todoID(context)
            let body = try await Self.decode(TodoChange.self, from: request, example: #"{"done":true,"version":1}"#)
            if let version = body.version, version < 1 {
                throw APIError.badRequest(
                    "bad_request",
                    "version must be a positive integer: the version of the row the change was made on"
                )
            }
            let changed = try await one(
                """
                UPDATE public.todos SET done = \(body.done), version = version + 1
                WHERE id = \(id) AND (\(body.version)::int IS NULL OR version = \(body.version)::int) RETURNING id
                """,
                logger: context.logger
            )
            guard changed == nil else { return Self.json(.ok, #"{"id":\#(id)}"#) }
            guard let row = try await current(id, logger: context.logger) else { throw APIError.notFound("no todo has id \(id)") }
            return Self.json(
                .conflict,
                #"{"error":"version_conflict","detail":"the todo changed since version \#(body.version ?? 0)","row":\#(row)}"#
            )
        }
        todos.delete(":id") { _, context in
            let id = try Self.todoID(context)
            let deleted = try await one("DELETE FROM public.todos WHERE id = \(id) RETURNING id", logger: context.logger)
            guard deleted != nil else { throw APIError.notFound("no todo has id \(id)") }
            return Self.json(.ok, #"{"id":\#(id)}"#)
        }
    }

    /// The row as JSON text, or nil when there is none.
    private func current(_ id: Int64, logger: Logger) async throws -> String? {
        try await database(logger: logger) { client in
            var row: String?
            let query: PostgresQuery = "SELECT to_jsonb(t)::text FROM public.todos AS t WHERE id = \(id)"
            for try await text in try await client.query(query, logger: logger).decode(String.self) { row = text }
            return row
        }
    }

    /// The single `bigint` the statement returns, or nil when it returned no row.
    private func one(_ query: PostgresQuery, logger: Logger) async throws -> Int64? {
        try await database(logger: logger) { client in
            var value: Int64?
            for try await id in try await client.query(query, logger: logger).decode(Int64.self) { value = id }
            return value
        }
    }

    /// Runs `body`, turning a database failure into a 503 (logged in full, never shown).
    private func database<Value: Sendable>(logger: Logger, _ body: (PostgresClient) async throws -> Value) async throws -> Value {
        do {
            return try await body(client)
        } catch {
            logger.error("dev todos: the database refused", metadata: ["error": "\(String(reflecting: error))"])
            throw Self.unavailable
        }
    }

    private static let unavailable = APIError(
        status: .serviceUnavailable,
        error: "database_unavailable",
        detail: "the dev database did not answer; see the tidings dev log"
    )

    private static func todoID(_ context: GatewayRequestContext) throws -> Int64 {
        guard let id = context.parameters.get("id", as: Int64.self), id > 0 else {
            throw APIError.badRequest("bad_request", "the todo id in the path must be a positive integer")
        }
        return id
    }

    private static func decode<Body: Decodable>(_ type: Body.Type, from request: Request, example: String) async throws -> Body {
        let bytes: ByteBuffer
        do {
            bytes = try await request.body.collect(upTo: maxBody)
        } catch {
            throw APIError(status: .contentTooLarge, error: "body_too_large", detail: "the body may have at most \(maxBody) bytes")
        }
        do {
            return try JSONDecoder().decode(Body.self, from: Data(bytes.readableBytesView))
        } catch {
            throw APIError.badRequest("bad_request", "the body must be JSON like \(example)")
        }
    }

    private static func json(_ status: HTTPResponse.Status, _ body: String) -> Response {
        Response(
            status: status,
            headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(string: body))
        )
    }
}
