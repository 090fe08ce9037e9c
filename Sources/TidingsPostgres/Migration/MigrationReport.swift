package import TidingsCore

/// What one `tidings migrate` run changed, for the command to print and tests to check.
///
/// A second run with the same config reports nothing applied, installed, updated or removed.
package struct MigrationReport: Sendable, Equatable {
    /// Versions of the migration files applied by this run, in order.
    package var appliedMigrations: [String]
    /// Tables whose capture trigger was created by this run.
    package var installedCaptures: [TableName]
    /// Tables whose capture trigger was replaced because the config (or the table's primary key) changed.
    package var updatedCaptures: [TableName]
    /// Tables whose capture trigger was already up to date.
    package var unchangedCaptures: [TableName]
    /// Tables no longer in the config whose trigger and function were dropped.
    package var removedCaptures: [TableName]
    /// Logical capture's changes: the slot, the publication, replica identities.
    package var notes: [String] = []

    package init(
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
    package var changedNothing: Bool {
        appliedMigrations.isEmpty && installedCaptures.isEmpty && updatedCaptures.isEmpty && removedCaptures.isEmpty
            && notes.isEmpty
    }
}
