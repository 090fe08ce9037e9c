import CoreMetrics
package import Hummingbird
import HummingbirdCore
import HummingbirdHTTP2
import HummingbirdTLS
package import Logging
package import NIOCore
import PostgresNIO
package import ServiceLifecycle
package import TidingsCore
import TidingsPostgres
import UnixSignals

/// The whole gateway: the Postgres client, the change feed, the hub and the HTTP server, wired
/// into one service group.
///
/// Services start in order (Postgres client, feed, hub clock, server) and stop in reverse on
/// SIGTERM/SIGINT: the server stops accepting and ends every stream, then the feed and the
/// client close their connections, and last the feed's thread ends (``GatewayService``).
package struct Gateway: Sendable {
    package let config: TidingsConfig
    let hub: Hub
    let feed: ChangeFeed
    let client: PostgresClient
    let application: Application<RouterResponder<GatewayRequestContext>>
    /// The thread of the change feed and the channel listeners, created here and ended after them.
    let feedLoop: FeedEventLoop

    /// Builds every part; reads the TLS files and keys now, so a bad file fails at startup.
    /// - Parameters:
    ///   - onServerRunning: called with the bound channel once the server listens (tests use
    ///     it to learn an ephemeral port).
    ///   - onMetricsServerRunning: the same for the `metrics.listen` server, when configured.
    ///   - extraRoutes: adds routes of the caller's own (`tidings dev` serves its demo page),
    ///     after the gateway's and behind the same logging and CORS middleware.
    /// - Throws: ``GatewayStartupError`` for a missing or unreadable certificate, key or key file.
    package init(
        config: TidingsConfig,
        logger: Logger,
        onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in },
        onMetricsServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in },
        extraRoutes: (Router<GatewayRequestContext>) -> Void = { _ in }
    ) async throws(GatewayStartupError) {
        self.config = config
        let metrics = GatewayMetrics()
        let hub = Hub(metrics: metrics.hub)
        let client: PostgresClient
        let connection: PostgresConnection.Configuration
        do {
            client = PostgresClient(configuration: try config.postgres.url.clientConfiguration(), backgroundLogger: logger)
            connection = try config.postgres.url.connectionConfiguration()
        } catch {
            throw GatewayStartupError(.invalidDatabaseURL, "postgres.url: \(error)")
        }
        let log = ChangeLog(client: client, captureSlot: config.capture.mode == .logical ? config.capture.slot : nil, logger: logger)
        let verifier: TokenVerifier
        do {
            verifier = try await TokenVerifier.load(config.auth.jwt, logger: logger)
        } catch {
            throw GatewayStartupError(.invalidTokenKey, error.message)
        }
        let server: HTTPServerBuilder
        do {
            server = try .gateway(tls: try config.tls.map { try ServerTLS.configuration($0) }, limits: config.limits)
        } catch let error as GatewayStartupError {
            throw error
        } catch {
            throw GatewayStartupError(.invalidTLSSetup, "tls: cannot set up TLS with HTTP/2: \(error)")
        }
        // Nothing below throws: the loop's thread starts only for a gateway that can run.
        let feedLoop = FeedEventLoop()
        let feed = ChangeFeed(configuration: connection, sink: hub, feedLoop: feedLoop, logger: logger)
        let router = Router(context: GatewayRequestContext.self)
        // Middleware applies only to routes registered after it.
        router.add(middleware: RequestLogMiddleware())
        if let cors = CORSPolicy(config.cors) { router.add(middleware: CORSMiddleware(policy: cors)) }
        HealthController(feed: feed).register(on: router)
        let authenticator = Authenticator(verifier: verifier, publicSelectors: config.auth.public)
        let limiter = StreamLimiter(limit: config.auth.maxStreamsPerToken, anonymousLimit: config.limits.maxAnonymousStreams)
        EventsController(
            hub: hub,
            replay: LogReplay(log: log),
            authenticator: authenticator,
            stream: config.stream,
            limiter: limiter,
            shutdown: StreamShutdownWatch(hub: hub)
        ).register(on: router)
        ChangesController(
            hub: hub,
            reader: ChangesReader(log: log),
            authenticator: authenticator,
            maxSelectors: config.stream.maxSelectors,
            metrics: metrics,
            limiter: limiter
        ).register(on: router)
        PublishController(
            log: log,
            authenticator: authenticator,
            maxBody: config.publish.maxBody,
            metrics: metrics,
            crossSite: CrossSiteCheck(cors: CORSPolicy(config.cors)),
            bodyDeadline: config.limits.requestHead,
            capturedEvents: Set(
                config.tables.flatMap { table in ChangeOperation.allCases.map { "\(table.table.eventPrefix).\($0.rawValue)" } }
            )
        ).register(on: router)
        let capture = Self.logicalCapture(config, feed: feed, logger: logger)
        let metricsController = MetricsController(metrics: metrics, feed: feed.status, capture: capture?.status)
        // With `metrics.listen`, /metrics leaves the public port for a listener of its own.
        let metricsServer = config.metrics.listen.map {
            metricsController.server(listen: $0, onServerRunning: onMetricsServerRunning, logger: logger)
        }
        if metricsServer == nil { metricsController.register(on: router) }
        RowsController(client: client, authenticator: authenticator, tables: config.tables, maxSelectors: config.stream.maxSelectors)
            .register(on: router)
        extraRoutes(router)

        let channels = ChannelFeed(channels: config.channels, configuration: connection, hub: hub, feedLoop: feedLoop, logger: logger)
        let pruner = Pruner(log: log, settings: config.retention, logger: logger) { metrics.eventsPruned.increment(by: $0) }
        let clock = HubClock(hub: hub, heartbeat: config.stream.heartbeat, expiryResolution: .milliseconds(250))
        let optionalServices: [(any Service)?] = [verifier.remote, metricsServer]
        let problems = CaptureProblemWatch(client: client, logger: logger) { metrics.countCaptureProblems(table: $0, count: $1) }
        self.application = Application(
            router: router,
            server: server,
            configuration: .init(address: .hostname(config.listen.host, port: config.listen.port), serverName: "tidings"),
            services: [client] + (capture.map { [$0] } ?? []) + [feed, channels, clock, pruner, problems]
                + optionalServices.compactMap { $0 },
            onServerRunning: onServerRunning,
            logger: logger
        )
        self.hub = hub
        self.feed = feed
        self.client = client
        self.feedLoop = feedLoop
    }

    /// The capturer service of `capture.mode: logical`; nil in triggers mode.
    private static func logicalCapture(_ config: TidingsConfig, feed: ChangeFeed, logger: Logger) -> LogicalCaptureService? {
        guard config.capture.mode == .logical else { return nil }
        let settings = LogicalCaptureSettings(
            url: config.postgres.url,
            slot: config.capture.slot,
            publication: config.capture.publication,
            builders: LogicalCaptureSettings.builders(for: config.tables),
            lagWarningBytes: Int64(config.capture.lagWarning)
        )
        // The capturer's own hub takes each batch it committed without reading it back.
        return LogicalCaptureService(settings: settings, logger: logger) { feed.receiveCaptured($0) }
    }

    /// Runs until SIGTERM or SIGINT, then drains and returns.
    package func run() async throws {
        let group = ServiceGroup(
            configuration: .init(services: [service], gracefulShutdownSignals: [.sigterm, .sigint], logger: application.logger)
        )
        try await group.run()
    }

    /// The gateway as one service, for callers that run their own group (tests, `tidings dev`).
    /// Run it once: its end ends the feed's thread.
    package var service: some Service { GatewayService(application: application, feedLoop: feedLoop) }
}
