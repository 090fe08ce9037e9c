import HummingbirdCore
import NIOCore

/// Runs each HTTP/1.1 request in a task of its own, so that the connection's task stays shallow.
///
/// Hummingbird runs a connection's requests one after another in the connection's task, and a
/// task keeps the memory its deepest call needed until it ends. The connection task of an
/// HTTP/1.1 stream lives as long as the stream, so the routing, authorization and middleware of
/// the request that opened it would cost every idle stream that memory (about 16 KiB). Here they
/// run in a request task that ends once the stream is open (``StreamResponseGate``), while the
/// connection's task only waits for it. Cancelling the connection's task cancels the request's;
/// task-local values (the logger, the graceful shutdown) are inherited.
///
/// An HTTP/2 stream's channel is already one request's: its task runs the request itself.
enum RequestTask {
    static func wrapping(_ responder: @escaping HTTPChannelHandler.Responder) -> HTTPChannelHandler.Responder {
        { request, writer, channel in
            // An HTTP/2 stream's channel is a child of its connection's, itself the server's child.
            if channel.parent?.parent != nil {
                try await responder(request, writer, channel)
                return
            }
            let handOver = WriterHandOver(writer)
            let task = Task { try await responder(request, handOver.take(), channel) }
            try await withTaskCancellationHandler {
                try await task.value
            } onCancel: {
                task.cancel()
            }
        }
    }

    /// Carries a request's response writer from the connection's task to the request's.
    ///
    /// `@unchecked Sendable`: written once before the request task starts, taken once by it.
    private final class WriterHandOver: @unchecked Sendable {
        private var writer: ResponseWriter?

        init(_ writer: consuming ResponseWriter) {
            self.writer = consume writer
        }

        func take() -> ResponseWriter {
            guard let writer = writer.take() else { preconditionFailure("a response writer is taken once") }
            return writer
        }
    }
}
