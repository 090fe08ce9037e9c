import NIOCore
import Testing
import TidingsPostgres

@Suite struct PgOutputDecoderTests {
    private func bytes(_ build: (inout ByteBuffer) -> Void) -> ByteBuffer {
        var buffer = ByteBuffer()
        build(&buffer)
        return buffer
    }

    private func string(_ text: String, _ buffer: inout ByteBuffer) {
        buffer.writeString(text)
        buffer.writeInteger(UInt8(0))
    }

    @Test("Begin and Commit carry the commit LSNs, time and transaction id")
    func beginCommit() throws {
        let begin = bytes {
            $0.writeInteger(UInt8(ascii: "B"))
            $0.writeInteger(UInt64(0x1_0000_0200))
            $0.writeInteger(Int64(123_456))
            $0.writeInteger(UInt32(777))
        }
        #expect(try PgOutputDecoder.decode(begin) == .begin(.init(finalLSN: LSN(0x1_0000_0200), commitTime: 123_456, xid: 777)))
        let commit = bytes {
            $0.writeInteger(UInt8(ascii: "C"))
            $0.writeInteger(UInt8(0))
            $0.writeInteger(UInt64(0x200))
            $0.writeInteger(UInt64(0x260))
            $0.writeInteger(Int64(99))
        }
        #expect(try PgOutputDecoder.decode(commit) == .commit(.init(commitLSN: LSN(0x200), endLSN: LSN(0x260), commitTime: 99)))
        #expect(LSN(0x1_0000_0200).description == "1/200")
        #expect(LSN("1/200") == LSN(0x1_0000_0200))
    }

    @Test("Relation names its columns, their types and which are the key; pg_catalog comes as an empty namespace")
    func relation() throws {
        let message = bytes {
            $0.writeInteger(UInt8(ascii: "R"))
            $0.writeInteger(UInt32(16_400))
            string("public", &$0)
            string("orders", &$0)
            $0.writeInteger(UInt8(ascii: "d"))
            $0.writeInteger(UInt16(2))
            $0.writeInteger(UInt8(1))
            string("id", &$0)
            $0.writeInteger(UInt32(20))
            $0.writeInteger(Int32(-1))
            $0.writeInteger(UInt8(0))
            string("note", &$0)
            $0.writeInteger(UInt32(25))
            $0.writeInteger(Int32(-1))
        }
        let expected = PgOutputMessage.Relation(
            oid: 16_400,
            namespace: "public",
            name: "orders",
            replicaIdentity: UInt8(ascii: "d"),
            columns: [.init(name: "id", typeOID: 20, isKey: true), .init(name: "note", typeOID: 25, isKey: false)]
        )
        #expect(try PgOutputDecoder.decode(message) == .relation(expected))
    }

    private func tuple(_ buffer: inout ByteBuffer) {
        buffer.writeInteger(UInt16(3))
        buffer.writeInteger(UInt8(ascii: "t"))
        buffer.writeInteger(UInt32(2))
        buffer.writeString("42")
        buffer.writeInteger(UInt8(ascii: "n"))
        buffer.writeInteger(UInt8(ascii: "u"))
    }

    @Test("Insert, Update (with and without an old row) and Delete decode text, null and unchanged TOAST values")
    func rowChanges() throws {
        let values: [PgOutputMessage.TupleValue] = [.text("42"), .null, .unchangedToast]
        let insert = bytes {
            $0.writeInteger(UInt8(ascii: "I"))
            $0.writeInteger(UInt32(5))
            $0.writeInteger(UInt8(ascii: "N"))
            tuple(&$0)
        }
        #expect(try PgOutputDecoder.decode(insert) == .insert(relation: 5, new: values))
        let update = bytes {
            $0.writeInteger(UInt8(ascii: "U"))
            $0.writeInteger(UInt32(5))
            $0.writeInteger(UInt8(ascii: "N"))
            tuple(&$0)
        }
        #expect(try PgOutputDecoder.decode(update) == .update(relation: 5, old: nil, oldIsKeyOnly: false, new: values))
        let keyed = bytes {
            $0.writeInteger(UInt8(ascii: "U"))
            $0.writeInteger(UInt32(5))
            $0.writeInteger(UInt8(ascii: "K"))
            tuple(&$0)
            $0.writeInteger(UInt8(ascii: "N"))
            tuple(&$0)
        }
        #expect(try PgOutputDecoder.decode(keyed) == .update(relation: 5, old: values, oldIsKeyOnly: true, new: values))
        let delete = bytes {
            $0.writeInteger(UInt8(ascii: "D"))
            $0.writeInteger(UInt32(5))
            $0.writeInteger(UInt8(ascii: "O"))
            tuple(&$0)
        }
        #expect(try PgOutputDecoder.decode(delete) == .delete(relation: 5, old: values, oldIsKeyOnly: false))
    }

    @Test("Truncate, Message, Type and Origin decode")
    func otherMessages() throws {
        let truncate = bytes {
            $0.writeInteger(UInt8(ascii: "T"))
            $0.writeInteger(UInt32(2))
            $0.writeInteger(UInt8(3))
            $0.writeInteger(UInt32(7))
            $0.writeInteger(UInt32(8))
        }
        #expect(try PgOutputDecoder.decode(truncate) == .truncate(relations: [7, 8], cascade: true, restartIdentity: true))
        let message = bytes {
            $0.writeInteger(UInt8(ascii: "M"))
            $0.writeInteger(UInt8(1))
            $0.writeInteger(UInt64(0x300))
            string("tidings", &$0)
            $0.writeInteger(UInt32(3))
            $0.writeString("a\nb")
        }
        #expect(
            try PgOutputDecoder.decode(message)
                == .message(.init(transactional: true, lsn: LSN(0x300), prefix: "tidings", content: Array("a\nb".utf8)))
        )
        let type = bytes {
            $0.writeInteger(UInt8(ascii: "Y"))
            $0.writeInteger(UInt32(16_500))
            string("public", &$0)
            string("mood", &$0)
        }
        #expect(try PgOutputDecoder.decode(type) == .type(oid: 16_500, namespace: "public", name: "mood"))
        let origin = bytes {
            $0.writeInteger(UInt8(ascii: "O"))
            $0.writeInteger(UInt64(1))
            string("node_a", &$0)
        }
        #expect(try PgOutputDecoder.decode(origin) == .origin(name: "node_a"))
    }

    @Test("a message cut short, or of an unknown kind, is a protocol violation, not a crash")
    func malformed() {
        for broken in [ByteBuffer(), ByteBuffer(bytes: [UInt8(ascii: "B"), 1, 2]), ByteBuffer(bytes: [UInt8(ascii: "Z")])] {
            #expect(throws: LogicalCaptureError.self) { try PgOutputDecoder.decode(broken) }
        }
    }

    @Test("XLogData and keepalives parse; a status update confirms one position three times")
    func replicationMessages() throws {
        let data = bytes {
            $0.writeInteger(UInt8(ascii: "w"))
            $0.writeInteger(UInt64(0x10))
            $0.writeInteger(UInt64(0x20))
            $0.writeInteger(Int64(0))
            $0.writeInteger(UInt8(ascii: "B"))
        }
        #expect(
            try ReplicationMessage.parse(data)
                == .xLogData(start: LSN(0x10), end: LSN(0x20), payload: ByteBuffer(bytes: [UInt8(ascii: "B")]))
        )
        let keepalive = bytes {
            $0.writeInteger(UInt8(ascii: "k"))
            $0.writeInteger(UInt64(0x30))
            $0.writeInteger(Int64(0))
            $0.writeInteger(UInt8(1))
        }
        #expect(try ReplicationMessage.parse(keepalive) == .keepalive(end: LSN(0x30), replyRequested: true))
        let update = ReplicationMessage.statusUpdate(confirmed: LSN(0x40), now: 5)
        #expect(update.count == 34)
        #expect(update.first == UInt8(ascii: "r"))
        #expect(Array(update[1...8]) == [0, 0, 0, 0, 0, 0, 0, 0x40])
        #expect(Array(update[17...24]) == [0, 0, 0, 0, 0, 0, 0, 0x40])
    }

    @Test("record and array literals quote every value so its bytes reach the input function unchanged")
    func literals() {
        #expect(PostgresLiteral.record(["1", nil, "a \"b\" \\c", ""]) == #"("1",,"a \"b\" \\c","")"#)
        #expect(PostgresLiteral.array(["x,y", nil, "{z}"]) == #"{"x,y",NULL,"{z}"}"#)
    }
}
