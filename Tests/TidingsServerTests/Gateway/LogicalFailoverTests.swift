import AsyncHTTPClient
import Foundation
import NIOHTTP1
import PostgresNIO
import Testing
import TidingsCore
import TidingsPostgres
import TidingsTestSupport

@Suite struct LogicalFailoverTests {
    /// How many gateways' capturers hold the capturer lock in `url`'s database.
    private func capturers(_ database: TestDatabase) async throws -> Int {
        let rows = try await database.connection.query(
            """
            SELECT count(*)::int8 FROM pg_locks AS l JOIN pg_stat_activity AS a ON a.pid = l.pid
            WHERE l.locktype = 'advisory' AND l.granted AND a.datname = current_database() AND a.application_name = 'tidings capturer'
            """,
            logger: LiveGateway.logger
        )
        for try await count in rows.decode(Int64.self) { return Int(count) }
        return 0
    }

    @Test(
        "two gateways, the capturer killed with SIGKILL during 3,000 transactions: the log holds each once in commit order, and a subscriber on the survivor gets each once",
        .timeLimit(.minutes(6))
    )
    func capturerKilledMidBurst() async throws {
        // Load-heavy: one such test at a time (see HeavyTestGate).
        await HeavyTestGate.shared.enter()
        defer { HeavyTestGate.shared.leave() }
        let total = 3_000
        let url = try await TestPostgres.freshDatabase("logical_failover", logicalCapture: true)
        var config = try TestConfig.make(database: url)
        config.capture = CaptureSettings(mode: .logical, slot: url.database)
        try await TestDatabase.connect(url) { try await $0.execute(TestConfig.createTable) }
        _ = try await Migrator(url: url, logger: LiveGateway.logger).migrate(config: config)
        let first = try LogicalGatewayProcess(database: url, slot: url.database)
        let second = try LogicalGatewayProcess(database: url, slot: url.database)
        let client = try HTTPClient.make()
        defer { client.shutdown { _ in } }
        do {
            try await TestDatabase.connect(url) { database in
                // The first gateway becomes the capturer before the second starts.
                try first.start()
                try await first.waitUntilReady(client)
                while try await capturers(database) == 0 { try await Task.sleep(for: .milliseconds(20)) }
                try second.start()
                try await second.waitUntilReady(client)
                var (response, stream) = try await openStream(client, second.baseURL + "/events?topic=items/**")
                #expect(response.status == .ok)
                guard case .retry = try await stream.next() else { throw TestFailure("the stream did not start with retry:") }
                for id in 1...total {
                    try await database.insert(id)
                    if id == total / 3 { await first.kill() }
                }
                var received: [Int] = []
                var lastID: Int64 = 0
                while received.count < total, let event = try await stream.nextEvent() {
                    let id = Int64(event.id ?? "") ?? -1
                    #expect(id > lastID, "ids on one stream only grow")
                    lastID = id
                    let object = try JSONSerialization.jsonObject(with: Data(event.data.utf8)) as? [String: Any]
                    received.append(((object?["new"] as? [String: Any])?["id"] as? NSNumber)?.intValue ?? -1)
                }
                #expect(received == Array(1...total))
                let rows = try await database.connection.query(
                    """
                    SELECT count(*)::int8,
                        (array_agg((data->'new'->>'id')::int ORDER BY id) = ARRAY(SELECT generate_series(1, \(total)::int)))
                    FROM tidings.changes
                    """,
                    logger: LiveGateway.logger
                )
                for try await (count, inOrder) in rows.decode((Int64, Bool).self) {
                    #expect(count == Int64(total))
                    #expect(inOrder)
                }
            }
        } catch {
            await first.stop()
            await second.stop()
            print("LogicalFailoverTests: the killed gateway's log ends\n\(first.logTail())")
            print("LogicalFailoverTests: the survivor's log ends\n\(second.logTail())")
            throw error
        }
        await first.stop()
        await second.stop()
    }
}
