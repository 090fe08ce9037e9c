import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Testing
import TidingsCore
import TidingsPostgres
import TidingsTestSupport

@testable import TidingsServer

@Suite("Streams over TLS, HTTP/1.1 and HTTP/2", .timeLimit(.minutes(1)))
struct StreamOverTLSTests {
    @Test("curl -N over TLS receives an insert in the documented format")
    func curlReceivesInsert() async throws {
        let certificate = try TestCertificate()
        let tls = TLSFiles(certificate: certificate.files.certificate, key: certificate.files.key)
        try await TestDatabase.with("curl", tls: tls) { database, config in
            try await LiveGateway.with(config) { live in
                let client = try HTTPClient.make(trusting: certificate.certificate.certificatePEM)
                defer { client.shutdown { _ in } }
                try await live.waitUntilReady(client: client)

                let curl = try CurlProcess(arguments: [
                    "-N", "-s", "--http1.1", "--cacert", certificate.files.certificate,
                    "\(live.baseURL)/events?topic=items/**",
                ])
                defer { curl.terminate() }
                var lines = curl.lines.makeAsyncIterator()
                #expect(await lines.next() == "retry: 2000")
                #expect(await lines.next() == "")

                try await database.insert(42, group: 7, note: "hello")
                let idLine = try #require(await lines.next())
                #expect(idLine.hasPrefix("id: "))
                #expect(await lines.next() == "event: items.insert")
                let dataLine = try #require(await lines.next())
                #expect(await lines.next() == "")
                #expect(dataLine.hasPrefix("data: {"))
                let json = try #require(
                    try JSONSerialization.jsonObject(with: Data(dataLine.dropFirst(6).utf8)) as? [String: Any]
                )
                #expect("\(json["id"] ?? "")" == idLine.dropFirst(4).description)
                #expect(json["topics"] as? [String] == ["items/42", "groups/7/items"])
                #expect(json["table"] as? String == "public.items")
                #expect(json["op"] as? String == "insert")
                let row = try #require(json["new"] as? [String: Any])
                #expect(row["note"] as? String == "hello")
                #expect(row["group_id"] as? Int == 7)
                let at = try #require(json["at"] as? String)
                #expect(at.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z/) != nil)
            }
        }
    }

    @Test("an HTTP/2 client negotiates h2 by ALPN and gets the same events as HTTP/1.1")
    func http2GetsTheSameStream() async throws {
        let certificate = try TestCertificate()
        let tls = TLSFiles(certificate: certificate.files.certificate, key: certificate.files.key)
        try await TestDatabase.with("h2", tls: tls) { database, config in
            try await LiveGateway.with(config) { live in
                let h2 = try HTTPClient.make(trusting: certificate.certificate.certificatePEM)
                let h1 = try HTTPClient.make(trusting: certificate.certificate.certificatePEM, http1Only: true)
                defer {
                    h2.shutdown { _ in }
                    h1.shutdown { _ in }
                }
                try await live.waitUntilReady(client: h1)
                let (response2, messages2) = try await openStream(h2, "\(live.baseURL)/events?topic=groups/3/**")
                let (response1, messages1) = try await openStream(h1, "\(live.baseURL)/events?topic=groups/3/**")
                #expect(response2.version == .http2)
                #expect(response1.version == .http1_1)
                for response in [response1, response2] {
                    #expect(response.status == .ok)
                    #expect(response.headers["content-type"].first == "text/event-stream")
                    #expect(response.headers["cache-control"].first == "no-store")
                    #expect(response.headers["x-accel-buffering"].first == "no")
                }
                var iterators = [messages1, messages2]
                for index in iterators.indices { #expect(try await iterators[index].next() == .retry(2000)) }
                try await database.insert(1, group: 3)
                try await database.insert(2, group: 4)
                try await database.insert(3, group: 3)
                var received: [[String]] = []
                for index in iterators.indices {
                    var events: [String] = []
                    for _ in 0..<2 {
                        let event = try #require(try await iterators[index].nextEvent())
                        events.append("\(event.id ?? "") \(event.name ?? "") \(event.data)")
                    }
                    received.append(events)
                }
                #expect(received[0] == received[1])
                #expect(received[0].count == 2)
            }
        }
    }
}
