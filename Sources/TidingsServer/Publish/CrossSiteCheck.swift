import Foundation
import HTTPTypes
import Hummingbird

/// Refuses a cross-site forged `POST /publish` (CSRF) before its body is read.
///
/// With the token in a cookie, the browser would send it along with a form that another site
/// posts (`text/plain`, no preflight). So a cookie-authenticated publish must be
/// `Content-Type: application/json` (which a form cannot send without a CORS preflight) and
/// carry an `Origin` that is the gateway's own or listed by name in `cors.origins` (SPEC §4);
/// `*` does not count, since it grants no credentials. Requests with the token in a header or
/// the query string are not affected: another site cannot set them.
struct CrossSiteCheck: Sendable {
    let cors: CORSPolicy?

    /// - Throws: a 403 ``APIError`` saying which of the two conditions failed.
    func check(_ request: Request) throws(APIError) {
        guard Authenticator.located(in: request)?.source == .cookie else { return }
        guard Self.isJSON(request.headers[.contentType]) else {
            throw APIError(
                status: .forbidden,
                error: "cross_site_refused",
                detail: "a publish authenticated by the tidings_token cookie needs Content-Type: application/json"
            )
        }
        guard let origin = request.headers[.origin] else {
            throw APIError(
                status: .forbidden,
                error: "cross_site_refused",
                detail: "a publish authenticated by the tidings_token cookie needs an Origin header naming an allowed origin"
            )
        }
        guard Self.isSameOrigin(origin, request) || cors?.allowsCredentials(from: origin) == true else {
            throw APIError(
                status: .forbidden,
                error: "cross_site_refused",
                detail: "a publish authenticated by the tidings_token cookie is taken only from an origin listed in cors.origins"
            )
        }
    }

    /// `application/json`, with or without parameters (`; charset=utf-8`).
    static func isJSON(_ contentType: String?) -> Bool {
        guard let contentType else { return false }
        let mediaType = contentType.split(separator: ";", maxSplits: 1).first ?? ""
        return mediaType.trimmingCharacters(in: .whitespaces).lowercased() == "application/json"
    }

    /// Whether `origin` names the host the request was sent to (a page served by the gateway).
    private static func isSameOrigin(_ origin: String, _ request: Request) -> Bool {
        guard let authority = request.head.authority else { return false }
        let origin = origin.lowercased()
        let host = authority.lowercased()
        return origin == "https://\(host)" || origin == "http://\(host)"
    }
}
