import PostgresNIO

/// The change-log id a `/rows` snapshot is consistent with: the one statement of `/rows` that
/// reads the log.
///
/// It runs in the same `REPEATABLE READ` transaction as the rows, so both come from one snapshot.
/// The id is the largest one that snapshot sees (or the retention watermark, once everything
/// older was pruned). Streaming from it, after all pages are loaded, leaves the client's copy
/// equal to its slice of the table:
///
/// - **Triggers mode.** Ids are drawn at commit under a transaction-level advisory lock that is
///   released only after the commit is visible (`Migrations/0001_change_log.sql`). A snapshot
///   that sees id C therefore sees every transaction with a smaller id, and every transaction it
///   does not see draws a larger id (it takes the lock after, or holds it while, the snapshot
///   is taken). So the rows reflect exactly the events up to C: none after C is in them, none
///   up to C is missing. A later page has its own snapshot and a larger cursor; events between
///   the first page's cursor and a later page's come again on the stream and are applied again
///   in order, which ends in the same state.
/// - **Logical mode.** The log lags the table: the capturer writes a transaction's events after
///   it committed. The snapshot may show rows whose events are not yet logged; they get ids above
///   C when they are, so the stream brings them again (already reflected, applied again), and
///   none is missed. A logged event's transaction committed before the capturer's write, so a
///   snapshot that sees the event sees its rows too.
package enum RowsCursor {
    package static let query: PostgresQuery = """
        SELECT greatest(coalesce((SELECT max(id) FROM tidings.changes), 0), (SELECT pruned_through FROM tidings.retention_state()))::int8
        """
}
