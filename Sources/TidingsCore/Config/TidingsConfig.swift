/// The gateway's whole configuration, resolved from the YAML file with every default applied.
///
/// Values here are already validated: listeners, selectors, templates and durations are in their
/// parsed forms, so the rest of the gateway never re-checks them. ``ConfigLoader`` is the only
/// producer; tests may build one by hand.
public struct TidingsConfig: Sendable, Equatable {
    /// Where the HTTP server binds, e.g. `0.0.0.0:8443`.
    public var listen: ListenAddress
    /// `nil` means `tls: off`: plain HTTP behind a TLS-terminating proxy.
    public var tls: TLSFiles?
    public var postgres: PostgresSettings
    public var auth: AuthSettings
    public var cors: CORSSettings
    /// Table captures and channel subscriptions, in file order.
    public var topics: [TopicSource]
    public var stream: StreamSettings
    public var publish: PublishSettings
    public var retention: RetentionSettings
    /// Event-loop threads that accept connections and write streams; `nil` (`threads: auto`):
    /// one fewer than the machine's cores, at least one, leaving a core to the change feed's
    /// thread, PostgreSQL and the kernel's network work.
    public var threads: Int?
    public var limits = LimitsSettings()
    public var metrics = MetricsSettings()
    /// Triggers or logical capture, and the logical mode's slot and publication.
    public var capture: CaptureSettings

    public init(
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
    public var tables: [TableCapture] {
        topics.compactMap { if case .table(let capture) = $0 { capture } else { nil } }
    }

    /// The NOTIFY channel subscriptions only, in file order.
    public var channels: [ChannelSource] {
        topics.compactMap { if case .channel(let channel) = $0 { channel } else { nil } }
    }
}

/// A host and port to bind.
public struct ListenAddress: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }
    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// PEM files for the server's certificate chain and key.
public struct TLSFiles: Sendable, Equatable {
    public var certificate: String
    public var key: String
    public init(certificate: String, key: String) {
        self.certificate = certificate
        self.key = key
    }
}

/// How to reach PostgreSQL.
public struct PostgresSettings: Sendable, Equatable {
    /// A `postgres://user:pass@host:port/db?sslmode=…` URL, already checked by ``PostgresURL``.
    public var url: PostgresURL
    public init(url: PostgresURL) { self.url = url }
}

/// Token verification and the topics open to everyone.
public struct AuthSettings: Sendable, Equatable {
    public var jwt: JWTSettings
    /// Selectors anyone may subscribe to without a token.
    public var `public`: [Selector]
    /// Open `/events` streams allowed per token string; 0 means unlimited.
    public var maxStreamsPerToken: Int
    public init(jwt: JWTSettings, public: [Selector] = [], maxStreamsPerToken: Int = 0) {
        self.jwt = jwt
        self.public = `public`
        self.maxStreamsPerToken = maxStreamsPerToken
    }
}

/// The signing algorithms a deployment may pin. Exactly one is accepted at a time.
public enum JWTAlgorithmName: String, Sendable, Equatable, CaseIterable {
    case hs256 = "HS256"
    case hs384 = "HS384"
    case hs512 = "HS512"
    case rs256 = "RS256"
    case es256 = "ES256"
    case eddsa = "EdDSA"

    /// Whether the key is a shared secret (`secret:`) rather than a public key or JWKS.
    public var isHMAC: Bool { self == .hs256 || self == .hs384 || self == .hs512 }
}

/// Where the verification key comes from.
public enum JWTKeySource: Sendable, Equatable {
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
public struct JWTSettings: Sendable, Equatable {
    public var algorithm: JWTAlgorithmName
    public var key: JWTKeySource
    public var issuer: String?
    public var audience: String?
    /// The claim that holds `subscribe` and `publish` selector lists.
    public var claim: String
    /// Clock skew allowed on `exp` and `nbf`.
    public var leeway: Duration
    /// How often a `jwks_url` key set is fetched again.
    public var jwksRefresh: Duration = .seconds(600)
    public init(
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
public struct CORSSettings: Sendable, Equatable {
    public var origins: [String]
    public init(origins: [String] = []) { self.origins = origins }
}

/// One entry of `topics:`: a captured table or a plain NOTIFY channel.
public enum TopicSource: Sendable, Equatable {
    case table(TableCapture)
    case channel(ChannelSource)
}

/// The operations a capture can record: three per row, and `truncate` once per statement.
public enum ChangeOperation: String, Sendable, Equatable, CaseIterable, Comparable {
    case insert, update, delete, truncate
    public static func < (lhs: Self, rhs: Self) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// What of the old row an update or delete carries.
public enum OldRowMode: String, Sendable, Equatable {
    /// The primary key columns only.
    case key
    /// Every captured column.
    case full
    /// Nothing: no `old` key in the event.
    case none
}

/// A qualified table name, `schema.table`; `public` is assumed when the schema is left out.
public struct TableName: Sendable, Hashable, CustomStringConvertible {
    public var schema: String
    public var name: String
    public init(schema: String, name: String) {
        self.schema = schema
        self.name = name
    }
    /// `public.orders`.
    public var description: String { "\(schema).\(name)" }
    /// The event-name prefix: the schema is left out for `public` (`orders`, `audit.log`).
    public var eventPrefix: String { schema == "public" ? name : "\(schema).\(name)" }
}

/// One captured table: which topics its rows publish to, and what each event carries.
public struct TableCapture: Sendable, Equatable {
    public var table: TableName
    public var topics: [TopicTemplate]
    /// Operations to capture; all four by default.
    public var events: [ChangeOperation]
    /// Columns carried in `new`/`old`; `nil` means all columns.
    public var columns: [String]?
    public var old: OldRowMode
    /// The line of the entry in the config file, for errors found later (e.g. by `check --database`).
    public var line: Int
    public init(
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
public struct ChannelSource: Sendable, Equatable {
    public var channel: String
    public var topics: [TopicTemplate]
    public var line: Int
    public init(channel: String, topics: [TopicTemplate], line: Int = 0) {
        self.channel = channel
        self.topics = topics
        self.line = line
    }
}

/// Settings of each `/events` stream.
public struct StreamSettings: Sendable, Equatable {
    public var heartbeat: Duration
    /// The `retry:` hint sent first on every stream.
    public var retry: Duration
    public var maxSelectors: Int
    /// Events queued per subscriber before it is cut off.
    public var buffer: Int
    public init(heartbeat: Duration = .seconds(15), retry: Duration = .seconds(2), maxSelectors: Int = 32, buffer: Int = 1024) {
        self.heartbeat = heartbeat
        self.retry = retry
        self.maxSelectors = maxSelectors
        self.buffer = buffer
    }
}

/// Limits of `POST /publish`.
public struct PublishSettings: Sendable, Equatable {
    /// Bodies larger than this many bytes get 413.
    public var maxBody: Int
    public init(maxBody: Int = 64 * 1024) { self.maxBody = maxBody }
}

/// How long the change log keeps events.
public struct RetentionSettings: Sendable, Equatable {
    public var maxAge: Duration
    /// 0 means no cap.
    public var maxEvents: Int
    public var interval: Duration
    public init(maxAge: Duration = .seconds(7 * 86_400), maxEvents: Int = 0, interval: Duration = .seconds(60)) {
        self.maxAge = maxAge
        self.maxEvents = maxEvents
        self.interval = interval
    }
}
