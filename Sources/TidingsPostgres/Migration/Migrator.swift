import Logging
import PostgresNIO
import TidingsCore

/// `tidings migrate`: applies the pending files of `Migrations/`, then makes the capture triggers
/// match the config, all in one transaction.
///
/// A session advisory lock serialises concurrent migrators (two gateways starting together): the
/// second waits, then finds everything done. Any failure rolls the whole run back, so the
/// database is either fully migrated or untouched; the error names the migration file and
/// statement, or the config line, with the server's message. Running it again with the same
/// config changes nothing and takes no table locks.
public struct Migrator: Sendable {
    private let url: PostgresURL
    private let logger: Logger
    private let migrations: MigrationSource
    private let configFile: String

    /// - Parameters:
    ///   - migrations: the SQL files; the ones shipped with Tidings unless a test injects others.
    ///   - configFile: the config's name as errors should show it (`tidings.yaml:14: …`).
    public init(url: PostgresURL, logger: Logger, migrations: MigrationSource = .bundled, configFile: String = "tidings.yaml") {
        self.url = url
        self.logger = logger
        self.migrations = migrations
        self.configFile = configFile
    }

    /// Migrates the database and installs `config`'s captures.
    /// - Throws: ``MigrationError``; nothing has changed when it throws.
    public func migrate(config: TidingsConfig) async throws -> MigrationReport {
        let files = try migrations.files()
        return try await PostgresSession.withConnection(url: url, logger: logger) { connection in
            try await connection.perform("SELECT pg_advisory_lock(\(AdvisoryLockKey.migration))", logger: logger)
            do {
                var slotCreated = false
                if config.capture.mode == .logical {
                    slotCreated = try await prepareLogicalCapture(config.capture, on: connection)
                }
                var report = try await migrate(files: files, captures: config.tables, capture: config.capture, on: connection)
                if slotCreated { report.notes.insert("created replication slot \(config.capture.slot)", at: 0) }
                try? await connection.perform("SELECT pg_advisory_unlock(\(AdvisoryLockKey.migration))", logger: logger)
                return report
            } catch {
                try? await connection.perform("SELECT pg_advisory_unlock(\(AdvisoryLockKey.migration))", logger: logger)
                throw error
            }
        }
    }

    private func migrate(
        files: [MigrationFile],
        captures: [TableCapture],
        capture: CaptureSettings,
        on connection: PostgresConnection
    ) async throws -> MigrationReport {
        try await connection.perform("BEGIN", logger: logger)
        do {
            var report = MigrationReport()
            try await connection.perform("CREATE SCHEMA IF NOT EXISTS tidings", logger: logger)
            try await connection.perform(
                "CREATE TABLE IF NOT EXISTS tidings.schema_migrations (version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
                logger: logger
            )
            var applied: Set<String> = []
            let rows = try await connection.query("SELECT version FROM tidings.schema_migrations", logger: logger)
            for try await (version) in rows.decode(String.self) { applied.insert(version) }
            for file in files where !applied.contains(file.version) {
                try await apply(file, on: connection)
                report.appliedMigrations.append(file.version)
            }
            let (problems, shapes) = try await SchemaInspector.inspect(captures, configFile: configFile, on: connection, logger: logger)
            guard problems.isEmpty else {
                let lines = problems.map(\.description).joined(separator: "\n")
                throw MigrationError(
                    .schemaMismatch,
                    "the config does not match the database; nothing was changed:\n\(lines)",
                    problems: problems
                )
            }
            let installer = CaptureInstaller(connection: connection, logger: logger, configFile: configFile)
            // In logical mode no table carries a trigger: the capturer reads the WAL and calls the
            // same event builders.
            let outcome = try await installer.apply(captures, shapes: shapes, triggers: capture.mode != .logical)
            if capture.mode == .logical {
                report.notes += try await LogicalCaptureInstaller(connection: connection, logger: logger, configFile: configFile)
                    .apply(captures, shapes: shapes, settings: capture)
            } else {
                try await ChangeLog.recordTriggerCapture(on: connection, logger: logger)
            }
            report.installedCaptures = outcome.installed
            report.updatedCaptures = outcome.updated
            report.unchangedCaptures = outcome.unchanged
            report.removedCaptures = outcome.removed
            try await connection.perform("COMMIT", logger: logger)
            logger.info(
                "migrated",
                metadata: [
                    "applied": "\(report.appliedMigrations)", "installed": "\(report.installedCaptures)",
                    "updated": "\(report.updatedCaptures)", "removed": "\(report.removedCaptures)",
                ]
            )
            return report
        } catch {
            try? await connection.perform("ROLLBACK", logger: logger)
            if let error = error as? MigrationError { throw error }
            throw MigrationError(.migrationFailed, "migration failed and was rolled back: \(PostgresErrorText.describe(error))")
        }
    }

    /// Checks what logical capture needs of the server, then creates the slot, before the
    /// migration's transaction: a slot cannot be created in a transaction that has written, and
    /// it must exist before the triggers go, so that no commit falls between the two.
    private func prepareLogicalCapture(_ capture: CaptureSettings, on connection: PostgresConnection) async throws -> Bool {
        let problems: [String]
        do {
            problems = try await LogicalCaptureCheck.problems(capture, migrated: false, on: connection, logger: logger)
        } catch {
            throw MigrationError(.captureFailed, "\(configFile): cannot check logical capture: \(PostgresErrorText.describe(error))")
        }
        guard problems.isEmpty else {
            throw MigrationError(.captureFailed, problems.map { "\(configFile): \($0)" }.joined(separator: "\n") + "\nnothing was changed")
        }
        do {
            // pgoutput looks the publication up as of each change it decodes: one created after
            // the slot would be missing for the changes in between, and the slot stuck there.
            try await LogicalCaptureCheck.ensurePublication(capture, on: connection, logger: logger)
            return try await LogicalCaptureCheck.ensureSlot(capture, on: connection, logger: logger)
        } catch {
            throw MigrationError(
                .captureFailed,
                "\(configFile): creating the publication \(capture.publication) or the replication slot \(capture.slot) failed: \(PostgresErrorText.describe(error))"
            )
        }
    }

    private func apply(_ file: MigrationFile, on connection: PostgresConnection) async throws {
        let statements = SQLScript(file.sql).statements
        for (index, statement) in statements.enumerated() {
            do {
                try await connection.perform(PostgresQuery(unsafeSQL: statement.text), logger: logger)
            } catch {
                throw MigrationError(
                    .migrationFailed,
                    "Migrations/\(file.name), statement \(index + 1) (line \(statement.line)): \(PostgresErrorText.describe(error)); "
                        + "the migration was rolled back, nothing was changed"
                )
            }
        }
        try await connection.perform("INSERT INTO tidings.schema_migrations (version) VALUES (\(file.version))", logger: logger)
        logger.debug("applied migration", metadata: ["file": "\(file.name)", "statements": "\(statements.count)"])
    }
}
