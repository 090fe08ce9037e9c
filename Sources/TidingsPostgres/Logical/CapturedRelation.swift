package import TidingsCore

/// A table as the capturer converts its rows: the columns the WAL sends (``PgOutputMessage/Relation``)
/// mapped onto the table's current columns, so that a record literal of the table's type can be
/// rebuilt from them.
///
/// A column the WAL does not send, or one dropped since, is NULL, as the trigger makes a missing
/// column `null`: capture never fails on drift. A column whose type is user-defined (outside an
/// extension) is NULL too, and reported: converting it could run code its owner wrote (a cast to
/// `json` used by `to_jsonb`, a domain's check) with the capturer's rights, not the writer's.
/// A user-defined domain with a constraint, of its own or of a domain it is built on, is checked
/// even on NULL (and a `NOT NULL` one refuses it): a table with such a column cannot be rebuilt safely, so its changes are not logged and
/// each one is counted as a capture problem (``blockingColumns``).
package struct CapturedRelation: Sendable {
    /// One of the table's current columns.
    package struct Column: Sendable, Equatable {
        package var name: String
        /// False when converting it could run code that the table's owner wrote.
        package var isSafe: Bool
        /// True for a user-defined domain with a constraint, its own or one down its chain of base
        /// types: even NULL runs the check.
        package var isBlocking: Bool

        package init(name: String, isSafe: Bool, isBlocking: Bool = false) {
            self.name = name
            self.isSafe = isSafe
            self.isBlocking = isBlocking
        }
    }

    package var table: TableName
    /// The event builder and captured operations, or nil when the config does not capture this table.
    package var capture: LogicalCaptureTable?
    /// The table's current columns, in order.
    package var columns: [Column]
    /// For each current column, its index in the WAL's tuples, or nil when the WAL does not send it.
    package var walIndex: [Int?]
    /// The primary-key columns, for reading an unchanged TOASTed value by key.
    package var primaryKey: [String]

    package init(wal: PgOutputMessage.Relation, capture: LogicalCaptureTable?, columns: [Column], primaryKey: [String]) {
        self.table = TableName(schema: wal.namespace, name: wal.name)
        self.capture = capture
        self.columns = columns
        self.primaryKey = primaryKey
        let positions = Dictionary(wal.columns.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { first, _ in first })
        self.walIndex = columns.map { column in column.isSafe ? positions[column.name] : nil }
    }

    /// Columns left NULL because of their type.
    package var unsafeColumns: [String] { columns.filter { !$0.isSafe }.map(\.name) }

    /// Columns whose type's check would run even on NULL: the table's rows are not rebuilt.
    package var blockingColumns: [String] { columns.filter(\.isBlocking).map(\.name) }

    /// The WAL tuple as a record literal of the table's type; `unchanged` receives the names of
    /// TOASTed columns the WAL left out because the change did not touch them.
    package func record(_ tuple: [PgOutputMessage.TupleValue], unchanged: inout [String]) -> String {
        var values: [String?] = []
        values.reserveCapacity(columns.count)
        for (position, index) in walIndex.enumerated() {
            guard let index, index < tuple.count else {
                values.append(nil)
                continue
            }
            switch tuple[index] {
            case .null: values.append(nil)
            case .text(let text): values.append(text)
            case .unchangedToast:
                unchanged.append(columns[position].name)
                values.append(nil)
            }
        }
        return PostgresLiteral.record(values)
    }

    /// `new` with each unchanged TOASTed value taken from `old` (a full old row carries them).
    package static func filled(_ new: [PgOutputMessage.TupleValue], from old: [PgOutputMessage.TupleValue]?) -> [PgOutputMessage.TupleValue]
    {
        guard let old, old.count == new.count else { return new }
        return zip(new, old).map { new, old in
            if case .unchangedToast = new { return old }
            return new
        }
    }
}
