/// One SQL file of `Migrations/`, applied once and recorded by its ``version``.
package struct MigrationFile: Sendable, Equatable {
    /// The file name, e.g. `0001_change_log.sql`; files apply in name order.
    package var name: String
    package var sql: String

    package init(name: String, sql: String) {
        self.name = name
        self.sql = sql
    }

    /// The name without `.sql`, as recorded in `tidings.schema_migrations.version`.
    package var version: String {
        name.hasSuffix(".sql") ? String(name.dropLast(4)) : name
    }
}
