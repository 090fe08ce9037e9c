import HTTPTypes
import HummingbirdCore
import NIOCore
import NIOEmbedded
import NIOHTTPTypes
import Testing

@testable import TidingsServer

/// ``RequestTask``: the plumbing that keeps an HTTP/1.1 connection's task shallow. What it buys
/// (memory per idle stream) is measured by the benchmarks; what a client sees is covered by the
/// stream and connection suites.
@Suite("Each HTTP/1.1 request in a task of its own", .timeLimit(.minutes(1)))
struct RequestTaskTests {
    @TaskLocal static var marker = 0

    private static func call(_ responder: @escaping HTTPChannelHandler.Responder, on channel: any Channel) async throws {
        let head = HTTPRequest(method: .get, scheme: "http", authority: "127.0.0.1", path: "/events")
        let request = Request(head: head, body: RequestBody(buffer: ByteBuffer()))
        let (outbound, _) = NIOAsyncChannelOutboundWriter<HTTPResponsePart>.makeTestingWriter()
        try await responder(request, ResponseWriter(outbound: outbound), channel)
    }

    private static var currentTask: Int? { withUnsafeCurrentTask { $0?.hashValue } }

    @Test("the responder runs in a task other than the connection's, with the connection task's task-local values")
    func ownTask() async throws {
        let (tasks, continuation) = AsyncStream.makeStream(of: (task: Int?, marker: Int).self)
        let wrapped = RequestTask.wrapping { _, _, _ in continuation.yield((Self.currentTask, Self.marker)) }
        let connectionTask = Self.currentTask
        try await Self.$marker.withValue(7) { try await Self.call(wrapped, on: EmbeddedChannel()) }
        continuation.finish()
        var seen = tasks.makeAsyncIterator()
        let request = try #require(await seen.next())
        #expect(request.task != nil && request.task != connectionTask)
        #expect(request.marker == 7)
    }

    @Test("cancelling the connection's task cancels the request's")
    func cancellation() async throws {
        let (started, startedContinuation) = AsyncStream.makeStream(of: Void.self)
        let wrapped = RequestTask.wrapping { _, _, _ in
            startedContinuation.yield()
            // Cancelled from outside: the request never finishes on its own.
            try await Task.sleep(for: .seconds(600))
        }
        let connection = Task { try await Self.call(wrapped, on: EmbeddedChannel()) }
        var iterator = started.makeAsyncIterator()
        await iterator.next()
        connection.cancel()
        await #expect(throws: CancellationError.self) { try await connection.value }
    }
}
