/// The gateway's whole configuration, resolved from the YAML file with every default applied.
///
/// Values here are already validated: listeners, selectors, templates and durations are in their
/// parsed forms, so the rest of the gateway never re-checks them. ``ConfigLoader`` is the only
/// producer; tests may build one by hand.
package struct TidingsConfig: Sendable, Equatable {
    /// Where the HTTP server binds, e.g. `0.0.0.0:8443`.
    package var listen: ListenAddress
    /// `nil` means `tls: off`: plain HTTP behind a TLS-terminating proxy.
    package var tls: TLSFiles?
    package var postgres: PostgresSettings
    package var auth: AuthSettings
    package var cors: CORSSettings
    /// Table captures and channel subscriptions, in file order.
    package var topics: [TopicSource]
    package var stream: StreamSettings
    package var publish: PublishSettings
    package var retention: RetentionSettings
    /// Event-loop threads that accept connections and write streams; `nil` (`threads: auto`):
    /// one fewer than the machine's cores, at least one, leaving a core to the change feed's
    /// thread, PostgreSQL and the kernel's network work.
    package var threads: Int?
    package var limits = LimitsSettings()
    package var metrics = MetricsSettings()
    /// Triggers or logical capture, and the logical mode's slot and publication.
    package var capture: CaptureSettings

    package init(
        listen: ListenAddress = .init(host: "0.0.0.0", port: 8443),
        tls: TLSFiles?,
        postgres: PostgresSettings,
        auth: AuthSettings,
        cors: CORSSettings = .init(),
        topics: [TopicSource],
        stream: StreamSettings = .init(),
        publish: PublishSettings = .init(),
        retention: RetentionSettings = .init(),
        threads: Int? = nil,
        capture: CaptureSettings = .init()
    ) {
        self.listen = listen
        self.tls = tls
        self.postgres = postgres
        self.auth = auth
        self.cors = cors
        self.topics = topics
        self.stream = stream
        self.publish = publish
        self.retention = retention
        self.threads = threads
        self.capture = capture
    }

    /// The table captures only, in file order.
    package var tables: [TableCapture] {
        topics.compactMap { if case .table(let capture) = $0 { capture } else { nil } }
    }

    /// The NOTIFY channel subscriptions only, in file order.
    package var channels: [ChannelSource] {
        topics.compactMap { if case .channel(let channel) = $0 { channel } else { nil } }
    }
}

/// A host and port to bind.
package struct ListenAddress: Sendable, Equatable, CustomStringConvertible {
    package var host: String
    package var port: Int
    package init(host: String, port: Int) {
        self.host = host
        self.port = port
    }
    package var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// PEM files for the server's certificate chain and key.
package struct TLSFiles: Sendable, Equatable {
    package var certificate: String
    package var key: String
    package init(certificate: String, key: String) {
        self.certificate = certificate
        self.key = key
    }
}

/// How to reach PostgreSQL.
package struct PostgresSettings: Sendable, Equatable {
    /// A `postgres://user:pass@host:port/db?sslmode=…` URL, already checked by ``PostgresURL``.
    package var url: PostgresURL
    package init(url: PostgresURL) { self.url = url }
}

/// Token verification and the topics open to everyone.
package struct AuthSettings: Sendable, Equatable {
    package var jwt: JWTSettings
    /// Selectors anyone may subscribe to without a token.
    package var `public`: [Selector]
    /// Open `/events` streams allowed per token string; 0 means unlimited.
    package var maxStreamsPerToken: Int
    package init(jwt: JWTSettings, public: [Selector] = [], maxStreamsPerToken: Int = 0) {
        self.jwt = jwt
        self.public = `public`
        self.maxStreamsPerToken = maxStreamsPerToken
    }
}

/// The signing algorithms a deployment may pin. Exactly one is accepted at a time.
package enum JWTAlgorithmName: String, Sendable, Equatable, CaseIterable {
    case hs256 = "HS256"
    case hs384 = "HS384"
    case hs512 = "HS512"
    case rs256 = "RS256"
    case es256 = "ES256"
    case eddsa = "EdDSA"

    /// Whether the key is a shared secret (`secret:`) rather than a public key or JWKS.
    package var isHMAC: Bool { self == .hs256 || self == .hs384 || self == .hs512 }
}

/// Where the verification key comes from.
package enum JWTKeySource: Sendable, Equatable {
    /// The shared secret of an HS* algorithm.
    case secret(String)
    /// A PEM public key file (RS256, ES256, EdDSA).
    case publicKeyFile(String)
    /// A JWKS JSON file; tokens pick a key by `kid`.
    case jwksFile(String)
    /// A JWKS served by an identity provider: fetched at start, refreshed every
    /// ``JWTSettings/jwksRefresh`` and on an unknown `kid`.
    case jwksURL(String)
}

/// The token rules of `auth.jwt` (docs/configuration.md).
package struct JWTSettings: Sendable, Equatable {
    package var algorithm: JWTAlgorithmName
    package var key: JWTKeySource
    package var issuer: String?
    package var audience: String?
    /// The claim that holds `subscribe` and `publish` selector lists.
    package var claim: String
    /// Clock skew allowed on `exp` and `nbf`.
    package var leeway: Duration
    /// How often a `jwks_url` key set is fetched again.
    package var jwksRefresh: Duration = .seconds(600)
    package init(
        algorithm: JWTAlgorithmName = .hs256,
        key: JWTKeySource,
        issuer: String? = nil,
        audience: String? = nil,
        claim: String = "tidings",
        leeway: Duration = .seconds(5)
    ) {
        self.algorithm = algorithm
        self.key = key
        self.issuer = issuer
        self.audience = audience
        self.claim = claim
        self.leeway = leeway
    }
}

/// Browser origins allowed to call the gateway with credentials.
package struct CORSSettings: Sendable, Equatable {
    package var origins: [String]
    package init(origins: [String] = []) { self.origins = origins }
}

/// One entry of `topics:`: a captured table or a plain NOTIFY channel.
package enum TopicSource: Sendable, Equatable {
    case table(TableCapture)
    case channel(ChannelSource)
}

/// The operations a capture can record: three per row, and `truncate` once per statement.
package enum ChangeOperation: String, Sendable, Equatable, CaseIterable, Comparable {
    case insert, update, delete, truncate
    package static func < (lhs: Self, rhs: Self) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// What of the old row an update or delete carries.
package enum OldRowMode: String, Sendable, Equatable {
    /// The primary key columns only.
    case key
    /// Every captured column.
    case full
    /// Nothing: no `old` key in the event.
    case none
}

/// A qualified table name, `schema.table`; `public` is assumed when the schema is left out.
package struct TableName: Sendable, Hashable, CustomStringConvertible {
    package var schema: String
    package var name: String
    package init(schema: String, name: String) {
        self.schema = schema
        self.name = name
    }
    /// `public.orders`.
    package var description: String { "\(schema).\(name)" }
    /// The event-name prefix: the schema is left out for `public` (`orders`, `audit.log`).
    package var eventPrefix: String { schema == "public" ? name : "\(schema).\(name)" }
}

/// One captured table: which topics its rows publish to, and what each event carries.
package struct TableCapture: Sendable, Equatable {
    package var table: TableName
    package var topics: [TopicTemplate]
    /// Operations to capture; all four by default.
    package var events: [ChangeOperation]
    /// Columns carried in `new`/`old`; `nil` means all columns.
    package var columns: [String]?
    package var old: OldRowMode
    /// The line of the entry in the config file, for errors found later (e.g. by `check --database`).
    package var line: Int
    package init(
        table: TableName,
        topics: [TopicTemplate],
        events: [ChangeOperation] = ChangeOperation.allCases,
        columns: [String]? = nil,
        old: OldRowMode = .key,
        line: Int = 0
    ) {
        self.table = table
        self.topics = topics
        self.events = events
        self.columns = columns
        self.old = old
        self.line = line
    }
}

/// A plain NOTIFY channel whose JSON payloads are forwarded live (no id, no replay).
package struct ChannelSource: Sendable, Equatable {
    package var channel: String
    package var topics: [TopicTemplate]
    package var line: Int
    package init(channel: String, topics: [TopicTemplate], line: Int = 0) {
        self.channel = channel
        self.topics = topics
        self.line = line
    }
}

/// Settings of each `/events` stream.
package struct StreamSettings: Sendable, Equatable {
    package var heartbeat: Duration
    /// The `retry:` hint sent first on every stream.
    package var retry: Duration
    package var maxSelectors: Int
    /// Events queued per subscriber before it is cut off.
    package var buffer: Int
    package init(heartbeat: Duration = .seconds(15), retry: Duration = .seconds(2), maxSelectors: Int = 32, buffer: Int = 1024) {
        self.heartbeat = heartbeat
        self.retry = retry
        self.maxSelectors = maxSelectors
        self.buffer = buffer
    }
}

/// Limits of `POST /publish`.
package struct PublishSettings: Sendable, Equatable {
    /// Bodies larger than this many bytes get 413.
    package var maxBody: Int
    package init(maxBody: Int = 64 * 1024) { self.maxBody = maxBody }
}

/// How long the change log keeps events.
package struct RetentionSettings: Sendable, Equatable {
    package var maxAge: Duration
    /// 0 means no cap.
    package var maxEvents: Int
    package var interval: Duration
    package init(maxAge: Duration = .seconds(7 * 86_400), maxEvents: Int = 0, interval: Duration = .seconds(60)) {
        self.maxAge = maxAge
        self.maxEvents = maxEvents
        self.interval = interval
    }
}
