/// A parsed `postgres://user:password@host:port/database?sslmode=…` URL.
///
/// postgres-nio takes discrete settings, not URLs; this is the one place that reads them. Its
/// description hides the password, so it is safe to log.
public struct PostgresURL: Sendable, Equatable, CustomStringConvertible {
    /// How the connection uses TLS, as libpq's `sslmode` names it.
    public enum SSLMode: String, Sendable, Equatable, CaseIterable {
        case disable, prefer, require
    }

    public var host: String
    public var port: Int
    public var user: String
    public var password: String?
    public var database: String
    public var sslMode: SSLMode

    public init(host: String, port: Int = 5432, user: String, password: String? = nil, database: String, sslMode: SSLMode = .prefer) {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.database = database
        self.sslMode = sslMode
    }

    /// Parses `text`.
    /// - Throws: ``PostgresURLError`` saying what part is wrong; never echoes the password.
    public init(parsing text: String) throws(PostgresURLError) {
        let scheme: Substring
        guard let schemeEnd = text.firstRange(of: "://") else {
            throw PostgresURLError("expected postgres://user:password@host:5432/database")
        }
        scheme = text[..<schemeEnd.lowerBound]
        guard scheme == "postgres" || scheme == "postgresql" else {
            throw PostgresURLError("the scheme must be postgres:// or postgresql://, not \(scheme)://")
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
                    throw PostgresURLError("the port must be a number from 1 to 65535")
                }
                port = parsed
            }
            host = bracketed
        } else if let colon = host.lastIndex(of: ":") {
            guard let parsed = Int(host[host.index(after: colon)...]), (1...65535).contains(parsed) else {
                throw PostgresURLError("the port must be a number from 1 to 65535")
            }
            port = parsed
            host = String(host[..<colon])
        }
        guard !host.isEmpty else { throw PostgresURLError("the host is missing (postgres://user@HOST:5432/database)") }
        let database = path.isEmpty ? user : Self.percentDecode(path)
        var sslMode = SSLMode.prefer
        for pair in query.split(separator: "&") {
            let keyValue = pair.split(separator: "=", maxSplits: 1)
            let key = keyValue.first.map(String.init) ?? ""
            let value = keyValue.count > 1 ? String(keyValue[1]) : ""
            switch key {
            case "sslmode":
                guard let mode = SSLMode(rawValue: value) else {
                    throw PostgresURLError("sslmode must be disable, prefer or require, not '\(value)'")
                }
                sslMode = mode
            case "application_name", "connect_timeout":
                continue
            default:
                throw PostgresURLError("unknown URL parameter '\(key)' (supported: sslmode)")
            }
        }
        self.init(host: host, port: port, user: user, password: password, database: database, sslMode: sslMode)
    }

    /// The URL with the password replaced by `***`.
    public var description: String {
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

/// Why a Postgres URL was refused. Never contains the password.
public struct PostgresURLError: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
