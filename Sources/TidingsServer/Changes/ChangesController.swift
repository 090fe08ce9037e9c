import HTTPTypes
import Hummingbird
import Logging
import PostgresNIO
import TidingsCore
import TidingsPostgres

/// `GET /changes`: the events a token may see after an id, from the log, for clients that poll
/// instead of holding a stream; `wait` long-polls until a matching event commits.
struct ChangesController: Sendable {
    let hub: Hub
    let reader: ChangesReader
    let authenticator: Authenticator
    let maxSelectors: Int
    let metrics: GatewayMetrics
    /// Counts `wait` long polls with the streams of their token, or with the anonymous ones.
    var limiter: StreamLimiter?
    /// The least time between two reads of one long poll: every matching event wakes every
    /// waiter, and a burst of events must not turn into a burst of reads per waiter.
    var minimumReread: Duration = .milliseconds(250)

    func register(on router: Router<GatewayRequestContext>) {
        router.get("changes") { request, context in
            let started = ContinuousClock.now
            let timed: TimedRequest = request.uri.queryParameters["wait"] == nil ? .changes : .changesWait
            defer { metrics.recordRequest(timed, since: started) }
            do {
                let response = try await changes(request: request, context: context)
                metrics.countChangesRequest(status: Int(response.status.code))
                return response
            } catch let error as APIError {
                metrics.countChangesRequest(status: Int(error.status.code))
                throw error
            }
        }
    }

    func changes(request: Request, context: GatewayRequestContext) async throws -> Response {
        let parsed = try ChangesRequest(request: request, maxSelectors: maxSelectors)
        let access = try await authenticator.access(for: request)
        let grant = try access.grant(for: parsed.selectors)
        let reader = self.reader
        let slot = parsed.wait == nil ? nil : try limiter?.acquire(identity: access.identity)
        defer { slot?.release() }
        // Registered before the first read, so an event committed in between still wakes the wait.
        let waiter = parsed.wait.map { _ in
            let wake = ChangesWake(eventLoop: context.channel.eventLoop)
            return (wake, hub.subscribe(grant: grant, capacity: 1, expiresAt: nil, sink: wake).subscriber)
        }
        defer { if let waiter { hub.unsubscribe(waiter.1) } }
        let deadline = parsed.wait.map { ContinuousClock.now + $0 }
        // Each pass reads the log; without `wait`, or at the deadline, the page is the answer.
        while true {
            let readAt = ContinuousClock.now
            let page = try await DatabaseCall.run(field: "topic", logger: context.logger) {
                try await Self.page(for: parsed, grant: grant, reader: reader)
            }
            let etag = page.etag(request: parsed, grant: grant)
            let notModified = parsed.isNotModified(etag: etag)
            if !page.changes.isEmpty && !notModified { return Self.response(page, etag: etag, notModified: false) }
            guard await Self.wake(waiter, before: deadline) else {
                return Self.response(page, etag: etag, notModified: notModified)
            }
            if let deadline { try? await Task.sleep(until: min(readAt + minimumReread, deadline)) }
        }
    }

    private static func page(for request: ChangesRequest, grant: Grant, reader: ChangesReader) async throws -> ChangesPage {
        var after = request.after ?? 0
        var reset: RetentionState?
        if let requested = request.after {
            let state = try await reader.log.retentionState()
            if state.requiresReset(after: requested) {
                reset = state
                after = state.resumePoint(after: requested)
            }
        }
        let (changes, next) = try await reader.read(after: after, grant: grant, limit: request.limit)
        if reset == nil, request.after != nil {
            // Pruning that ran past `after` while the page was read may have taken events it missed.
            let state = try await reader.log.retentionState()
            if state.prunedThrough > after { reset = state }
        }
        return ChangesPage(changes: changes, next: next, reset: reset)
    }

    /// Waits until an event the grant delivers reaches the hub; false once the deadline passes
    /// or the gateway shuts down.
    private static func wake(_ waiter: (ChangesWake, Subscriber)?, before deadline: ContinuousClock.Instant?) async -> Bool {
        guard let (wake, subscriber) = waiter, let deadline else { return false }
        return await withTaskGroup(of: Bool.self) { group in
            group.addTask { await wake.next(subscriber) }
            group.addTask {
                try? await Task.sleep(until: deadline)
                return false
            }
            let woken = await group.next() ?? false
            group.cancelAll()
            return woken
        }
    }

    private static func response(_ page: ChangesPage, etag: String, notModified: Bool) -> Response {
        var headers: HTTPFields = [.eTag: etag, .cacheControl: "private, no-cache"]
        if notModified { return Response(status: .notModified, headers: headers) }
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: page.body()))
    }
}
