import Foundation
import Hummingbird
import TidingsCore

/// Finds a request's token (header, `access_token` query parameter or `tidings_token` cookie)
/// and decides what the request may see.
///
/// A request without a token gets the public selectors; a request with a bad token is refused
/// with 401 even when it asks only for public topics, so a client learns its token is broken.
struct Authenticator: Sendable {
    let verifier: TokenVerifier
    let publicSelectors: [Selector]

    func access(for request: Request) async throws(APIError) -> Access {
        guard let token = Self.token(in: request) else { return .anonymous(public: publicSelectors) }
        let verified = try await verifier.verify(token)
        let remaining = verified.validUntil.timeIntervalSinceNow
        return Access(
            subscribe: verified.subscribe + publicSelectors,
            publish: verified.publish,
            hasToken: true,
            expiresAt: ContinuousClock.now.advanced(by: .milliseconds(Int64(max(0, remaining) * 1000))),
            identity: TokenIdentity(verifiedToken: token),
            subject: verified.subject
        )
    }

    /// The token a request carries, in the order: `Authorization: Bearer`, `access_token`, cookie.
    static func token(in request: Request) -> String? {
        located(in: request)?.token
    }

    /// The token a request carries and where it was found: a cookie is sent by the browser on
    /// its own, so requests authenticated by one need cross-site checks (``CrossSiteCheck``).
    static func located(in request: Request) -> (token: String, source: TokenSource)? {
        if let header = request.headers[.authorization] {
            let parts = header.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "bearer" {
                return (String(parts[1].trimmingCharacters(in: .whitespaces)), .header)
            }
        }
        if let query = request.uri.queryParameters.get("access_token"), !query.isEmpty { return (query, .query) }
        for cookieHeader in request.headers[values: .cookie] {
            for pair in cookieHeader.split(separator: ";") {
                let trimmed = pair.trimmingCharacters(in: .whitespaces)
                if trimmed.hasPrefix("tidings_token=") {
                    let value = String(trimmed.dropFirst("tidings_token=".count))
                    if !value.isEmpty { return (value, .cookie) }
                }
            }
        }
        return nil
    }
}
