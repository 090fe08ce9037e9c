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
        // Taken last: nothing after this throws, so every slot is released by the body below.
        let slot = try limiter.acquire(identity: access.identity)
        let channel = context.channel
        let logger = context.logger
        let lastEventID = parsed.lastEventID
        let expiresAt = access.expiresAt
        return Response(
            status: .ok,
            headers: Self.headers,
            body: ResponseBody { [hub, replay, stream] writer in
                defer { slot?.release() }
                // The task runs on its channel's event loop, beside the stream: see EventLoopTaskExecutor.
                try await withTaskExecutorPreference(EventLoopTaskExecutor(eventLoop: channel.eventLoop)) {
                    // Registered here, not before: a client gone before the body runs leaves nothing behind.
                    let connection = try StreamConnection.open(
                        channel: channel,
                        hub: hub,
                        grant: grant,
                        settings: stream,
                        expiresAt: expiresAt,
                        resumeAfter: lastEventID,
                        logger: logger
                    )
                    defer { connection.release() }
                    while true {
                        switch await connection.nextJob() {
                        case .replay(let range):
                            do {
                                let last = try await connection.replay(range, from: replay, hub: hub, grant: grant)
                                connection.replayFinished(lastWritten: last)
                            } catch {
                                // Only an ending stops a replay (reads are retried): its job comes next.
                                if !connection.isEnded { connection.end(.closed) }
                            }
                        case .end:
                            try await writer.finish(nil)
                            connection.finished()
                            return
                        }
                    }
                }
            }
        )
    }
}
