import Foundation
import NIOCore
import Testing
import TidingsCore
import TidingsTestSupport

@testable import TidingsServer

/// A seeded fuzz loop over every parser a user's input reaches: topics, selectors, templates,
/// durations, byte counts, listen addresses, PostgreSQL URLs and the config loader in process,
/// then the query strings, headers and bodies of `/events`, `/changes` and `/publish` against a
/// live gateway. A crash fails the run; so does any 5xx.
///
/// `TIDINGS_FUZZ_SEED` replays a run; `TIDINGS_FUZZ_SCALE` multiplies its size (1 in CI).
@Suite("Fuzz", .timeLimit(.minutes(10)))
struct FuzzTests {
    static var seed: UInt64 {
        ProcessInfo.processInfo.environment["TIDINGS_FUZZ_SEED"].flatMap(UInt64.init) ?? UInt64.random(in: 0...UInt64.max)
    }
    static var scale: Int { ProcessInfo.processInfo.environment["TIDINGS_FUZZ_SCALE"].flatMap(Int.init) ?? 1 }

    /// Pieces that parsers split on, escape, or trip over.
    static let pieces: [String] = [
        "a", "42", "/", "//", "*", "**", "{", "}", "{id}", "%", "%2F", "%00", "%ZZ", "\u{0}", "\u{7}", "\u{1B}", "\u{7F}", "\u{85}",
        "e\u{301}", "\u{E9}", "\u{301}", "/\u{301}", "\u{FFFF}", "\u{1F600}", " ", "\t", "\n", "\r\n", ":", "@", "?", "&", "=", "#",
        "[", "]", "\"", "'", "\\", "-", "_", ".", "..", "${X}", "${", "1s", "10ms", "9999999999999999999d", "-1", "0", "KiB", "1e9",
        "postgres://", "u@h", ":5432", "sslmode=", "verify-full", "&sslrootcert=", "yes", "null", "~", "---", "- ", "  ",
    ]

    static func text(_ rng: inout SplitMix64, maxPieces: Int = 8) -> String {
        (0..<Int.random(in: 0...maxPieces, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined()
    }

    /// Percent-encodes every byte outside unreserved ASCII, so any text travels in a URL.
    static func encoded(_ text: String) -> String {
        text.utf8.map { byte in
            let scalar = Unicode.Scalar(byte)
            if byte < 0x80, scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || "-_.~*/".unicodeScalars.contains(scalar) {
                return String(scalar)
            }
            return String(format: "%%%02X", byte)
        }.joined()
    }

    @Test("the parsers and the config loader survive random input")
    func parsers() throws {
        let seed = Self.seed
        print("FuzzTests.parsers seed: \(seed) scale: \(Self.scale) (replay with TIDINGS_FUZZ_SEED=\(seed))")
        var rng = SplitMix64(seed: seed)
        var inputs = 0
        let base = """
            tls: off
            postgres:
              url: "postgres://u@h/db"
            auth:
              jwt:
                secret: "0123456789abcdef0123456789abcdef"
            topics:
              - table: orders
                topics: ["orders/{id}"]
            limits:
              idle: 60s
            metrics:
              listen: "127.0.0.1:9464"

            """
        let lines = base.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        for _ in 0..<(4000 * Self.scale) {
            let input = Self.text(&rng)
            _ = try? Topic(validating: input)
            _ = try? Selector(parsing: input)
            _ = try? TopicTemplate(parsing: input)
            _ = try? DurationText.parse(input)
            _ = try? ByteCount.parse(input)
            _ = try? ListenAddress(parsing: input)
            _ = try? PostgresURL(parsing: "postgres://" + input)
            // A config with one line replaced by, or extended with, random text.
            var mutated = lines
            let line = Int.random(in: 0..<mutated.count, using: &rng)
            mutated[line] = Bool.random(using: &rng) ? Self.text(&rng) : mutated[line] + Self.text(&rng, maxPieces: 3)
            _ = try? ConfigLoader.parse(yaml: mutated.joined(separator: "\n"), file: "fuzz.yaml", environment: ["X": "1"])
            inputs += 8
        }
        print("FuzzTests.parsers ran \(inputs) inputs; none crashed")
    }

    @Test("/events, /changes and /publish answer random query strings, headers and bodies with no 5xx")
    func endpoints() async throws {
        let seed = Self.seed
        print("FuzzTests.endpoints seed: \(seed) scale: \(Self.scale) (replay with TIDINGS_FUZZ_SEED=\(seed))")
        var rng = SplitMix64(seed: seed)
        try await TestDatabase.with("fuzz") { _, config in
            var config = try config.with(public: ["items/**"], corsOrigins: ["https://app.example"])
            config.limits = LimitsSettings(requestHead: .seconds(5), idle: .seconds(5))
            let token = try await TestMint.token(subscribe: ["**"], publish: ["**"], config: config)
            try await LiveGateway.with(config) { live in
                var statuses: [Int: Int] = [:]
                var unanswered = 0
                let requests = 300 * Self.scale
                for _ in 0..<requests {
                    let request = Self.request(&rng, token: token)
                    let connection = try await RawConnection.connect(port: live.port)
                    try await connection.send(request)
                    var iterator = connection.received.makeAsyncIterator()
                    var head = ""
                    while !head.contains("\r\n"), let buffer = await iterator.next() { head += String(buffer: buffer) }
                    await connection.close()
                    guard head.hasPrefix("HTTP/1.1 "), let status = Int(head.dropFirst(9).prefix(3)) else {
                        unanswered += 1
                        continue
                    }
                    statuses[status, default: 0] += 1
                    #expect(status < 500, "seed \(seed): \(status) for \(request.debugDescription)")
                }
                let summary = statuses.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ")
                print("FuzzTests.endpoints ran \(requests) requests; statuses \(summary); closed without an answer: \(unanswered)")
            }
        }
    }

    /// One random request: a path, a query string, some headers, maybe a body.
    static func request(_ rng: inout SplitMix64, token: String) -> String {
        let path = ["/events", "/changes", "/publish"].randomElement(using: &rng)!
        var query: [String] = []
        for _ in 0..<Int.random(in: 0...4, using: &rng) {
            let name = ["topic", "topic", "after", "limit", "wait", "last_event_id", "access_token", text(&rng, maxPieces: 2)]
                .randomElement(using: &rng)!
            let value = Bool.random(using: &rng) ? "items/\(text(&rng, maxPieces: 3))" : text(&rng, maxPieces: 4)
            query.append(encoded(name) + "=" + encoded(value))
        }
        if path == "/changes", !query.contains(where: { $0.hasPrefix("wait=") }) { query.append("wait=0.1s") }
        var headers = ["Host: 127.0.0.1", "Connection: close"]
        let authorization = [
            "Bearer \(token)", "Bearer \(token.dropLast())", "Bearer " + text(&rng), "Basic " + text(&rng), text(&rng),
        ]
        if Bool.random(using: &rng) { headers.append("Authorization: " + authorization.randomElement(using: &rng)!) }
        if Int.random(in: 0..<4, using: &rng) == 0 {
            headers.append("Cookie: tidings_token=\(Bool.random(using: &rng) ? token : text(&rng))")
        }
        if Int.random(in: 0..<3, using: &rng) == 0 { headers.append("Last-Event-ID: " + text(&rng, maxPieces: 3)) }
        if Int.random(in: 0..<3, using: &rng) == 0 {
            headers.append("Origin: " + ["https://app.example", "null", text(&rng)].randomElement(using: &rng)!)
        }
        if Int.random(in: 0..<3, using: &rng) == 0 { headers.append("If-None-Match: " + text(&rng, maxPieces: 3)) }
        headers.append("Content-Type: " + ["application/json", "text/plain", text(&rng, maxPieces: 2)].randomElement(using: &rng)!)
        // Header values cannot hold line breaks: a client library would refuse them.
        headers = headers.map { $0.replacingOccurrences(of: "\r", with: "").replacingOccurrences(of: "\n", with: "") }
        var body = ""
        if path == "/publish" {
            let topics = (0..<Int.random(in: 0...3, using: &rng)).map { _ in "chat/" + text(&rng, maxPieces: 3) }
            let data = ["{}", #"{"t":"\u0000"}"#, #"{"t":"\ud800"}"#, "[1,2]", "\"" + text(&rng, maxPieces: 3) + "\"", text(&rng)]
                .randomElement(using: &rng)!
            let event = ["message", "tidings.x", text(&rng, maxPieces: 2)].randomElement(using: &rng)!
            let json = try? JSONSerialization.data(withJSONObject: ["topics": topics, "event": event], options: [.fragmentsAllowed])
            let prefix = json.map { String(decoding: $0.dropLast(), as: UTF8.self) } ?? "{"
            body = Int.random(in: 0..<5, using: &rng) == 0 ? text(&rng) : prefix + #","data":"# + data + "}"
        }
        let method = path == "/publish" ? "POST" : (Int.random(in: 0..<8, using: &rng) == 0 ? "HEAD" : "GET")
        if !body.isEmpty { headers.append("Content-Length: \(body.utf8.count)") }
        let target = path + (query.isEmpty ? "" : "?" + query.joined(separator: "&"))
        return "\(method) \(target) HTTP/1.1\r\n" + headers.joined(separator: "\r\n") + "\r\n\r\n" + body
    }
}
