import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import TidingsCore

/// `GET /events`: authorizes the request, then streams the events its grant and selectors
/// deliver, resuming without gap or duplicate after `Last-Event-ID`.
struct EventsController: Sendable {
    let hub: Hub
    let replay: LogReplay
    let authenticator: Authenticator
    let stream: StreamSettings
    let limiter: StreamLimiter
    let shutdown: StreamShutdownWatch

    func register(on router: Router<GatewayRequestContext>) {
        router.get("events") { request, context in try await events(request: request, context: context) }
    }

    private static let headers: HTTPFields = [
        .contentType: "text/event-stream",
        .cacheControl: "no-store",
        .xAccelBuffering: "no",
    ]

    func events(request: Request, context: GatewayRequestContext) async throws -> Response {
        shutdown.start()
        let parsed = try StreamRequest(request: request, maxSelectors: stream.maxSelectors)
        let access = try await authenticator.access(for: request)
        let grant = try access.grant(for: parsed.selectors)
        // Taken last: nothing after this throws, so every slot is released by the body below.
        let slot = try limiter.acquire(identity: access.identity)
        let channel = context.channel
        let retry = SSEFrame.retry(stream.retry)
        let logger = context.logger
        let writesBody = request.method == .get
        let lastEventID = parsed.lastEventID
        let expiresAt = access.expiresAt
        return Response(
            status: .ok,
            headers: Self.headers,
            body: ResponseBody { [hub, replay, stream] writer in
                // The writer runs on its channel's event loop: see EventLoopTaskExecutor.
                try await withTaskExecutorPreference(EventLoopTaskExecutor(eventLoop: channel.eventLoop)) {
                    // Registered here, not before: a client gone before the body runs leaves nothing behind.
                    let session = StreamSession(
                        hub: hub,
                        replay: replay,
                        grant: grant,
                        stream: stream,
                        expiresAt: expiresAt,
                        slot: slot,
                        channel: channel,
                        writesBody: writesBody,
                        logger: logger
                    )
                    var runsOnLoop = false
                    defer { if !runsOnLoop { session.release() } }
                    try await writer.write(retry)
                    switch try await session.run(writer: &writer, resumeAfter: lastEventID) {
                    case .handedOff:
                        runsOnLoop = true
                        throw StreamRunsOnLoop()
                    case .ended(.expired):
                        try await writer.write(SSEFrame.expired)
                    case .ended(.cutOff):
                        logger.info("subscriber cut off: its client stopped reading")
                    case .ended:
                        break
                    }
                    try await writer.finish(nil)
                }
            }
        )
    }
}

/// Ends the request's task once its stream runs on the event loop (``StreamDriver``).
///
/// Hummingbird answers an error from a response body by closing the connection and ending the
/// connection's task without writing anything more; the stream's watch (``StreamChannelHandler``)
/// answers that close without closing, so the connection stays with the stream.
struct StreamRunsOnLoop: Error {}
