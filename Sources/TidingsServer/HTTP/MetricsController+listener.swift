import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import TidingsCore

extension MetricsController {
    /// A plain-HTTP server of its own that answers only `GET /metrics` (`metrics.listen`), for
    /// a scraper on localhost or a private network: the public port then has no `/metrics`.
    func server(
        listen: ListenAddress,
        onServerRunning: @escaping @Sendable (any Channel) async -> Void,
        logger: Logger
    ) -> any Service {
        let router = Router(context: GatewayRequestContext.self)
        register(on: router)
        return Application(
            router: router,
            server: .http1(),
            configuration: .init(address: .hostname(listen.host, port: listen.port), serverName: "tidings-metrics"),
            onServerRunning: onServerRunning,
            logger: logger
        )
    }
}
