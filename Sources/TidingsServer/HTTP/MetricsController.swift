import HTTPTypes
import Hummingbird
import NIOCore
import TidingsPostgres

/// `GET /metrics`: the gateway's series in Prometheus text format.
struct MetricsController: Sendable {
    let metrics: GatewayMetrics
    let feed: FeedStatus
    /// The logical capturer's status; nil in triggers mode.
    let capture: CaptureStatus?

    func register(on router: Router<GatewayRequestContext>) {
        router.get("metrics") { _, _ -> Response in
            Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8", .cacheControl: "no-store"],
                body: .init(byteBuffer: ByteBuffer(bytes: metrics.exposition(feed: feed, capture: capture)))
            )
        }
    }
}
