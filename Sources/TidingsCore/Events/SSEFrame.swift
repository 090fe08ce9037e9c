public import NIOCore

/// The bytes of Server-Sent Events, built once per event and shared by every stream.
///
/// Event names and ids never contain line breaks (the change log refuses them), and `data` is
/// one line of JSON, so one `data:` line carries it whole.
public enum SSEFrame {
    /// `id: N\nevent: NAME\ndata: JSON\n\n`; without an id for channel events and control events.
    public static func event(id: Int64?, name: String, data: ByteBuffer, allocator: ByteBufferAllocator = .init()) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: data.readableBytes + name.utf8.count + 40)
        if let id {
            buffer.writeStaticString("id: ")
            buffer.writeString(String(id))
            buffer.writeStaticString("\n")
        }
        buffer.writeStaticString("event: ")
        buffer.writeString(name)
        buffer.writeStaticString("\ndata: ")
        buffer.writeImmutableBuffer(data)
        buffer.writeStaticString("\n\n")
        return buffer
    }

    /// The frame of a change-log event.
    public static func event(for change: Change, allocator: ByteBufferAllocator = .init()) -> ByteBuffer {
        event(id: change.id, name: change.event, data: change.data, allocator: allocator)
    }

    /// `retry: MS\n\n`: the reconnection delay a client should use, sent first on every stream.
    public static func retry(_ delay: Duration) -> ByteBuffer {
        let milliseconds = delay.components.seconds * 1000 + delay.components.attoseconds / 1_000_000_000_000_000
        return ByteBuffer(string: "retry: \(milliseconds)\n\n")
    }

    /// A comment line that keeps proxies and clients from timing out an idle stream.
    public static let heartbeat = ByteBuffer(string: ": heartbeat\n\n")

    /// `event: tidings.expired`: the token ran out; the client must get a new one to resume.
    public static let expired = event(id: nil, name: "tidings.expired", data: ByteBuffer(string: #"{"reason":"token expired"}"#))

    /// `event: tidings.reset`: events after `after` were pruned; the client must refetch its state.
    public static func reset(after: Int64, oldest: Int64) -> ByteBuffer {
        event(id: nil, name: "tidings.reset", data: ByteBuffer(string: #"{"after":\#(after),"oldest":\#(oldest)}"#))
    }
}
