package import NIOCore

/// The streaming replication protocol's own messages inside CopyBoth: the server's XLogData and
/// keepalives, and the standby status update the client sends back.
package enum ReplicationMessage: Sendable, Equatable {
    /// WAL data: `payload` is one `pgoutput` message.
    case xLogData(start: LSN, end: LSN, payload: ByteBuffer)
    /// `replyRequested`: the server wants a status update now (or it will time us out).
    case keepalive(end: LSN, replyRequested: Bool)

    /// - Throws: ``LogicalCaptureError`` for anything else.
    package static func parse(_ bytes: ByteBuffer) throws(LogicalCaptureError) -> ReplicationMessage {
        var buffer = bytes
        switch buffer.readInteger(as: UInt8.self) {
        case UInt8(ascii: "w"):
            guard let start = buffer.readInteger(as: UInt64.self), let end = buffer.readInteger(as: UInt64.self),
                buffer.readInteger(as: Int64.self) != nil
            else { break }
            return .xLogData(start: LSN(start), end: LSN(end), payload: buffer)
        case UInt8(ascii: "k"):
            guard let end = buffer.readInteger(as: UInt64.self), buffer.readInteger(as: Int64.self) != nil,
                let reply = buffer.readInteger(as: UInt8.self)
            else { break }
            return .keepalive(end: LSN(end), replyRequested: reply != 0)
        default:
            break
        }
        throw LogicalCaptureError(.protocolViolation, "the replication stream sent a message that is neither WAL data nor a keepalive")
    }

    /// A standby status update: written, flushed and applied all at `confirmed` (the slot may
    /// free WAL up to it), stamped with `now` in microseconds since 2000-01-01.
    package static func statusUpdate(confirmed: LSN, now: Int64, replyRequested: Bool = false) -> [UInt8] {
        var buffer = ByteBuffer()
        buffer.writeInteger(UInt8(ascii: "r"))
        for _ in 0..<3 { buffer.writeInteger(confirmed.value) }
        buffer.writeInteger(now)
        buffer.writeInteger(UInt8(replyRequested ? 1 : 0))
        return Array(buffer.readableBytesView)
    }
}
