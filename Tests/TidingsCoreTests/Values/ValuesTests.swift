import Testing
import TidingsCore
import TidingsTestSupport

@Suite struct DurationTextTests {
    @Test(
        "each unit parses",
        arguments: [
            ("500ms", Duration.milliseconds(500)), ("15s", .seconds(15)), ("1m", .seconds(60)), ("2h", .seconds(7200)),
            ("7d", .seconds(7 * 86_400)), ("0s", .zero), (" 15 s ", .seconds(15)),
        ]
    )
    func parses(text: String, expected: Duration) throws {
        #expect(try DurationText.parse(text) == expected)
    }

    @Test(
        "bad durations are refused and the reason lists the units",
        arguments: ["", "15", "s", "1.5s", "-1s", "1w", "1h30m", "15S", "99999999999999999999s"]
    )
    func refused(text: String) {
        let error = #expect(throws: ValueSyntaxError.self) { try DurationText.parse(text) }
        #expect(error?.reason.contains("ms, s, m, h and d") == true)
        #expect(error?.fix.contains("15s") == true)
    }

    @Test("format picks the largest exact unit")
    func format() {
        #expect(DurationText.format(.seconds(7 * 86_400)) == "7d")
        #expect(DurationText.format(.seconds(60)) == "1m")
        #expect(DurationText.format(.seconds(90)) == "90s")
        #expect(DurationText.format(.milliseconds(1500)) == "1500ms")
        #expect(DurationText.format(.zero) == "0s")
        #expect(DurationText.format(.seconds(7200)) == "2h")
    }

    @Test("format and parse round-trip whole milliseconds")
    func roundTrip() throws {
        var rng = SplitMix64(seed: 99)
        for _ in 0..<500 {
            let duration = Duration.milliseconds(Int64.random(in: 1...10_000_000_000, using: &rng))
            #expect(try DurationText.parse(DurationText.format(duration)) == duration)
        }
    }
}

@Suite struct ByteCountTests {
    @Test(
        "sizes parse with binary and decimal units",
        arguments: [
            ("512", 512), ("512B", 512), ("64KiB", 65_536), ("64KB", 64_000), ("1MiB", 1_048_576), ("1MB", 1_000_000),
            ("2GiB", 2_147_483_648), ("1GB", 1_000_000_000), ("64kib", 65_536), ("64 KiB", 65_536), ("0", 0),
        ]
    )
    func parses(text: String, expected: Int) throws {
        #expect(try ByteCount.parse(text) == expected)
    }

    @Test(
        "bad sizes are refused and the reason lists the units",
        arguments: ["", "KiB", "1.5MiB", "-1", "64XB", "64 K", "99999999999999999999"]
    )
    func refused(text: String) {
        let error = #expect(throws: ValueSyntaxError.self) { try ByteCount.parse(text) }
        #expect(error?.reason.contains("KiB") == true)
    }

    @Test("format picks the largest exact unit")
    func format() {
        #expect(ByteCount.format(65_536) == "64KiB")
        #expect(ByteCount.format(64_000) == "64KB")
        #expect(ByteCount.format(1_048_576) == "1MiB")
        #expect(ByteCount.format(512) == "512")
        #expect(ByteCount.format(0) == "0")
    }
}

@Suite struct ListenAddressTests {
    @Test(
        "host:port and [ipv6]:port parse",
        arguments: [("0.0.0.0:8443", "0.0.0.0", 8443), ("[::1]:8443", "::1", 8443), ("localhost:0", "localhost", 0)]
    )
    func parses(text: String, host: String, port: Int) throws {
        #expect(try ListenAddress(parsing: text) == ListenAddress(host: host, port: port))
    }

    @Test("the description brackets IPv6 hosts")
    func description() throws {
        #expect(try ListenAddress(parsing: "[::1]:8443").description == "[::1]:8443")
    }

    @Test(
        "bad addresses are refused",
        arguments: ["0.0.0.0", ":8443", "h:65536", "h:-1", "h:x", "::1:8443", "[::1]", "https://h:1", "[::1:80"]
    )
    func refused(text: String) {
        #expect(throws: ValueSyntaxError.self) { try ListenAddress(parsing: text) }
    }
}
