import HTTPTypes
import Hummingbird
import NIOCore

/// The body writer of a writer task a stream on its event loop starts again to replay a gap from
/// the log (``StreamDriver/resumeWriter()``): Hummingbird's writer ended with the request's task,
/// so this one writes through the stream's ``DirectOutput``, waiting until the socket took each
/// write as Hummingbird's does.
struct DirectBodyWriter: ResponseBodyWriter {
    let output: DirectOutput

    mutating func write(_ buffer: ByteBuffer) async throws {
        try await output.write(contentsOf: CollectionOfOne(buffer)).get()
    }

    mutating func write(contentsOf buffers: some Sequence<ByteBuffer>) async throws {
        try await output.write(contentsOf: buffers).get()
    }

    /// Does nothing: the stream's ``StreamDriver/finish(_:)`` ends the response.
    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
}
