/// One SQL file of `Migrations/`, applied once and recorded by its ``version``.
public struct MigrationFile: Sendable, Equatable {
    /// The file name, e.g. `0001_change_log.sql`; files apply in name order.
    public var name: String
    public var sql: String

    public init(name: String, sql: String) {
        self.name = name
        self.sql = sql
    }

    /// The name without `.sql`, as recorded in `tidings.schema_migrations.version`.
    public var version: String {
        name.hasSuffix(".sql") ? String(name.dropLast(4)) : name
    }
}
