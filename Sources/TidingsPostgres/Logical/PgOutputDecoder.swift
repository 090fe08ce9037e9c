package import NIOCore

/// Decodes `pgoutput` messages (protocol version 1) from the bytes of an XLogData payload.
/// Pure: no socket, so every message kind is tested from byte fixtures.
package enum PgOutputDecoder {
    /// - Throws: ``LogicalCaptureError`` when the bytes are not a message this version defines.
    package static func decode(_ bytes: ByteBuffer) throws(LogicalCaptureError) -> PgOutputMessage {
        var buffer = bytes
        guard let kind = buffer.readInteger(as: UInt8.self) else { throw malformed("an empty message") }
        switch kind {
        case UInt8(ascii: "B"):
            let lsn = try read(UInt64.self, &buffer)
            let time = try read(Int64.self, &buffer)
            let xid = try read(UInt32.self, &buffer)
            return .begin(.init(finalLSN: LSN(lsn), commitTime: time, xid: xid))
        case UInt8(ascii: "C"):
            _ = try read(UInt8.self, &buffer)
            let commit = try read(UInt64.self, &buffer)
            let end = try read(UInt64.self, &buffer)
            let time = try read(Int64.self, &buffer)
            return .commit(.init(commitLSN: LSN(commit), endLSN: LSN(end), commitTime: time))
        case UInt8(ascii: "O"):
            _ = try read(UInt64.self, &buffer)
            return .origin(name: try string(&buffer))
        case UInt8(ascii: "R"):
            return .relation(try relation(&buffer))
        case UInt8(ascii: "Y"):
            let oid = try read(UInt32.self, &buffer)
            return .type(oid: oid, namespace: try string(&buffer), name: try string(&buffer))
        case UInt8(ascii: "I"):
            let relation = try read(UInt32.self, &buffer)
            guard try read(UInt8.self, &buffer) == UInt8(ascii: "N") else { throw malformed("an insert without its new row") }
            return .insert(relation: relation, new: try tuple(&buffer))
        case UInt8(ascii: "U"):
            let relation = try read(UInt32.self, &buffer)
            var marker = try read(UInt8.self, &buffer)
            var old: [PgOutputMessage.TupleValue]?
            let keyOnly = marker == UInt8(ascii: "K")
            if marker == UInt8(ascii: "K") || marker == UInt8(ascii: "O") {
                old = try tuple(&buffer)
                marker = try read(UInt8.self, &buffer)
            }
            guard marker == UInt8(ascii: "N") else { throw malformed("an update without its new row") }
            return .update(relation: relation, old: old, oldIsKeyOnly: keyOnly, new: try tuple(&buffer))
        case UInt8(ascii: "D"):
            let relation = try read(UInt32.self, &buffer)
            let marker = try read(UInt8.self, &buffer)
            guard marker == UInt8(ascii: "K") || marker == UInt8(ascii: "O") else { throw malformed("a delete without its old row") }
            return .delete(relation: relation, old: try tuple(&buffer), oldIsKeyOnly: marker == UInt8(ascii: "K"))
        case UInt8(ascii: "T"):
            let count = try read(UInt32.self, &buffer)
            let options = try read(UInt8.self, &buffer)
            var relations: [UInt32] = []
            for _ in 0..<count { relations.append(try read(UInt32.self, &buffer)) }
            return .truncate(relations: relations, cascade: options & 1 != 0, restartIdentity: options & 2 != 0)
        case UInt8(ascii: "M"):
            let flags = try read(UInt8.self, &buffer)
            let lsn = try read(UInt64.self, &buffer)
            let prefix = try string(&buffer)
            let length = try read(UInt32.self, &buffer)
            guard let content = buffer.readBytes(length: Int(length)) else { throw malformed("a message shorter than its length") }
            return .message(.init(transactional: flags & 1 != 0, lsn: LSN(lsn), prefix: prefix, content: content))
        default:
            throw malformed("an unknown message kind \(kind)")
        }
    }

    private static func relation(_ buffer: inout ByteBuffer) throws(LogicalCaptureError) -> PgOutputMessage.Relation {
        let oid = try read(UInt32.self, &buffer)
        let namespace = try string(&buffer)
        let name = try string(&buffer)
        let identity = try read(UInt8.self, &buffer)
        let count = try read(UInt16.self, &buffer)
        var columns: [PgOutputMessage.Relation.Column] = []
        columns.reserveCapacity(Int(count))
        for _ in 0..<count {
            let flags = try read(UInt8.self, &buffer)
            let column = try string(&buffer)
            let type = try read(UInt32.self, &buffer)
            _ = try read(Int32.self, &buffer)
            columns.append(.init(name: column, typeOID: type, isKey: flags & 1 != 0))
        }
        // pgoutput names pg_catalog with an empty namespace.
        return .init(
            oid: oid,
            namespace: namespace.isEmpty ? "pg_catalog" : namespace,
            name: name,
            replicaIdentity: identity,
            columns: columns
        )
    }

    private static func tuple(_ buffer: inout ByteBuffer) throws(LogicalCaptureError) -> [PgOutputMessage.TupleValue] {
        let count = try read(UInt16.self, &buffer)
        var values: [PgOutputMessage.TupleValue] = []
        values.reserveCapacity(Int(count))
        for _ in 0..<count {
            switch try read(UInt8.self, &buffer) {
            case UInt8(ascii: "n"): values.append(.null)
            case UInt8(ascii: "u"): values.append(.unchangedToast)
            case UInt8(ascii: "t"):
                let length = try read(UInt32.self, &buffer)
                guard let text = buffer.readString(length: Int(length)) else { throw malformed("a value shorter than its length") }
                values.append(.text(text))
            case let other:
                throw malformed("a column of unknown kind \(other)")
            }
        }
        return values
    }

    private static func string(_ buffer: inout ByteBuffer) throws(LogicalCaptureError) -> String {
        guard let end = buffer.readableBytesView.firstIndex(of: 0) else { throw malformed("a string without its terminator") }
        let text = buffer.readString(length: end - buffer.readerIndex) ?? ""
        buffer.moveReaderIndex(forwardBy: 1)
        return text
    }

    private static func read<T: FixedWidthInteger>(_: T.Type, _ buffer: inout ByteBuffer) throws(LogicalCaptureError) -> T {
        guard let value = buffer.readInteger(as: T.self) else { throw malformed("a message cut short") }
        return value
    }

    private static func malformed(_ what: String) -> LogicalCaptureError {
        LogicalCaptureError(.protocolViolation, "the replication stream sent \(what)")
    }
}
