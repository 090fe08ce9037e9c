import HTTPTypes
import Hummingbird
import TidingsPostgres

/// `/healthz` (the process serves) and `/readyz` (the change feed is connected and caught up).
struct HealthController: Sendable {
    let feed: ChangeFeed

    func register(on router: Router<GatewayRequestContext>) {
        router.get("healthz") { _, _ -> Response in Self.json(.ok, #"{"status":"ok"}"#) }
        router.get("readyz") { _, _ -> Response in
            let status = feed.status.snapshot
            guard status.isReady else {
                throw APIError.notReady(
                    status.connected ? "the change feed is catching up with the log" : "the change feed is not connected to PostgreSQL"
                )
            }
            return Self.json(.ok, #"{"status":"ready","cursor":\#(status.cursor ?? 0)}"#)
        }
    }

    private static func json(_ status: HTTPResponse.Status, _ body: String) -> Response {
        Response(
            status: status,
            headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: .init(string: body))
        )
    }
}
