import NIOCore

/// HTTP/1.1 chunked framing, done once per frame by the hub instead of once per stream by the
/// connection's encoder.
enum HTTPChunk {
    private static let allocator = ByteBufferAllocator()

    /// `frame` as one chunk: its length in hex, CRLF, the bytes, CRLF. Empty input gives an empty
    /// buffer: an empty chunk would end the response.
    static func framing(_ frame: ByteBuffer) -> ByteBuffer {
        guard frame.readableBytes > 0 else { return allocator.buffer(capacity: 0) }
        let size = String(frame.readableBytes, radix: 16)
        var chunk = allocator.buffer(capacity: size.utf8.count + frame.readableBytes + 4)
        chunk.writeString(size)
        chunk.writeStaticString("\r\n")
        chunk.writeImmutableBuffer(frame)
        chunk.writeStaticString("\r\n")
        return chunk
    }
}
