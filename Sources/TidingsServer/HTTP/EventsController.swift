import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import TidingsCore

/// `GET /events`: authorizes the request, then streams the events its grant and selectors
/// deliver, resuming without gap or duplicate after `Last-Event-ID`.
struct EventsController: Sendable {
    let hub: Hub
    let replay: LogReplay
    let authenticator: Authenticator
    let stream: StreamSettings
    let limiter: StreamLimiter

    func register(on router: Router<GatewayRequestContext>) {
        router.get("events") { request, context in try await events(request: request, context: context) }
    }

    private static let headers: HTTPFields = [
        .contentType: "text/event-stream",
        .cacheControl: "no-store",
        .xAccelBuffering: "no",
    ]

    func events(request: Request, context: GatewayRequestContext) async throws -> Response {
        let parsed = try StreamRequest(request: request, maxSelectors: stream.maxSelectors)
        let access = try await authenticator.access(for: request)
        let grant = try access.grant(for: parsed.selectors)
        // Taken last: nothing after this throws, so every slot is released by the body below.
        let slot = try limiter.acquire(token: access.token)
        let channel = context.channel
        let retry = SSEFrame.retry(stream.retry)
        let logger = context.logger
        return Response(
            status: .ok,
            headers: Self.headers,
            body: ResponseBody { writer in
                // The writer runs on its channel's event loop: see EventLoopTaskExecutor.
                try await withTaskExecutorPreference(EventLoopTaskExecutor(eventLoop: channel.eventLoop)) {
                    // Registered here, not before: a client gone before the body runs leaves nothing behind.
                    let (subscriber, cursor) = hub.subscribe(
                        grant: grant,
                        capacity: stream.buffer,
                        expiresAt: access.expiresAt,
                        // A HEAD response carries no body: its encoder drops one, so nothing may bypass it.
                        direct: request.method == .get ? DirectOutput(channel: channel) : nil,
                        closeConnection: { channel.close(promise: nil) }
                    )
                    let writerLoop = StreamWriter(hub: hub, replay: replay, subscriber: subscriber, logger: logger)
                    // On the loop (as the executor makes it), a close watch; elsewhere the next write finds a gone client.
                    // Adding it fails only on a closed pipeline, whose stream the isActive check below ends.
                    let pipeline = channel.eventLoop.inEventLoop ? channel.pipeline.syncOperations : nil
                    let closeWatch = StreamCloseHandler { subscriber.end(.closed) }
                    try? pipeline?.addHandler(closeWatch, position: .first)
                    defer {
                        _ = pipeline?.removeHandler(closeWatch)
                        hub.unsubscribe(subscriber)
                        slot?.release()
                    }
                    if !channel.isActive { subscriber.end(.closed) }
                    try await writer.write(retry)
                    // The server drains its connections before the other services hear of the shutdown.
                    try await withGracefulShutdownHandler {
                        try await writerLoop.run(writer: &writer, resumeAfter: parsed.lastEventID, cursor: cursor)
                    } onGracefulShutdown: {
                        subscriber.end(.shutdown)
                    }
                    try await writer.finish(nil)
                }
            }
        )
    }
}
