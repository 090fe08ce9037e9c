import Logging
import PostgresNIO
import TidingsCore

extension SchemaInspector {
    /// Captures that no longer match what `tidings migrate` would install for the config and the
    /// tables as they are now (a primary key changed, a changed config), and captures
    /// that met problems in the application's writes since they were installed. Captures in
    /// `broken` already have a catalog problem: only what they met is added. Capture keeps
    /// working meanwhile (a missing column is `null`); each problem names the config line.
    /// `triggers` is false in `capture.mode: logical` (builders installed, no trigger).
    static func drift(
        _ captures: [TableCapture],
        broken: Set<TableName>,
        shapes: [TableName: TableShape],
        configFile: String,
        triggers: Bool = true,
        on connection: PostgresConnection,
        logger: Logger
    ) async throws -> [SchemaProblem] {
        var installed: [String: String] = [:]
        var recorded: [String: [String]] = [:]
        let hasRegistry = try await connection.query(
            "SELECT to_regclass('tidings.capture_problems') IS NOT NULL AND to_regclass('tidings.captures') IS NOT NULL",
            logger: logger
        )
        var ready = false
        for try await found in hasRegistry.decode(Bool.self) { ready = found }
        guard ready else { return [] }
        for try await (table, hash) in try await connection.query(
            "SELECT table_name, coalesce(config_hash, '') FROM tidings.captures",
            logger: logger
        ).decode((String, String).self) {
            installed[table] = hash
        }
        for try await (table, problem, count) in try await connection.query(
            "SELECT table_name, problem, count FROM tidings.capture_problems ORDER BY table_name, problem",
            logger: logger
        ).decode((String, String, Int64).self) {
            recorded[table, default: []].append("\(problem) (\(count) times)")
        }
        var problems: [SchemaProblem] = []
        let names = CaptureFunction.functionNames(for: captures.map(\.table))
        for capture in captures {
            guard let shape = shapes[capture.table], let name = names[capture.table] else { continue }
            func problem(_ message: String) {
                problems.append(SchemaProblem(file: configFile, line: capture.line, table: capture.table, message: message))
            }
            let key = capture.table.description
            let wanted = CaptureFunction(capture: capture, shape: shape, functionName: name, triggers: triggers).hash
            switch installed[key] {
            case nil:
                // Not installed yet: `migrate` installs it; nothing has drifted.
                break
            case .some(let hash) where hash != wanted && !broken.contains(capture.table):
                problem(
                    "the capture installed on \(capture.table) differs from what the config and the table need now "
                        + "(its primary key or the config entry changed): run `tidings migrate`"
                )
            default:
                break
            }
            for message in recorded[key] ?? [] {
                problem(
                    "capture of \(capture.table) met a problem in the application's writes: \(message); fix the table or the config, then run `tidings migrate`"
                )
            }
        }
        return problems
    }
}
