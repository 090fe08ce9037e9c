import Foundation
import Testing
import TidingsCore

/// One test per rule of docs/configuration.md outside `topics:`; each checks the line, the key and the fix.
@Suite struct ConfigLoaderErrorTests {
    private let short = ConfigFixture.shortForm

    private func replacing(_ old: String, with new: String) -> String {
        precondition(short.contains(old))
        return short.replacingOccurrences(of: old, with: new)
    }

    @Test("an unknown top-level key suggests the nearest known key")
    func unknownTopLevelKey() {
        let error = ConfigFixture.expectError(
            short + "strem:\n  buffer: 1",
            line: 10,
            key: "strem",
            code: .unknownKey,
            message: "unknown key 'strem'",
            fix: "did you mean 'stream'?"
        )
        #expect(error?.fix.contains("known keys here: listen, tls, postgres") == true)
    }

    @Test("an unknown nested key suggests the nearest known key")
    func unknownNestedKey() {
        ConfigFixture.expectError(
            short + "stream:\n  heartbeet: 15s",
            line: 11,
            key: "stream.heartbeet",
            code: .unknownKey,
            message: "unknown key",
            fix: "did you mean 'heartbeat'?"
        )
    }

    @Test("a dashed spelling of a key is recognised as a slip")
    func dashedKey() {
        ConfigFixture.expectError(
            short + "publish:\n  max-body: 1KiB",
            line: 11,
            key: "publish.max-body",
            code: .unknownKey,
            message: "unknown key",
            fix: "did you mean 'max_body'?"
        )
    }

    @Test("a key in the wrong section says where it belongs")
    func misplacedKey() {
        ConfigFixture.expectError(
            short + "publish:\n  max_age: 7d",
            line: 11,
            key: "publish.max_age",
            code: .unknownKey,
            message: "unknown key",
            fix: "belongs under retention"
        )
    }

    @Test("a list where a mapping belongs is a type error")
    func listForMapping() {
        ConfigFixture.expectError(
            short + "stream: [1, 2]",
            line: 10,
            key: "stream",
            code: .wrongShape,
            message: "expected a mapping (key: value lines), found a list",
            fix: "stream"
        )
    }

    @Test("a single value where a list belongs is a type error")
    func scalarForList() {
        ConfigFixture.expectError(
            short + "cors:\n  origins: https://a.example",
            line: 11,
            key: "cors.origins",
            code: .wrongShape,
            message: "expected a list",
            fix: "origins: ["
        )
    }

    @Test("a mapping where a single value belongs is a type error")
    func mappingForScalar() {
        ConfigFixture.expectError(
            short + "listen:\n  host: x",
            line: 11,
            key: "listen",
            code: .wrongShape,
            message: "expected a single value, found a mapping",
            fix: "listen:"
        )
    }

    @Test(
        "whole numbers are checked for type and range",
        arguments: [
            ("stream:\n  buffer: lots", "stream.buffer", "from 1 to 1000000"),
            ("stream:\n  buffer: 0", "stream.buffer", "from 1 to 1000000"),
            ("stream:\n  buffer: 1000001", "stream.buffer", "from 1 to 1000000"),
            ("stream:\n  buffer: 2.5", "stream.buffer", "from 1 to 1000000"),
            ("stream:\n  max_selectors: 0", "stream.max_selectors", "from 1 to 1024"),
            ("stream:\n  max_selectors: 1025", "stream.max_selectors", "from 1 to 1024"),
            ("retention:\n  max_events: -1", "retention.max_events", "0 or more"),
        ]
    )
    func integers(extra: String, key: String, range: String) {
        ConfigFixture.expectError(
            short + extra,
            line: 11,
            key: key,
            code: .invalidValue,
            message: range,
            fix: "\(key.split(separator: ".").last!):"
        )
    }

    @Test(
        "threads is auto or a whole number from 1 to 1024",
        arguments: ["threads: 0", "threads: many", "threads: 1025", "threads: 1.5", "threads: -2"]
    )
    func threads(extra: String) {
        ConfigFixture.expectError(
            short + extra,
            line: 10,
            key: "threads",
            code: .invalidValue,
            message: "is not a thread count",
            fix: "threads: auto"
        )
    }

    @Test("max_streams_per_token may not be negative")
    func maxStreamsPerToken() {
        let yaml = replacing("  jwt:", with: "  max_streams_per_token: -1\n  jwt:")
        ConfigFixture.expectError(
            yaml,
            line: 5,
            key: "auth.max_streams_per_token",
            code: .invalidValue,
            message: "0 or more",
            fix: "max_streams_per_token: 0"
        )
    }

    @Test(
        "durations need a unit and must be positive",
        arguments: [
            ("stream:\n  heartbeat: 15", "stream.heartbeat", "the unit is missing", "15s"),
            ("stream:\n  retry: 0s", "stream.retry", "must be longer than 0", "retry: 2s"),
            ("retention:\n  interval: 1w", "retention.interval", "unknown unit 'w'", "1m"),
            ("retention:\n  max_age: 7 days", "retention.max_age", "accepted units are ms, s, m, h and d", "7d"),
        ]
    )
    func durations(extra: String, key: String, message: String, fix: String) {
        ConfigFixture.expectError(short + extra, line: 11, key: key, code: .invalidValue, message: message, fix: fix)
    }

    @Test("max_body must be a positive size")
    func maxBody() {
        ConfigFixture.expectError(
            short + "publish:\n  max_body: 64XB",
            line: 11,
            key: "publish.max_body",
            code: .invalidValue,
            message: "unknown unit 'XB'",
            fix: "64KiB"
        )
        ConfigFixture.expectError(
            short + "publish:\n  max_body: 0",
            line: 11,
            key: "publish.max_body",
            code: .invalidValue,
            message: "larger than 0",
            fix: "64KiB"
        )
    }

    @Test("postgres.url is required, at the postgres key")
    func missingPostgresURL() {
        let yaml = replacing("postgres:\n  url: \"${DATABASE_URL}\"", with: "postgres: {}")
        ConfigFixture.expectError(
            yaml,
            line: 2,
            key: "postgres.url",
            code: .missingKey,
            message: "is missing",
            fix: "url: \"${DATABASE_URL}\""
        )
    }

    @Test("postgres.url with no value points at its own line")
    func emptyPostgresURL() {
        let yaml = replacing("  url: \"${DATABASE_URL}\"", with: "  url:")
        ConfigFixture.expectError(yaml, line: 3, key: "postgres.url", code: .missingKey, message: "has no value", fix: "url:")
    }

    @Test("a missing postgres section is reported at the top of the file")
    func missingPostgres() {
        let yaml = replacing("postgres:\n  url: \"${DATABASE_URL}\"\n", with: "")
        ConfigFixture.expectError(yaml, line: 1, key: "postgres", code: .missingKey, message: "is missing", fix: "postgres:")
    }

    @Test("a bad postgres.url is explained without showing the password")
    func badPostgresURL() {
        for url in ["mysql://app:hunter2@h/db", "postgres://app:hunter2@h:99999/db", "postgres://app:hunter2@h/db?sslmode=always"] {
            var environment = ConfigFixture.environment
            environment["DATABASE_URL"] = url
            let error = ConfigFixture.expectError(
                short,
                line: 3,
                key: "postgres.url",
                code: .invalidValue,
                message: "not a usable PostgreSQL URL",
                fix: "postgres://user:password@host:5432/database",
                environment: environment
            )
            #expect(error?.description.contains("hunter2") == false)
        }
    }

    @Test("tls is required")
    func missingTLS() {
        let yaml = replacing("tls: off\n", with: "")
        ConfigFixture.expectError(yaml, line: 1, key: "tls", code: .missingKey, message: "is missing", fix: "tls: off")
    }

    @Test("tls needs both certificate and key")
    func tlsNeedsKey() {
        let yaml = replacing("tls: off", with: "tls:\n  certificate: /c.pem")
        ConfigFixture.expectError(
            yaml,
            line: 1,
            key: "tls.key",
            code: .missingKey,
            message: "is missing",
            fix: "key: /etc/tidings/server.key"
        )
    }

    @Test("tls takes only off as a single value", arguments: ["on", "true", "yes please"])
    func tlsOn(value: String) {
        ConfigFixture.expectError(
            replacing("tls: off", with: "tls: \(value)"),
            line: 1,
            key: "tls",
            code: .invalidValue,
            message: "is not a TLS setting",
            fix: "tls: off"
        )
    }

    @Test("tls with no value says so")
    func tlsEmpty() {
        ConfigFixture.expectError(
            replacing("tls: off", with: "tls:"),
            line: 1,
            key: "tls",
            code: .missingKey,
            message: "has no value",
            fix: "certificate:"
        )
    }

    @Test(
        "cors origins must be * or scheme://host[:port]",
        arguments: [
            ("https://app.example.com/", "never ends with '/'", "write https://app.example.com"),
            ("app.example.com", "the scheme is missing", "https://app.example.com"),
            ("https://app.example.com/path", "no path", "scheme://host[:port]"),
            ("https://App.example.com", "lowercase", "write https://app.example.com"),
            ("https://app.example.com:0", "port", "scheme://host[:port]"),
            ("https://", "host", "scheme://host[:port]"),
        ]
    )
    func corsOrigins(origin: String, message: String, fix: String) {
        ConfigFixture.expectError(
            short + "cors:\n  origins: [\"\(origin)\"]",
            line: 11,
            key: "cors.origins[0]",
            code: .invalidValue,
            message: message,
            fix: fix
        )
    }

    @Test("listen must be host:port")
    func badListen() {
        ConfigFixture.expectError(
            short + "listen: 0.0.0.0",
            line: 10,
            key: "listen",
            code: .invalidValue,
            message: "the port is missing",
            fix: "0.0.0.0:8443"
        )
        ConfigFixture.expectError(
            short + "listen: \"[::1]:70000\"",
            line: 10,
            key: "listen",
            code: .invalidValue,
            message: "from 0 to 65535",
            fix: "[::1]:8443"
        )
    }
}
