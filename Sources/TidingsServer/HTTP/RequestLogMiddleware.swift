import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// Logs each request at `debug` with its method, path, query and status, with the
/// `access_token` value replaced by `***`.
///
/// Hummingbird's `LogRequestsMiddleware` logs the whole URI, query included, so a token sent as
/// `access_token` (the only way `EventSource` can send one) would reach the log. Headers are not
/// logged at all: `Authorization` and `Cookie` carry tokens.
struct RequestLogMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard context.logger.logLevel <= .debug else { return try await next(request, context) }
        do {
            let response = try await next(request, context)
            log(request, status: response.status, context: context)
            return response
        } catch let error as any HTTPResponseError {
            log(request, status: error.status, context: context)
            throw error
        }
    }

    private func log(_ request: Request, status: HTTPResponse.Status, context: Context) {
        var target = request.uri.path
        if let query = request.uri.query, !query.isEmpty { target += "?" + Self.redacted(query: query) }
        context.logger.debug(
            "Request",
            metadata: [
                "tidings.request.method": .string(request.method.rawValue),
                "tidings.request.target": .string(target),
                "tidings.response.status": .stringConvertible(status.code),
            ]
        )
    }

    /// `query` with the value of every `access_token` parameter (however percent-encoded its
    /// name) replaced by `***`.
    static func redacted(query: String) -> String {
        query.split(separator: "&", omittingEmptySubsequences: false).map { pair -> String in
            let name = pair.prefix { $0 != "=" }
            let decoded = String(name).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(name)
            return decoded.lowercased() == "access_token" ? "\(name)=***" : String(pair)
        }.joined(separator: "&")
    }
}
