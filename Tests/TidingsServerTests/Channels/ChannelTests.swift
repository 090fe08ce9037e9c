import AsyncHTTPClient
import Foundation
import Logging
import NIOHTTP1
import PostgresNIO
import Testing
import TidingsCore
import TidingsTestSupport

@testable import TidingsServer

@Suite("channel: topics forward plain NOTIFY payloads live", .timeLimit(.minutes(3)))
struct ChannelTests {
    @Test("a payload reaches only the subscribers of its templated topic, with the channel's name and no id")
    func payloadReachesMatchingSubscribers() async throws {
        let client = try HTTPClient.make()
        defer { client.shutdown { _ in } }
        let log = CapturedLog()
        try await TestDatabase.with("channel_match") { database, config in
            let config = try Self.withAlerts(config)
            try await LiveGateway.with(config, logger: log.logger(level: .info)) { live in
                var (_, high) = try await openStream(client, "\(live.baseURL)/events?topic=alerts/high")
                var (_, all) = try await openStream(client, "\(live.baseURL)/events?topic=alerts/*")
                #expect(try await high.next() == .retry(2000))
                #expect(try await all.next() == .retry(2000))
                try await Self.waitForListener(log)
                try await database.execute(#"NOTIFY alerts, '{"severity":"low","text":"disk 70%"}'"#)
                try await database.execute(#"NOTIFY alerts, '{"severity":"high","text":"disk 99%"}'"#)

                let first = try #require(try await all.nextEvent())
                let second = try #require(try await all.nextEvent())
                #expect(first.name == "alerts" && first.id == nil)
                #expect(first.data == #"{"severity":"low","text":"disk 70%"}"#)
                #expect(second.data == #"{"severity":"high","text":"disk 99%"}"#)
                let onlyHigh = try #require(try await high.nextEvent())
                #expect(onlyHigh.data == second.data)
                #expect(onlyHigh.id == nil)
            }
        }
    }

    @Test("payloads that are not JSON or lack a template field are dropped and logged once per channel per minute")
    func badPayloadsAreDropped() async throws {
        let client = try HTTPClient.make()
        defer { client.shutdown { _ in } }
        let log = CapturedLog()
        try await TestDatabase.with("channel_drop") { database, config in
            let config = try Self.withAlerts(config)
            try await LiveGateway.with(config, logger: log.logger(level: .info)) { live in
                var (_, stream) = try await openStream(client, "\(live.baseURL)/events?topic=alerts/**")
                #expect(try await stream.next() == .retry(2000))
                try await Self.waitForListener(log)
                try await database.execute("NOTIFY alerts, 'not json at all'")
                try await database.execute(#"NOTIFY alerts, '{"text":"no severity"}'"#)
                try await database.execute(#"NOTIFY alerts, '{"severity":"high","text":"after the bad ones"}'"#)
                let event = try #require(try await stream.nextEvent())
                #expect(event.data.contains("after the bad ones"))
                let drops = log.snapshot.filter { $0.contains("channel payload dropped") }
                #expect(drops.count == 1)
                #expect(drops.first?.contains("not a JSON object") == true)
            }
        }
    }

    static func withAlerts(_ config: TidingsConfig) throws -> TidingsConfig {
        var config = try config.with(public: ["alerts/**"])
        config.topics.append(.channel(ChannelSource(channel: "alerts", topics: [try TopicTemplate(parsing: "alerts/{severity}")])))
        return config
    }

    /// Waits until the gateway's channel listener says its LISTEN has completed: a NOTIFY sent
    /// before that is not delivered to it.
    static func waitForListener(_ log: CapturedLog) async throws {
        _ = try await log.firstLine(containing: "channel listener listening")
    }
}
