import HTTPTypes
import TidingsCore

/// Which browser origins may call the gateway (`cors.origins`), and the headers that tell a
/// browser so.
///
/// A listed origin gets credentials (the `tidings_token` cookie), with its own name echoed back.
/// `*` admits every other origin *without* credentials (`Access-Control-Allow-Origin: *`, no
/// `Allow-Credentials`), so a page on any site cannot read a signed-in user's streams through the
/// cookie (SPEC §4). The origin `null` (sandboxed frames, `file:` pages) is admitted only when
/// listed by name: `*` does not cover it, since any page can make itself `null`.
struct CORSPolicy: Sendable {
    private let origins: Set<String>
    private let allowsAnyOrigin: Bool

    static let allowedMethods = "GET, POST, OPTIONS"
    static let allowedHeaders = "Authorization, Content-Type, Last-Event-ID, If-None-Match, Idempotency-Key"
    static let exposedHeaders = "WWW-Authenticate, ETag"
    static let maxAgeSeconds = 600

    /// The policy for `settings`; `nil` when no origin is configured (no CORS at all).
    init?(_ settings: CORSSettings) {
        guard !settings.origins.isEmpty else { return nil }
        self.allowsAnyOrigin = settings.origins.contains("*")
        self.origins = Set(settings.origins.filter { $0 != "*" }.map(Self.normalized))
    }

    /// Whether a request from `origin` may read the gateway's responses.
    func allows(_ origin: String) -> Bool {
        let origin = Self.normalized(origin)
        if origins.contains(origin) { return true }
        return allowsAnyOrigin && origin != "null"
    }

    /// Whether `origin` is listed by name, and so may send credentials: the only origins whose
    /// cookie-authenticated `POST /publish` is taken.
    func allowsCredentials(from origin: String) -> Bool {
        origins.contains(Self.normalized(origin))
    }

    /// Headers for an ordinary response (a stream or an error) to an allowed `origin`.
    func responseHeaders(origin: String) -> HTTPFields {
        var headers: HTTPFields = [.accessControlExposeHeaders: Self.exposedHeaders]
        addOrigin(origin, to: &headers)
        return headers
    }

    /// Headers answering a preflight from an allowed `origin`.
    func preflightHeaders(origin: String) -> HTTPFields {
        var headers: HTTPFields = [
            .accessControlAllowMethods: Self.allowedMethods,
            .accessControlAllowHeaders: Self.allowedHeaders,
            .accessControlMaxAge: String(Self.maxAgeSeconds),
        ]
        addOrigin(origin, to: &headers)
        return headers
    }

    private func addOrigin(_ origin: String, to headers: inout HTTPFields) {
        if allowsCredentials(from: origin) {
            headers[.accessControlAllowOrigin] = origin
            headers[.accessControlAllowCredentials] = "true"
        } else {
            headers[.accessControlAllowOrigin] = "*"
        }
    }

    /// Browsers send scheme and host in lower case and no trailing slash; config files may not.
    private static func normalized(_ origin: String) -> String {
        var origin = origin.lowercased()
        while origin.hasSuffix("/") { origin.removeLast() }
        return origin
    }
}
