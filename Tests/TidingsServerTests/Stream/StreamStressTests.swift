import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import PostgresNIO
import Synchronization
import Testing
import TidingsCore
import TidingsTestSupport

@testable import TidingsServer

/// Subscribers over HTTP/1.1 and HTTP/2, plain and TLS, read slowly in random pieces with
/// random pauses (some long enough to be cut off, after which they resume with
/// `Last-Event-ID`) while transactions of random size write thousands of events: each one's ids,
/// across its resumes, are exactly the log's, in order.
///
/// The seed is printed; `TIDINGS_STRESS_SEED` replays a run, `TIDINGS_STRESS_SCALE` multiplies
/// its size (events and transactions). At scale 1 it takes under a minute; the time limit leaves
/// room for scale 10.
@Suite("Stream stress: nothing lost, nothing repeated", .timeLimit(.minutes(20)))
struct StreamStressTests {
    private enum Transport: String, CaseIterable {
        case http1Plain = "HTTP/1.1"
        case http1TLS = "HTTP/1.1+TLS"
        case http2TLS = "HTTP/2+TLS"
    }

    @Test("slow, pausing, resuming subscribers on every transport receive exactly the log, in order")
    func everySubscriberGetsTheLog() async throws {
        // Load-heavy: one such test at a time (see HeavyTestGate).
        await HeavyTestGate.shared.enter()
        defer { HeavyTestGate.shared.leave() }
        let environment = ProcessInfo.processInfo.environment
        let seed = environment["TIDINGS_STRESS_SEED"].flatMap(UInt64.init) ?? UInt64.random(in: 0...UInt64.max)
        let scale = environment["TIDINGS_STRESS_SCALE"].flatMap(Int.init) ?? 1
        print("StreamStressTests seed \(seed), scale \(scale) (replay: TIDINGS_STRESS_SEED=\(seed) TIDINGS_STRESS_SCALE=\(scale))")
        var rng = SplitMix64(seed: seed)
        let events = 10_000 * scale

        let certificate = try TestCertificate()
        let tls = TLSFiles(certificate: certificate.files.certificate, key: certificate.files.key)
        // Ticks every 100 ms: a pause of 300 ms or more on a full socket is cut off.
        let stream = StreamSettings(heartbeat: .milliseconds(100), retry: .seconds(2), maxSelectors: 32, buffer: 256)
        var clientTLS = TLSConfiguration.makeClientConfiguration()
        clientTLS.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(certificate.certificate.certificatePEM.utf8)))
        clientTLS.applicationProtocols = ["http/1.1"]
        let tlsContext = try NIOSSLContext(configuration: clientTLS)
        let http2Client = try HTTPClient.make(trusting: certificate.certificate.certificatePEM)
        defer { http2Client.shutdown { _ in } }

        let outcome = try await TestDatabase.with("stress", tls: tls, stream: stream) { database, tlsConfig in
            let plainConfig = try TestConfig.make(database: database.url, stream: stream)
            return try await LiveGateway.with(tlsConfig) { secure in
                try await LiveGateway.with(plainConfig) { plain in
                    try await secure.waitUntilReady(client: http2Client)
                    try await plain.waitUntilReady(client: http2Client)
                    let target = LogEnd()
                    var plans: [(Transport, UInt64)] = []
                    for transport in Transport.allCases {
                        for _ in 0..<2 { plans.append((transport, rng.next())) }
                    }
                    return try await withThrowingTaskGroup(of: (String, [Int64], Int).self) { group in
                        for (index, (transport, subscriberSeed)) in plans.enumerated() {
                            group.addTask {
                                var reader = PacedReader(seed: subscriberSeed, target: target)
                                let name = "\(transport.rawValue) #\(index)"
                                switch transport {
                                case .http1Plain:
                                    try await reader.readHTTP1(port: plain.port, tls: nil)
                                case .http1TLS:
                                    try await reader.readHTTP1(port: secure.port, tls: tlsContext)
                                case .http2TLS:
                                    try await reader.readHTTP2(client: http2Client, baseURL: secure.baseURL)
                                }
                                return (name, reader.ids, reader.resumes)
                            }
                        }
                        // Every subscriber is registered on its gateway before the first write.
                        await secure.gateway.hub.testOnlyStreamsOpened(reaching: 4)
                        await plain.gateway.hub.testOnlyStreamsOpened(reaching: 2)
                        var written = 0
                        var transactions = 0
                        while written < events {
                            let size = min(events - written, Int.random(in: 1...400, using: &rng))
                            let pad = Int.random(in: 0...600, using: &rng)
                            try await database.execute(
                                "INSERT INTO public.items SELECT g, g % 5, repeat('x', \(pad)) FROM generate_series(\(written + 1), \(written + size)) g"
                            )
                            written += size
                            transactions += 1
                        }
                        let rows = try await database.connection.query(
                            "SELECT id FROM tidings.changes ORDER BY id",
                            logger: LiveGateway.logger
                        )
                        var log: [Int64] = []
                        for try await id in rows.decode(Int64.self) { log.append(id) }
                        target.last.withLock { $0 = log.last }
                        var results: [(String, [Int64], Int)] = []
                        for try await result in group { results.append(result) }
                        return (log, results, transactions)
                    }
                }
            }
        }
        let (log, results, transactions) = outcome
        #expect(log.count == events)
        for (name, ids, resumes) in results.sorted(by: { $0.0 < $1.0 }) {
            print("StreamStressTests \(name): \(ids.count) events, \(resumes) resumes, \(transactions) transactions")
            let firstDifference = zip(ids, log).enumerated().first { $0.element.0 != $0.element.1 }
            #expect(ids.count == log.count, "\(name): \(ids.count) ids where the log has \(log.count) (seed \(seed))")
            #expect(
                firstDifference == nil,
                "\(name): id \(firstDifference?.element.0 ?? 0) at \(firstDifference?.offset ?? 0) where \(firstDifference?.element.1 ?? 0) was due (seed \(seed))"
            )
        }
    }
}

/// One subscriber's reading: random read sizes and receive buffer, short pauses often, a long
/// one (past two heartbeat ticks) now and then; after a cut-off it resumes from the last id it
/// got. It stops once it has the last id of the log (`target`, known when the writes are done).
private struct PacedReader {
    var rng: SplitMix64
    let target: LogEnd
    private(set) var ids: [Int64] = []
    private(set) var resumes = 0
    private var partialLine: [UInt8] = []
    private var longPausesLeft = 3

    init(seed: UInt64, target: LogEnd) {
        rng = SplitMix64(seed: seed)
        self.target = target
    }

    private var isDone: Bool {
        guard let last = target.last.withLock({ $0 }) else { return false }
        return (ids.last ?? .min) >= last
    }

    private var lastEventID: Int64? { ids.last }

    /// Sleeps now and then: mostly a few milliseconds, rarely long enough to be cut off.
    private mutating func pause() async throws {
        let roll = Int.random(in: 0..<1000, using: &rng)
        if roll < 2 && longPausesLeft > 0 {
            longPausesLeft -= 1
            try await Task.sleep(for: .milliseconds(Int.random(in: 350...700, using: &rng)))
        } else if roll < 60 {
            try await Task.sleep(for: .milliseconds(Int.random(in: 1...15, using: &rng)))
        }
    }

    /// Takes the `id:` lines out of `bytes`, keeping a partial line for the next read.
    private mutating func consume(_ bytes: ByteBuffer) {
        for byte in bytes.readableBytesView {
            guard byte == UInt8(ascii: "\n") else {
                partialLine.append(byte)
                continue
            }
            if partialLine.starts(with: Array("id: ".utf8)), let id = Int64(String(decoding: partialLine.dropFirst(4), as: UTF8.self)) {
                ids.append(id)
            }
            partialLine.removeAll(keepingCapacity: true)
        }
    }

    mutating func readHTTP1(port: Int, tls: NIOSSLContext?) async throws {
        while !isDone {
            let connection = try await PacedConnection.open(
                port: port,
                tls: tls,
                path: "/events?topic=items/**",
                lastEventID: lastEventID,
                receiveBuffer: Int.random(in: 1024...4096, using: &rng),
                readSize: Int.random(in: 64...2048, using: &rng)
            )
            partialLine = []
            while !isDone, let bytes = await connection.read() {
                consume(bytes)
                try await pause()
            }
            connection.close()
            if !isDone { resumes += 1 }
        }
    }

    mutating func readHTTP2(client: HTTPClient, baseURL: String) async throws {
        while !isDone {
            var request = HTTPClientRequest(url: "\(baseURL)/events?topic=items/**")
            if let lastEventID { request.headers.add(name: "Last-Event-ID", value: "\(lastEventID)") }
            let response = try await client.execute(request, timeout: .minutes(5))
            #expect(response.version == .http2)
            partialLine = []
            var body = response.body.makeAsyncIterator()
            do {
                while !isDone, let bytes = try await body.next() {
                    consume(bytes)
                    try await pause()
                }
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                // Cut off: the server reset the stream. Resume below.
            }
            if !isDone { resumes += 1 }
        }
    }
}

/// The log's last id, set once the writes are done: subscribers read until they have it.
private final class LogEnd: Sendable {
    let last = Mutex<Int64?>(nil)
}
