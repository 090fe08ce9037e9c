import Foundation
import Testing
import TidingsCore
import TidingsTestSupport

@Suite struct ConfigLoaderTests {
    @Test("the short form loads with every default")
    func shortForm() throws {
        let config = try ConfigFixture.load(ConfigFixture.shortForm)
        let expected = TidingsConfig(
            listen: ListenAddress(host: "0.0.0.0", port: 8443),
            tls: nil,
            postgres: PostgresSettings(
                url: PostgresURL(host: "db.internal", user: "app", password: "hunter2", database: "app", sslMode: .require)
            ),
            auth: AuthSettings(
                jwt: JWTSettings(algorithm: .hs256, key: .secret(ConfigFixture.secret), claim: "tidings", leeway: .seconds(5))
            ),
            cors: CORSSettings(origins: []),
            topics: [
                .table(
                    TableCapture(
                        table: TableName(schema: "public", name: "orders"),
                        topics: [try TopicTemplate(parsing: "orders/{id}")],
                        events: [.insert, .update, .delete, .truncate],
                        columns: nil,
                        old: .key,
                        line: 8
                    )
                )
            ],
            stream: StreamSettings(heartbeat: .seconds(15), retry: .seconds(2), maxSelectors: 32, buffer: 1024),
            publish: PublishSettings(maxBody: 65_536),
            retention: RetentionSettings(maxAge: .seconds(604_800), maxEvents: 0, interval: .seconds(60))
        )
        #expect(config == expected)
        #expect(config.auth.public.isEmpty)
        #expect(config.auth.maxStreamsPerToken == 0)
    }

    @Test(
        "threads takes auto or a count; without it the server picks",
        arguments: [("", nil), ("threads: auto\n", nil), ("threads: 3\n", 3)]
    )
    func threads(line: String, expected: Int?) throws {
        let config = try ConfigFixture.load(ConfigFixture.shortForm + line)
        #expect(config.threads == expected)
    }

    @Test("the example file loads with every key set")
    func exampleFile() throws {
        let path = PackageRoot.url.appendingPathComponent("tidings.example.yaml").path
        let config = try ConfigLoader.load(path: path, environment: ConfigFixture.environment)
        #expect(config.listen == ListenAddress(host: "0.0.0.0", port: 8443))
        #expect(config.tls == TLSFiles(certificate: "/etc/tidings/server.crt", key: "/etc/tidings/server.key"))
        #expect(config.auth.jwt.issuer == "https://auth.example.com")
        #expect(config.auth.jwt.audience == "tidings")
        #expect(config.auth.public == [try Selector(parsing: "announcements/**")])
        #expect(config.cors.origins == ["https://app.example.com"])
        #expect(config.threads == nil)
        let orders = try #require(config.tables.first)
        #expect(orders.table == TableName(schema: "public", name: "orders"))
        #expect(orders.topics.map(\.description) == ["orders/{id}", "customers/{customer_id}/orders"])
        #expect(orders.columns == ["id", "customer_id", "status", "total"])
        #expect(
            config.channels == [
                ChannelSource(
                    channel: "alerts",
                    topics: [try TopicTemplate(parsing: "alerts/{severity}")],
                    line: config.channels.first?.line ?? 0
                )
            ]
        )
        #expect(config.stream == StreamSettings())
        #expect(config.publish == PublishSettings())
        #expect(config.retention == RetentionSettings())
    }

    @Test("every value of the full form is read")
    func fullForm() throws {
        let yaml = """
            listen: "[::1]:9000"
            tls:
              certificate: /c.pem
              key: /k.pem
            postgres:
              url: postgres://u@h/db
            auth:
              jwt:
                algorithm: HS512
                secret: kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk
                issuer: iss
                audience: aud
                claim: rights
                leeway: 0s
              public: ["news/*", "status"]
              max_streams_per_token: 4
            cors:
              origins: ["*", "http://localhost:3000", "capacitor://localhost"]
            topics:
              - table: audit.log_entries
                topics: ["audit/{actor}", "all"]
                events: [delete, insert]
                columns: [actor, "what$"]
                old: full
              - channel: alerts
                topics: ["alerts/{Severity}"]
            stream: { heartbeat: 500ms, retry: 1m, max_selectors: 1024, buffer: 1_000_000 }
            publish: { max_body: 1MB }
            retention: { max_age: 2h, max_events: 100000, interval: 30s }
            """
        let config = try ConfigFixture.load(yaml)
        #expect(config.listen == ListenAddress(host: "::1", port: 9000))
        #expect(
            config.auth.jwt
                == JWTSettings(
                    algorithm: .hs512,
                    key: .secret(String(repeating: "k", count: 64)),
                    issuer: "iss",
                    audience: "aud",
                    claim: "rights",
                    leeway: .zero
                )
        )
        #expect(config.auth.public.map(\.description) == ["news/*", "status"])
        #expect(config.auth.maxStreamsPerToken == 4)
        #expect(config.cors.origins.count == 3)
        let log = try #require(config.tables.first)
        #expect(log.table == TableName(schema: "audit", name: "log_entries"))
        #expect(log.table.eventPrefix == "audit.log_entries")
        #expect(log.events == [.insert, .delete])
        #expect(log.columns == ["actor", "what$"])
        #expect(log.old == .full)
        #expect(log.line == 20)
        #expect(config.channels.first?.line == 25)
        #expect(config.stream == StreamSettings(heartbeat: .milliseconds(500), retry: .seconds(60), maxSelectors: 1024, buffer: 1_000_000))
        #expect(config.publish.maxBody == 1_000_000)
        #expect(config.retention == RetentionSettings(maxAge: .seconds(7200), maxEvents: 100_000, interval: .seconds(30)))
    }

    @Test("${VAR} is replaced in every value, including list items and parts of a string")
    func substitution() throws {
        let yaml =
            ConfigFixture.shortForm + """
                cors:
                  origins: ["https://${APP_HOST}:${APP_PORT}"]
                stream:
                  buffer: ${BUFFER}
                """
        var environment = ConfigFixture.environment
        environment["APP_HOST"] = "app.example.com"
        environment["APP_PORT"] = "8080"
        environment["BUFFER"] = "64"
        let config = try ConfigFixture.load(yaml, environment: environment)
        #expect(config.cors.origins == ["https://app.example.com:8080"])
        #expect(config.stream.buffer == 64)
        #expect(config.auth.jwt.key == .secret(ConfigFixture.secret))
    }

    @Test("an unset variable is an error naming it and its line")
    func unsetVariable() {
        let error = ConfigFixture.expectError(
            ConfigFixture.shortForm,
            line: 6,
            key: "auth.jwt.secret",
            code: .environmentVariable,
            message: "environment variable TIDINGS_JWT_SECRET is not set",
            fix: "TIDINGS_JWT_SECRET",
            environment: ["DATABASE_URL": "postgres://u@h/db"]
        )
        #expect(error?.column == 13)
    }

    @Test("a variable set to nothing leaves a required value empty")
    func emptyVariable() {
        var environment = ConfigFixture.environment
        environment["TIDINGS_JWT_SECRET"] = ""
        ConfigFixture.expectError(
            ConfigFixture.shortForm,
            line: 6,
            key: "auth.jwt.secret",
            code: .invalidValue,
            message: "is empty",
            fix: "secret:",
            environment: environment
        )
    }

    @Test("a malformed reference is an error", arguments: ["${DATABASE_URL", "${1X}"])
    func malformedReference(reference: String) {
        let yaml = ConfigFixture.shortForm.replacingOccurrences(of: "${DATABASE_URL}", with: reference)
        ConfigFixture.expectError(yaml, line: 3, key: "postgres.url", code: .environmentVariable, message: "${", fix: "${NAME}")
    }

    @Test(
        "tls: off is accepted bare, quoted, as false, and from a variable",
        arguments: ["off", "\"off\"", "Off", "false", "no", "${TLS}"]
    )
    func tlsOff(value: String) throws {
        let yaml = ConfigFixture.shortForm.replacingOccurrences(of: "tls: off", with: "tls: \(value)")
        var environment = ConfigFixture.environment
        environment["TLS"] = "off"
        #expect(try ConfigFixture.load(yaml, environment: environment).tls == nil)
    }

    @Test("auth.jwt with RS256, ES256 or EdDSA records the key file")
    func publicKeys() throws {
        for algorithm in ["RS256", "ES256", "EdDSA"] {
            let pem = ConfigFixture.shortForm.replacingOccurrences(
                of: "secret: \"${TIDINGS_JWT_SECRET}\"",
                with: "algorithm: \(algorithm)\n    public_key: /keys/jwt.pem"
            )
            #expect(try ConfigFixture.load(pem).auth.jwt.key == .publicKeyFile("/keys/jwt.pem"))
            let jwks = ConfigFixture.shortForm.replacingOccurrences(
                of: "secret: \"${TIDINGS_JWT_SECRET}\"",
                with: "algorithm: \(algorithm)\n    jwks: /keys/jwks.json"
            )
            let config = try ConfigFixture.load(jwks)
            #expect(config.auth.jwt.key == .jwksFile("/keys/jwks.json"))
            #expect(config.auth.jwt.algorithm.rawValue == algorithm)
        }
    }

    @Test("load(path:) reads a file from disk")
    func loadFromDisk() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tidings-\(UInt64.random(in: 0...UInt64.max)).yaml").path
        try ConfigFixture.shortForm.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(try ConfigLoader.load(path: path, environment: ConfigFixture.environment).tables.count == 1)
    }

    @Test("the topic map lists tables, event names, channels, public selectors and the listener")
    func topicMap() throws {
        let yaml = """
            tls: off
            postgres:
              url: "${DATABASE_URL}"
            auth:
              public: ["announcements/**"]
              jwt:
                secret: "${TIDINGS_JWT_SECRET}"
            topics:
              - table: orders
                topics: ["orders/{id}"]
              - table: audit.log
                topics: ["audit/{id}"]
                events: [insert]
                columns: [id, actor]
                old: none
              - channel: alerts
                topics: ["alerts/{severity}"]
            """
        let config = try ConfigFixture.load(yaml)
        let map = config.topicMapDescription()
        #expect(
            map == """
                tables:
                  public.orders (line 9)
                    events:  orders.insert, orders.update, orders.delete, orders.truncate
                    topics:  orders/{id}
                    columns: all
                    old:     key
                  audit.log (line 11)
                    events:  audit.log.insert
                    topics:  audit/{id}
                    columns: id, actor
                    old:     none
                channels:
                  alerts (line 16)
                    topics:  alerts/{severity}
                public: announcements/**
                listen: 0.0.0.0:8443
                tls: off (plain HTTP; a proxy in front must terminate TLS)
                postgres: postgres://app:***@db.internal:5432/app?sslmode=require
                """
        )
        #expect(!map.contains("hunter2"))
        #expect(!map.contains(ConfigFixture.secret))
    }
}
