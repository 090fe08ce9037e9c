import Logging
package import PostgresNIO
package import TidingsCore

/// What `capture.mode: logical` needs of the server and is missing: `wal_level=logical`, a role
/// that may replicate, a free replication slot, and (once migrated) the slot and publication.
/// Each problem says the exact fix. `tidings check --database` prints them; `migrate` refuses to
/// start on the first two.
package enum LogicalCaptureCheck {
    /// - Parameter migrated: also require the slot and the publication, which `migrate` creates.
    package static func problems(
        _ settings: CaptureSettings,
        migrated: Bool,
        on connection: PostgresConnection,
        logger: Logger
    ) async throws -> [String] {
        var problems: [String] = []
        let rows = try await connection.query(
            """
            SELECT current_setting('wal_level'), current_user::text, (r.rolreplication OR r.rolsuper),
                EXISTS (SELECT 1 FROM pg_catalog.pg_replication_slots WHERE slot_name = \(settings.slot)),
                coalesce((SELECT plugin::text FROM pg_catalog.pg_replication_slots WHERE slot_name = \(settings.slot)), ''),
                EXISTS (SELECT 1 FROM pg_catalog.pg_publication WHERE pubname = \(settings.publication))
            FROM pg_catalog.pg_roles AS r WHERE r.rolname = current_user
            """,
            logger: logger
        )
        for try await (walLevel, role, mayReplicate, hasSlot, plugin, hasPublication) in rows.decode(
            (String, String, Bool, Bool, String, Bool).self
        ) {
            if walLevel != "logical" {
                problems.append(
                    "capture.mode logical needs wal_level=logical, and the server has wal_level=\(walLevel): "
                        + "run ALTER SYSTEM SET wal_level = logical; then restart PostgreSQL"
                )
            }
            if !mayReplicate {
                problems.append(
                    "capture.mode logical needs a role with the REPLICATION attribute, and \(role) has none: "
                        + "run ALTER ROLE \(SQLText.identifier(role)) REPLICATION; as a superuser"
                )
            }
            if hasSlot, plugin != "pgoutput" {
                problems.append(
                    "the replication slot \(settings.slot) uses the \(plugin) plugin, not pgoutput: "
                        + "set capture.slot to another name, or drop it with SELECT pg_drop_replication_slot('\(settings.slot)')"
                )
            }
            if migrated, !hasSlot {
                problems.append("the replication slot \(settings.slot) does not exist: run tidings migrate, which creates it")
            }
            if migrated, !hasPublication {
                problems.append("the publication \(settings.publication) does not exist: run tidings migrate, which creates it")
            }
        }
        return problems
    }

    /// Creates the publication, with no tables yet, unless it exists.
    package static func ensurePublication(_ settings: CaptureSettings, on connection: PostgresConnection, logger: Logger) async throws {
        let rows = try await connection.query(
            "SELECT count(*)::int8 FROM pg_catalog.pg_publication WHERE pubname = \(settings.publication)",
            logger: logger
        )
        var exists = false
        for try await (count) in rows.decode(Int64.self) { exists = count > 0 }
        guard !exists else { return }
        try await connection.perform(
            PostgresQuery(
                unsafeSQL: "CREATE PUBLICATION \(SQLText.identifier(settings.publication)) WITH (publish_via_partition_root = true)"
            ),
            logger: logger
        )
    }

    /// Creates the slot unless it exists. Must run outside a transaction that has written.
    /// - Returns: whether it was created.
    package static func ensureSlot(_ settings: CaptureSettings, on connection: PostgresConnection, logger: Logger) async throws -> Bool {
        let rows = try await connection.query(
            """
            SELECT pg_catalog.pg_create_logical_replication_slot(\(settings.slot), 'pgoutput') IS NOT NULL
            WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_replication_slots WHERE slot_name = \(settings.slot))
            """,
            logger: logger
        )
        var created = false
        for try await (made) in rows.decode(Bool.self) { created = made }
        return created
    }

    /// Drops the slot if it exists. - Returns: whether it existed.
    package static func dropSlot(_ slot: String, on connection: PostgresConnection, logger: Logger) async throws -> Bool {
        let rows = try await connection.query(
            """
            SELECT pg_catalog.pg_drop_replication_slot(slot_name) IS NULL
            FROM pg_catalog.pg_replication_slots WHERE slot_name = \(slot)
            """,
            logger: logger
        )
        var dropped = false
        for try await _ in rows.decode(Bool.self) { dropped = true }
        return dropped
    }
}
