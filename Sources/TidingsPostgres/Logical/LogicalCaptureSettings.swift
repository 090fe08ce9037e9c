package import TidingsCore

/// What the logical capturer needs from the config: where to connect, which slot and
/// publication to read, and how each captured table's events are built.
package struct LogicalCaptureSettings: Sendable {
    package var url: PostgresURL
    package var slot: String
    package var publication: String
    /// The captured tables, each with its event builder and captured operations.
    package var builders: [TableName: LogicalCaptureTable]
    /// Events written per statement; a larger transaction is written in several, in one log transaction.
    package var batchSize: Int
    /// Past this many bytes of WAL held back by the slot, the capturer logs a warning.
    package var lagWarningBytes: Int64
    /// How long a gateway that is not the capturer waits before trying to become it again.
    package var electionInterval: Duration

    package init(
        url: PostgresURL,
        slot: String,
        publication: String,
        builders: [TableName: LogicalCaptureTable],
        batchSize: Int = 5_000,
        lagWarningBytes: Int64 = 1 << 30,
        electionInterval: Duration = .seconds(1)
    ) {
        self.url = url
        self.slot = slot
        self.publication = publication
        self.builders = builders
        self.batchSize = batchSize
        self.lagWarningBytes = lagWarningBytes
        self.electionInterval = electionInterval
    }

    /// The builders of `config`'s tables, named as `migrate` installs them.
    package static func builders(for tables: [TableCapture]) -> [TableName: LogicalCaptureTable] {
        let names = CaptureFunction.functionNames(for: tables.map(\.table))
        var builders: [TableName: LogicalCaptureTable] = [:]
        for table in tables {
            guard let name = names[table.table] else { continue }
            builders[table.table] = LogicalCaptureTable(builder: EventBuilder.name(forCapture: name), events: Set(table.events))
        }
        return builders
    }
}
