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
        // A HEAD request learns whether the stream would open, and gets no body.
        if request.method == .head { return Response(status: .ok, headers: Self.headers) }
        // Taken last: nothing after this throws, so every slot is released by the body below or its stream.
        let slot = try limiter.acquire(identity: access.identity)
        let opening = StreamOpening(
            hub: hub,
            log: replay,
            grant: grant,
            settings: stream,
            expiresAt: access.expiresAt,
            lastEventID: parsed.lastEventID,
            slot: slot,
            // Hummingbird closes the connection after a response to `Connection: close`: that
            // response must end before the request's task returns.
            outlivesRequest: request.headers[.connection] != "close",
            logger: context.logger
        )
        let channel = context.channel
        return Response(
            status: .ok,
            headers: Self.headers,
            body: ResponseBody { writer in
                // The task runs on its channel's event loop, beside the stream: see EventLoopTaskExecutor.
                try await withTaskExecutorPreference(EventLoopTaskExecutor(eventLoop: channel.eventLoop)) {
                    // Registered here, not before: a client gone before the body runs leaves nothing behind.
                    let connection: StreamConnection
                    do {
                        connection = try StreamConnection.open(on: channel, opening)
                    } catch {
                        slot?.release()
                        throw error
                    }
                    if connection.outlivesRequest {
                        // HTTP/1.1: the stream runs on the loop, and the end waits in its gate until the stream ends.
                        try await writer.finish(nil)
                        return
                    }
                    defer { connection.release() }
                    await connection.untilEnded()
                    try await writer.finish(nil)
                    connection.finished()
                }
            }
        )
    }
}
