import NIOCore
import TidingsCore
import TidingsPostgres

/// One answer of `GET /changes`: the events, where to continue, and whether the client must
/// refetch its state because retention pruned events it had not seen.
struct ChangesPage: Sendable {
    var changes: [Change]
    /// What the client passes as `after` next time; never below the `after` it sent.
    var next: Int64
    /// Set when the client's `after` predates the retention watermark.
    var reset: RetentionState?

    /// A strong entity tag: the last id and everything else that shapes the body, so equal
    /// tags mean byte-equal bodies.
    func etag(request: ChangesRequest, grant: Grant) -> String {
        var identity = "\(request.after.map(String.init) ?? "-")|\(request.limit)|\(reset.map { "\($0.oldest)" } ?? "")"
        identity += "|" + grant.requested.map(\.description).sorted().joined(separator: ",")
        identity += "|" + grant.granted.map(\.description).sorted().joined(separator: ",")
        return "\"\(next)-\(StableHash.hex(identity))\""
    }

    /// `{"events":[{"id":N,"event":"…","data":{…}}],"next":N}`, plus `"reset":true,"oldest":O`
    /// after pruning; `data` is the log's JSON exactly as a stream carries it.
    func body() -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(changes.reduce(64) { $0 + $1.data.readableBytes + $1.event.utf8.count + 40 })
        buffer.writeStaticString(#"{"events":["#)
        for (index, change) in changes.enumerated() {
            if index > 0 { buffer.writeStaticString(",") }
            buffer.writeStaticString(#"{"id":"#)
            buffer.writeString(String(change.id))
            buffer.writeStaticString(#","event":"#)
            JSONText.writeString(change.event, into: &buffer)
            buffer.writeStaticString(#","data":"#)
            buffer.writeImmutableBuffer(change.data)
            buffer.writeStaticString("}")
        }
        buffer.writeStaticString(#"],"next":"#)
        buffer.writeString(String(next))
        if let reset {
            buffer.writeStaticString(#","reset":true,"oldest":"#)
            buffer.writeString(String(reset.oldest))
        }
        buffer.writeStaticString("}")
        return buffer
    }
}
