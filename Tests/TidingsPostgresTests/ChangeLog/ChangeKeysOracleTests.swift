import Foundation
import PostgresNIO
import Testing
import TidingsCore
import TidingsTestSupport

/// The topic keys written for every logged event, checked against `tidings.change_key_set`
/// (0004), the function the retention pruner deletes keys by: an event whose keys differ would be
/// missed by a topic-filtered read or leave keys behind when pruned. Events go through both
/// writers of the log, which write the keys themselves (0009): `tidings.log_change` (triggers
/// mode, one event per statement) and `tidings.log_events` (logical mode, many events per
/// statement, keys computed in SQL).
@Suite("Topic keys of logged events", .timeLimit(.minutes(2)))
struct ChangeKeysOracleTests {
    /// One event of the corpus: topics, old topics (a move) and op.
    private struct Event: Encodable {
        var topics: [String]
        var oldTopics: [String]?
        var event: String
        var tbl: String
        var op: String
        var payload: [String: String] = ["k": "v"]
        var at = "2026-01-01T00:00:00Z"

        enum CodingKeys: String, CodingKey {
            case topics, event, tbl, op, payload, at
            case oldTopics = "old_topics"
        }
    }

    private static let segments = [
        "orders", "a", "b", "42", "", "été", "日本語", "🙂", "%2F", "customers", "x y", "**", "*", "ß",
    ]

    private static func topic(_ rng: inout SplitMix64) -> String {
        switch rng.next() % 6 {
        case 0: return segments.randomElement(using: &rng)!  // single segment, possibly empty
        case 1: return String(repeating: "/", count: Int(rng.next() % 4) + 1)  // '/' only
        default:
            let count = Int(rng.next() % 6) + 1
            var text = (0..<count).map { _ in segments.randomElement(using: &rng)! }.joined(separator: "/")
            if rng.next() % 5 == 0 { text = "/" + text }
            if rng.next() % 5 == 0 { text += "/" }
            if rng.next() % 5 == 0 { text = text.replacingOccurrences(of: "/", with: "//") }
            return text
        }
    }

    private static func topics(_ rng: inout SplitMix64, atLeast minimum: Int) -> [String] {
        var list = (0..<(Int(rng.next() % 4) + minimum)).map { _ in topic(&rng) }
        if !list.isEmpty, rng.next() % 4 == 0 { list.append(list.randomElement(using: &rng)!) }  // a repeat
        return list
    }

    private static func event(_ rng: inout SplitMix64) -> Event {
        switch rng.next() % 8 {
        case 0:
            let selectors = ["things/*", "**", "things/**", "t/é/*"].shuffled(using: &rng)
            let topics = Array(selectors.prefix(Int(rng.next() % 3) + 1))
            return Event(topics: topics, event: "things.truncate", tbl: "public.things", op: "truncate")
        case 1, 2:
            // A move: new topics (possibly none) and old topics, sometimes sharing keys.
            let new = topics(&rng, atLeast: rng.next() % 3 == 0 ? 0 : 1)
            var old = topics(&rng, atLeast: 1)
            if let shared = new.first, rng.next() % 2 == 0 { old.append(shared) }
            return Event(topics: new, oldTopics: old, event: "things.update", tbl: "public.things", op: "update")
        default:
            let op = ["insert", "update", "delete"].randomElement(using: &rng)!
            return Event(topics: topics(&rng, atLeast: 1), event: "things." + op, tbl: "public.things", op: op)
        }
    }

    @Test("the keys written for every event logged through log_change and log_events equal tidings.change_key_set of its topics")
    func keysMatchTheOracle() async throws {
        let seed = ProcessInfo.processInfo.environment["TIDINGS_KEYS_SEED"].flatMap(UInt64.init) ?? UInt64.random(in: 0...UInt64.max)
        print("ChangeKeysOracleTests seed: \(seed) (rerun with TIDINGS_KEYS_SEED=\(seed))")
        var rng = SplitMix64(seed: seed)
        let url = try await TestSupport.migratedDatabase("change_keys_oracle", setup: "SELECT 1", tables: [])
        let logged = try await TestSupport.withConnection(url) { connection in
            var logged = 0
            // Triggers mode: one log_change per event, a few events per transaction.
            for _ in 0..<40 {
                _ = try await connection.query("BEGIN", logger: TestSupport.logger)
                for _ in 0..<(Int(rng.next() % 4) + 1) {
                    let event = Self.event(&rng)
                    _ = try await connection.query(
                        """
                        SELECT tidings.log_change(\(event.topics), \(event.oldTopics), \(event.event), \(event.tbl),
                            \(event.op), '{"k": "v"}'::jsonb, NULL)
                        """,
                        logger: TestSupport.logger
                    )
                    logged += 1
                }
                _ = try await connection.query("COMMIT", logger: TestSupport.logger)
            }
            // Logical mode: batches of events, each batch one log_events statement.
            for _ in 0..<20 {
                let batch = (0..<(Int(rng.next() % 12) + 1)).map { _ in Self.event(&rng) }
                let json = String(decoding: try JSONEncoder().encode(batch), as: UTF8.self)
                _ = try await connection.query(
                    """
                    SELECT count(*) FROM tidings.log_events(
                        ARRAY(
                            SELECT ROW(e.topics, e.old_topics, e.event, e.tbl, e.op, e.payload, e.moved_old, e.problems, e.at, e.source)::tidings.captured_event
                            FROM jsonb_populate_recordset(NULL::tidings.captured_event, \(json)::jsonb)
                                WITH ORDINALITY AS e(topics, old_topics, event, tbl, op, payload, moved_old, problems, at, source, n)
                            ORDER BY e.n
                        ),
                        NULL, false
                    )
                    """,
                    logger: TestSupport.logger
                )
                logged += batch.filter { !$0.topics.isEmpty || !($0.oldTopics ?? []).isEmpty }.count
            }
            return logged
        }
        try await TestSupport.withConnection(url) { connection in
            let count = try await TestSupport.text("SELECT count(*)::text FROM tidings.changes", on: connection)
            #expect(count == String(logged), "seed \(seed)")
            let differences = try await TestSupport.texts(
                """
                SELECT format('id %s op %s topics %s old_topics %s: keys %s, change_key_set %s',
                    c.id, c.op, c.topics, c.old_topics, written.keys, oracle.keys)
                FROM tidings.changes AS c,
                    LATERAL (SELECT ARRAY(SELECT k.key FROM tidings.change_keys AS k WHERE k.id = c.id ORDER BY 1) AS keys) AS written,
                    LATERAL (SELECT ARRAY(
                        SELECT DISTINCT key FROM unnest(tidings.change_key_set(c.topics, c.old_topics, c.op)) AS key ORDER BY 1
                    ) AS keys) AS oracle
                WHERE written.keys IS DISTINCT FROM oracle.keys
                ORDER BY c.id
                """,
                on: connection
            )
            #expect(differences.isEmpty, "seed \(seed): \(differences.joined(separator: "\n"))")
            let strays = try await TestSupport.text(
                "SELECT count(*)::text FROM tidings.change_keys AS k WHERE NOT EXISTS (SELECT 1 FROM tidings.changes AS c WHERE c.id = k.id)",
                on: connection
            )
            #expect(strays == "0", "seed \(seed)")
        }
    }
}
