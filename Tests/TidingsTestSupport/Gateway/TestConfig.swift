import TidingsCore

/// Configs for live-gateway tests: one captured table `public.items` under `items/{id}` and
/// `groups/{group_id}/items`, public topics `items/**` and `groups/**`.
package enum TestConfig {
    package static let secret = "test-secret-that-is-long-enough-for-hs256"

    package static func make(
        database: PostgresURL,
        tls: TLSFiles? = nil,
        public selectors: [String] = ["items/**", "groups/**"],
        stream: StreamSettings = StreamSettings(heartbeat: .seconds(15), retry: .seconds(2), maxSelectors: 32, buffer: 1024)
    ) throws -> TidingsConfig {
        TidingsConfig(
            listen: ListenAddress(host: "127.0.0.1", port: 0),
            tls: tls,
            postgres: PostgresSettings(url: database),
            auth: AuthSettings(jwt: JWTSettings(key: .secret(secret)), public: try selectors.map { try Selector(parsing: $0) }),
            topics: [
                .table(
                    TableCapture(
                        table: TableName(schema: "public", name: "items"),
                        topics: [try TopicTemplate(parsing: "items/{id}"), try TopicTemplate(parsing: "groups/{group_id}/items")]
                    )
                )
            ],
            stream: stream
        )
    }

    /// The table the configs capture.
    package static let createTable = "CREATE TABLE public.items (id bigint PRIMARY KEY, group_id int NOT NULL, note text)"
}
