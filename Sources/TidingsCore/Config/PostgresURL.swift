/// A parsed `postgres://user:password@host:port/database?sslmode=…` URL.
///
/// postgres-nio takes discrete settings, not URLs; this is the one place that reads them. Its
/// description hides the password, so it is safe to log.
package struct PostgresURL: Sendable, Equatable, CustomStringConvertible {
    /// How the connection uses TLS, as libpq's `sslmode` names it.
    ///
    /// `verify-ca` checks the server's certificate chain against `sslrootcert` (or the system's
    /// roots); `verify-full` also checks that it names the host. Only these two stop someone on
    /// the path from reading every change and injecting rows into the feed.
    package enum SSLMode: String, Sendable, Equatable, CaseIterable {
        case disable, allow, prefer, require
        case verifyCA = "verify-ca"
        case verifyFull = "verify-full"
    }

    package var host: String
    package var port: Int
    package var user: String
    package var password: String?
    package var database: String
    package var sslMode: SSLMode
    /// `sslrootcert`: a PEM file of the certificate authorities `verify-ca`/`verify-full` trust;
    /// `nil` or `system` means the system's trust roots.
    package var sslRootCert: String?
    /// `application_name`, shown in `pg_stat_activity`; `tidings` unless the URL names one.
    package var applicationName: String = "tidings"
    /// `connect_timeout`, in seconds; `nil` leaves postgres-nio's default (10 s).
    package var connectTimeout: Int?
    /// `options`, passed to the server as the startup parameter of that name (`-c name=value`).
    package var options: String?
    /// What the URL asked for that the gateway does not do, each with why: shown by `check`
    /// and logged by `serve`.
    package var notes: [String] = []

    package init(host: String, port: Int = 5432, user: String, password: String? = nil, database: String, sslMode: SSLMode = .prefer) {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.database = database
        self.sslMode = sslMode
    }

    /// Parses `text`.
    /// - Throws: ``PostgresURLError`` saying what part is wrong; never echoes the password.
    package init(parsing text: String) throws(PostgresURLError) {
        let scheme: Substring
        guard let schemeEnd = text.firstRange(of: "://") else {
            throw PostgresURLError(.malformed, "expected postgres://user:password@host:5432/database")
        }
        scheme = text[..<schemeEnd.lowerBound]
        guard scheme == "postgres" || scheme == "postgresql" else {
            throw PostgresURLError(.unsupportedScheme, "the scheme must be postgres:// or postgresql://, not \(scheme)://")
        }
        var rest = text[schemeEnd.upperBound...]
        var query: Substring = ""
        if let questionMark = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: questionMark)...]
            rest = rest[..<questionMark]
        }
        var path: Substring = ""
        if let slash = rest.firstIndex(of: "/") {
            path = rest[rest.index(after: slash)...]
            rest = rest[..<slash]
        }
        var userInfo: Substring = ""
        if let at = rest.lastIndex(of: "@") {
            userInfo = rest[..<at]
            rest = rest[rest.index(after: at)...]
        }
        var user = "postgres"
        var password: String?
        if !userInfo.isEmpty {
            if let colon = userInfo.firstIndex(of: ":") {
                user = Self.percentDecode(userInfo[..<colon])
                password = Self.percentDecode(userInfo[userInfo.index(after: colon)...])
            } else {
                user = Self.percentDecode(userInfo)
            }
        }
        var host = String(rest)
        var port = 5432
        if host.hasPrefix("["), let close = host.firstIndex(of: "]") {
            let after = host[host.index(after: close)...]
            let bracketed = String(host[host.index(after: host.startIndex)..<close])
            if after.hasPrefix(":") {
                guard let parsed = Int(after.dropFirst()), (1...65535).contains(parsed) else {
                    throw PostgresURLError(.invalidPort, "the port must be a number from 1 to 65535")
                }
                port = parsed
            }
            host = bracketed
        } else if let colon = host.lastIndex(of: ":") {
            guard let parsed = Int(host[host.index(after: colon)...]), (1...65535).contains(parsed) else {
                throw PostgresURLError(.invalidPort, "the port must be a number from 1 to 65535")
            }
            port = parsed
            host = String(host[..<colon])
        }
        guard !host.isEmpty else { throw PostgresURLError(.missingHost, "the host is missing (postgres://user@HOST:5432/database)") }
        let database = path.isEmpty ? user : Self.percentDecode(path)
        var sslMode = SSLMode.prefer
        var parameters: [(key: String, value: String)] = []
        for pair in query.split(separator: "&") {
            let keyValue = pair.split(separator: "=", maxSplits: 1)
            let key = keyValue.first.map(String.init) ?? ""
            let value = keyValue.count > 1 ? Self.percentDecode(keyValue[1]) : ""
            if key == "sslmode" {
                guard let mode = SSLMode(rawValue: value) else {
                    let modes = SSLMode.allCases.map(\.rawValue).joined(separator: ", ")
                    throw PostgresURLError(.invalidValue, "sslmode must be one of \(modes), not '\(value)'")
                }
                sslMode = mode
            } else {
                parameters.append((key, value))
            }
        }
        self.init(host: host, port: port, user: user, password: password, database: database, sslMode: sslMode)
        for (key, value) in parameters { try apply(key, value) }
        if let note = Self.poolerNote(host: host, parameters: parameters) { notes.append(note) }
    }

    /// Takes one libpq URL parameter other than `sslmode`: honoured, noted as ignored, or refused.
    private mutating func apply(_ key: String, _ value: String) throws(PostgresURLError) {
        switch key {
        case "sslrootcert":
            sslRootCert = value == "system" || value.isEmpty ? nil : value
        case "application_name":
            if !value.isEmpty { applicationName = value }
        case "connect_timeout":
            guard let seconds = Int(value), seconds >= 0 else {
                throw PostgresURLError(.invalidValue, "connect_timeout must be a whole number of seconds, not '\(value)'")
            }
            // libpq: 0 means wait indefinitely; postgres-nio needs a bound, so keep its default.
            connectTimeout = seconds == 0 ? nil : max(2, seconds)
        case "options":
            options = value.isEmpty ? nil : value
        case "sslcert", "sslkey", "sslpassword":
            throw PostgresURLError(
                .unsupportedParameter,
                "\(key): client certificates are not supported; authenticate with a password in the URL"
            )
        case "channel_binding", "target_session_attrs", "gssencmode", "sslcompression", "sslsni", "sslcrl", "sslcrldir",
            "ssl_min_protocol_version", "ssl_max_protocol_version", "keepalives", "keepalives_idle", "keepalives_interval",
            "keepalives_count", "tcp_user_timeout", "krbsrvname", "gsslib", "passfile", "requirepeer", "load_balance_hosts",
            "require_auth", "fallback_application_name", "client_encoding", "pgbouncer", "pool_mode", "statement_cache_size":
            notes.append(Self.ignoredNote(key, value))
        default:
            throw PostgresURLError(
                .unsupportedParameter,
                "unknown URL parameter '\(key)' (libpq's sslmode, sslrootcert, application_name, connect_timeout, options and the like are taken)"
            )
        }
    }

    private static func ignoredNote(_ key: String, _ value: String) -> String {
        switch key {
        case "channel_binding":
            "channel_binding is ignored: SCRAM without channel binding is used; sslmode=verify-full is what protects the connection"
        case "target_session_attrs":
            "target_session_attrs is ignored: the URL names one host, and the gateway needs a primary that accepts writes"
        case "client_encoding":
            "client_encoding is ignored: the gateway always speaks UTF-8"
        case "ssl_min_protocol_version", "ssl_max_protocol_version":
            "\(key) is ignored: the gateway always requires TLS 1.2 or newer when it uses TLS"
        case "pgbouncer", "pool_mode", "statement_cache_size":
            "\(key) is ignored: it is a setting for connection poolers, which the gateway does not use"
        default:
            "\(key) is ignored: the gateway's PostgreSQL client has no such setting"
        }
    }

    /// A warning when the URL looks like a transaction-mode connection pooler (PgBouncer, a
    /// provider's `-pooler` host): LISTEN does not work through one, so the gateway would never
    /// hear a wake-up. `check --database` tests it for real.
    private static func poolerNote(host: String, parameters: [(key: String, value: String)]) -> String? {
        let saysPooler = parameters.contains { ($0.key == "pgbouncer" && $0.value == "true") || $0.key == "pool_mode" }
        guard saysPooler || host.lowercased().contains("pooler") else { return nil }
        return "this URL looks like a connection pooler (PgBouncer or a provider's pooler host): LISTEN does not work "
            + "through a transaction-mode pooler, so the gateway would hear no wake-ups; use the database's direct "
            + "address (or a session-mode pooler) for the gateway"
    }

    /// The URL with the password replaced by `***`.
    package var description: String {
        let credentials = password == nil ? user : "\(user):***"
        let shownHost = host.contains(":") ? "[\(host)]" : host
        return "postgres://\(credentials)@\(shownHost):\(port)/\(database)?sslmode=\(sslMode.rawValue)"
    }

    private static func percentDecode(_ text: Substring) -> String {
        guard text.contains("%") else { return String(text) }
        var bytes: [UInt8] = []
        var index = text.utf8.startIndex
        let utf8 = text.utf8
        while index < utf8.endIndex {
            let byte = utf8[index]
            if byte == UInt8(ascii: "%"),
                let high = utf8.index(index, offsetBy: 1, limitedBy: utf8.endIndex), high < utf8.endIndex,
                let low = utf8.index(index, offsetBy: 2, limitedBy: utf8.endIndex), low < utf8.endIndex,
                let value = UInt8(String(decoding: [utf8[high], utf8[low]], as: UTF8.self), radix: 16)
            {
                bytes.append(value)
                index = utf8.index(index, offsetBy: 3)
            } else {
                bytes.append(byte)
                index = utf8.index(after: index)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// Why a Postgres URL was refused: a code and a message that names the part to fix. Never
/// contains the password.
package struct PostgresURLError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kind of refusal, for callers that branch on it.
    package struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case malformed, unsupportedScheme, invalidPort, missingHost, invalidValue, unsupportedParameter, unreadableRootCertificate
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// Not a `postgres://` URL at all.
        package static let malformed = Self(.malformed)
        /// A scheme other than `postgres://` or `postgresql://`.
        package static let unsupportedScheme = Self(.unsupportedScheme)
        /// A port that is not a number from 1 to 65535.
        package static let invalidPort = Self(.invalidPort)
        /// No host.
        package static let missingHost = Self(.missingHost)
        /// A parameter the gateway takes, with a value it cannot use (`sslmode`, `connect_timeout`).
        package static let invalidValue = Self(.invalidValue)
        /// A parameter the gateway does not take (client certificates, unknown names).
        package static let unsupportedParameter = Self(.unsupportedParameter)
        /// `sslrootcert` names a file that cannot be read as PEM certificates.
        package static let unreadableRootCertificate = Self(.unreadableRootCertificate)

        package var description: String { base.rawValue }
    }

    package let code: Code
    /// What is wrong and what is accepted, e.g. `the port must be a number from 1 to 65535`.
    package let message: String

    package init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    package var description: String { message }
}
