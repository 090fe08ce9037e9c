import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import PostgresNIO
import TidingsCore
import TidingsPostgres

/// `GET /rows`: a page of a captured table's rows that the token may see and the selectors ask
/// for, with the change-log id it is consistent with, so that a client can load its state and
/// then stream from that id without a gap (SPEC §4).
struct RowsController: Sendable {
    let client: PostgresClient
    let authenticator: Authenticator
    let tables: [TableCapture]
    let maxSelectors: Int

    func register(on router: Router<GatewayRequestContext>) {
        router.get("rows") { request, context in try await rows(request: request, context: context) }
    }

    func rows(request: Request, context: GatewayRequestContext) async throws -> Response {
        let parsed = try RowsRequest(request: request, tables: tables, maxSelectors: maxSelectors)
        let access = try await authenticator.access(for: request)
        let grant = try access.grant(for: parsed.selectors)
        let client = self.client
        let logger = context.logger
        let outcome = try await DatabaseCall.run(logger: logger) { () async throws -> Result<RowsPage, RowsError> in
            try await client.withConnection { connection in
                do {
                    return .success(
                        try await RowsSnapshot.page(
                            capture: parsed.capture,
                            grant: grant,
                            after: parsed.after,
                            limit: parsed.limit,
                            on: connection,
                            logger: logger
                        )
                    )
                } catch let error as RowsError {
                    return .failure(error)
                }
            }
        }
        switch outcome {
        case .success(let page):
            return Response(
                status: .ok,
                headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "private, no-store"],
                body: .init(byteBuffer: page.body())
            )
        case .failure(let error):
            throw APIError(rows: error)
        }
    }
}
