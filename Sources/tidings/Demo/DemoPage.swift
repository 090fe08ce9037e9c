import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import TidingsServer

/// `GET /` and `GET /tidings.js` under `tidings dev`: the demo page, with the dev token written
/// into it, and the JavaScript client it imports.
///
/// The token in the page is acceptable only because `tidings dev` listens on loopback and its
/// token is a throwaway one; `tidings serve` never serves this page.
struct DemoPage: Sendable {
    let page: ByteBuffer
    let client: ByteBuffer

    init(assets: DemoAssets, token: String) {
        self.page = ByteBuffer(string: assets.page.replacingOccurrences(of: "{{TOKEN}}", with: token))
        self.client = ByteBuffer(string: assets.client)
    }

    func register(on router: Router<GatewayRequestContext>) {
        router.get("/") { _, _ in Self.response(page, type: "text/html; charset=utf-8") }
        router.get("tidings.js") { _, _ in Self.response(client, type: "text/javascript; charset=utf-8") }
    }

    private static func response(_ body: ByteBuffer, type: String) -> Response {
        Response(status: .ok, headers: [.contentType: type, .cacheControl: "no-store"], body: .init(byteBuffer: body))
    }
}
