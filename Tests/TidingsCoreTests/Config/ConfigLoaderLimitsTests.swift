import Testing
import TidingsCore

/// `limits:`, `metrics:` and `auth.jwt.jwks_url` (SPEC §2).
@Suite struct ConfigLoaderLimitsTests {
    let short = ConfigFixture.shortForm

    @Test("limits and metrics take SPEC §2's defaults when left out")
    func defaults() throws {
        let config = try ConfigFixture.load(short)
        #expect(config.limits == LimitsSettings())
        #expect(config.limits.requestHead == .seconds(10))
        #expect(config.limits.tlsHandshake == .seconds(10))
        #expect(config.limits.idle == .seconds(60))
        #expect(config.limits.maxConnections == 10_000)
        #expect(config.limits.maxAnonymousStreams == 0)
        #expect(config.metrics.listen == nil)
    }

    @Test("every limits key and metrics.listen are read")
    func readsEveryKey() throws {
        let config = try ConfigFixture.load(
            short + """
                limits:
                  request_head: 5s
                  tls_handshake: 3s
                  idle: 2m
                  max_connections: 500
                  max_anonymous_streams: 20
                metrics:
                  listen: "127.0.0.1:9464"
                """
        )
        #expect(
            config.limits
                == LimitsSettings(
                    requestHead: .seconds(5),
                    tlsHandshake: .seconds(3),
                    idle: .seconds(120),
                    maxConnections: 500,
                    maxAnonymousStreams: 20
                )
        )
        #expect(config.metrics.listen == ListenAddress(host: "127.0.0.1", port: 9464))
    }

    @Test("a wrong limit or metrics address is reported with its line and a fix")
    func errors() {
        ConfigFixture.expectError(
            short + "limits:\n  max_connections: 0",
            line: 11,
            key: "limits.max_connections",
            code: .invalidValue,
            message: "",
            fix: ""
        )
        ConfigFixture.expectError(
            short + "limits:\n  max_connection: 5",
            line: 11,
            key: "limits.max_connection",
            code: .unknownKey,
            message: "unknown key",
            fix: "did you mean 'max_connections'?"
        )
        ConfigFixture.expectError(
            short + "metrics:\n  listen: \"http://x:1\"",
            line: 11,
            key: "metrics.listen",
            code: .invalidValue,
            message: "not a listen address",
            fix: ""
        )
    }

    @Test("jwks_url and jwks_refresh are read for a public-key algorithm")
    func jwksURL() throws {
        let yaml = """
            tls: off
            postgres:
              url: "${DATABASE_URL}"
            auth:
              jwt:
                algorithm: ES256
                jwks_url: https://auth.example.com/.well-known/jwks.json
                jwks_refresh: 5m
            topics:
              - table: orders
                topics: ["orders/{id}"]
            """
        let config = try ConfigFixture.load(yaml)
        #expect(config.auth.jwt.key == .jwksURL("https://auth.example.com/.well-known/jwks.json"))
        #expect(config.auth.jwt.jwksRefresh == .seconds(300))
    }

    @Test("jwks_url must be http(s), and may not sit beside jwks or public_key")
    func jwksURLErrors() {
        let head = "tls: off\npostgres:\n  url: \"${DATABASE_URL}\"\nauth:\n  jwt:\n    algorithm: ES256\n"
        let tail = "topics:\n  - table: orders\n    topics: [\"orders/{id}\"]\n"
        ConfigFixture.expectError(
            head + "    jwks_url: ftp://x/jwks.json\n" + tail,
            line: 7,
            key: "auth.jwt.jwks_url",
            code: .invalidValue,
            message: "not an http(s) URL",
            fix: "jwks_url: https://"
        )
        ConfigFixture.expectError(
            head + "    jwks: /etc/jwks.json\n    jwks_url: https://x/jwks.json\n" + tail,
            line: 8,
            key: "auth.jwt.jwks_url",
            code: .conflictingKeys,
            message: "both set",
            fix: "keep one"
        )
    }
}
