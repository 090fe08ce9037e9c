import HTTPTypes
import Logging
import PostgresNIO
import TidingsPostgres

/// Runs a request's database work with a deadline, turning an unreachable PostgreSQL into a
/// 503 rather than a hanging request or a 500, and a value PostgreSQL refuses into a 400 that
/// names `field` (``APIError/refusedByDatabase(sqlState:field:)``).
enum DatabaseCall {
    static func run<Result: Sendable>(
        timeout: Duration = .seconds(10),
        field: String = "the request's parameters",
        logger: Logger,
        _ body: @escaping @Sendable () async throws -> Result
    ) async throws(APIError) -> Result {
        do {
            return try await withThrowingTaskGroup(of: Result?.self) { group in
                group.addTask { try await body() }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    return nil
                }
                defer { group.cancelAll() }
                guard let first = try await group.next(), let result = first else {
                    throw APIError.unavailable("PostgreSQL did not answer within \(timeout); try again shortly")
                }
                return result
            }
        } catch let error as APIError {
            throw error
        } catch let error as ChangeLogError where error.code == .captureUnavailable {
            throw APIError(status: .serviceUnavailable, error: "capture_unavailable", detail: error.message, headers: [.retryAfter: "2"])
        } catch let error as ChangeLogError {
            throw APIError.unavailable(error.message)
        } catch let error as PSQLError {
            if let state = error.serverInfo?[.sqlState], let refused = APIError.refusedByDatabase(sqlState: state, field: field) {
                logger.debug("database refused a value", metadata: ["sqlstate": "\(state)", "field": "\(field)"])
                throw refused
            }
            logger.warning("database call failed", metadata: ["error": "\(String(reflecting: error))"])
            throw APIError.unavailable("PostgreSQL is not reachable now; try again shortly")
        } catch {
            logger.warning("database call failed", metadata: ["error": "\(String(reflecting: error))"])
            throw APIError.unavailable("PostgreSQL is not reachable now; try again shortly")
        }
    }
}
