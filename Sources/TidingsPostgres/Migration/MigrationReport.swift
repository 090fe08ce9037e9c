import TidingsCore

/// What one `tidings migrate` run changed, for the command to print and tests to check.
///
/// A second run with the same config reports nothing applied, installed, updated or removed.
public struct MigrationReport: Sendable, Equatable {
    /// Versions of the migration files applied by this run, in order.
    public var appliedMigrations: [String]
    /// Tables whose capture trigger was created by this run.
    public var installedCaptures: [TableName]
    /// Tables whose capture trigger was replaced because the config (or the table's primary key) changed.
    public var updatedCaptures: [TableName]
    /// Tables whose capture trigger was already up to date.
    public var unchangedCaptures: [TableName]
    /// Tables no longer in the config whose trigger and function were dropped.
    public var removedCaptures: [TableName]
    /// Logical capture's changes: the slot, the publication, replica identities.
    public var notes: [String] = []

    public init(
        appliedMigrations: [String] = [],
        installedCaptures: [TableName] = [],
        updatedCaptures: [TableName] = [],
        unchangedCaptures: [TableName] = [],
        removedCaptures: [TableName] = []
    ) {
        self.appliedMigrations = appliedMigrations
        self.installedCaptures = installedCaptures
        self.updatedCaptures = updatedCaptures
        self.unchangedCaptures = unchangedCaptures
        self.removedCaptures = removedCaptures
    }

    /// Whether the run changed nothing in the database.
    public var changedNothing: Bool {
        appliedMigrations.isEmpty && installedCaptures.isEmpty && updatedCaptures.isEmpty && removedCaptures.isEmpty
            && notes.isEmpty
    }
}
