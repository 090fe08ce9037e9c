import HTTPTypes
import Hummingbird

/// Applies a ``CORSPolicy`` to every route: answers preflights itself and adds the CORS headers
/// to every response for an allowed origin, errors included, so a browser page can read why it
/// was refused.
///
/// A request from an origin outside the policy is served without CORS headers (the browser then
/// hides the response from the page); its preflight gets a 403 JSON error. Requests without an
/// `Origin` header are not cross-origin and pass untouched.
struct CORSMiddleware<Context: RequestContext>: RouterMiddleware {
    let policy: CORSPolicy

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let origin = request.headers[.origin] else { return try await next(request, context) }
        let allowed = policy.allows(origin)
        if request.method == .options, request.headers[.accessControlRequestMethod] != nil {
            guard allowed else { return try Self.varying(APIError.originNotAllowed(origin).response(from: request, context: context)) }
            return Self.varying(Response(status: .noContent, headers: policy.preflightHeaders(origin: origin)))
        }
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as any HTTPResponseError {
            response = try error.response(from: request, context: context)
        }
        if allowed {
            response.headers.append(contentsOf: policy.responseHeaders(origin: origin))
        }
        return Self.varying(response)
    }

    /// Marks a response as depending on `Origin`, so a shared cache keeps one copy per origin.
    private static func varying(_ response: Response) -> Response {
        var response = response
        if !response.headers[values: .vary].contains(where: { $0.lowercased() == "origin" }) {
            response.headers[values: .vary].append("Origin")
        }
        return response
    }
}
