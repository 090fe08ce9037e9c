import Crypto
import Foundation
import NIOCore
import PostgresNIO
import TidingsCore

/// Reads the copy of an event that its NOTIFY wake-up carries
/// (`Migrations/0003_events_on_the_wake_up.sql`), so the feed can hand it on without reading the log.
///
/// The copies go to a channel named from the key (``channel``), not to `tidings`: any role may
/// LISTEN to that one, so it stays an empty wake-up. The message is `<tag>\n<header>\n<data>`:
/// the header is the JSON array `[id, commit time in Unix seconds, event, topics]`, the data the
/// event's JSON as `tidings.changes` stores it, and the tag
/// `hex(sha256(key ‖ sha256(key ‖ <header>\n<data>)))` with the key of `tidings.wake_up_key`.
/// Any role that may connect can NOTIFY any channel; only the database's own function knows the
/// key. An empty wake-up, a message from before that migration, a wrong tag or anything that does
/// not parse is no copy; the feed then reads the log, which holds every event whatever its size.
struct CarriedChange: Sendable {
    /// The key of `tidings.wake_up_key`.
    let key: [UInt8]

    /// The change the wake-up `message` carries, or `nil` when it carries none it can prove.
    func parse(_ message: String) -> Change? {
        let utf8 = message.utf8
        guard let tagEnd = utf8.firstIndex(of: UInt8(ascii: "\n")) else { return nil }
        let body = utf8[utf8.index(after: tagEnd)...]
        guard Self.constantTimeEqual(Array(utf8[..<tagEnd]), tag(of: body)) else { return nil }
        guard let newline = body.firstIndex(of: UInt8(ascii: "\n")) else { return nil }
        let data = body[body.index(after: newline)...]
        guard !data.isEmpty, let header = try? JSONDecoder().decode(Header.self, from: Data(body[..<newline])) else {
            return nil
        }
        // Rows whose topics do not parse are skipped by a read of the log, too (``ChangeLogQuery/decode(_:)``).
        let topics = header.topics.compactMap { try? Topic(logged: $0) }
        return Change(id: header.id, topics: topics, event: header.event, data: ByteBuffer(bytes: data), committedAt: header.at)
    }

    /// The channel the copies go to: `tidings_` and the first 32 hex digits of
    /// `sha256(key ‖ "channel")`. `tidings` itself only wakes: any role may LISTEN to it, and only
    /// a role that can read the key can name this one.
    var channel: String {
        let hex = Self.hex(SHA256.hash(data: key + Array("channel".utf8)))
        return "tidings_" + String(decoding: hex.prefix(32), as: UTF8.self)
    }

    /// The tag the database's function puts before `body`, as lowercase hex bytes.
    func tag(of body: some Sequence<UInt8>) -> [UInt8] {
        let inner = SHA256.hash(data: key + Array(body))
        return Self.hex(SHA256.hash(data: key + Array(inner)))
    }

    private static func hex(_ digest: SHA256.Digest) -> [UInt8] {
        digest.flatMap { [hexDigits[Int($0 >> 4)], hexDigits[Int($0 & 0x0f)]] }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    private static func constantTimeEqual(_ left: [UInt8], _ right: [UInt8]) -> Bool {
        guard left.count == right.count else { return false }
        return zip(left, right).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }

    /// The key, or `nil` where the table is missing (the migration has not run) or the gateway's
    /// role may not read it: then every wake-up is a signal to read the log.
    static let keyQuery: PostgresQuery = "SELECT key FROM tidings.wake_up_key LIMIT 1"

    private struct Header: Decodable {
        let id: Int64
        let at: Double
        let event: String
        let topics: [String]

        init(from decoder: any Decoder) throws {
            var fields = try decoder.unkeyedContainer()
            id = try fields.decode(Int64.self)
            at = try fields.decode(Double.self)
            event = try fields.decode(String.self)
            topics = try fields.decode([String].self)
        }
    }
}
