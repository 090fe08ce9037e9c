import NIOCore

/// One `/rows` page as read from one snapshot: each row's JSON text, the change-log id the page
/// is consistent with (``ChangeLog/snapshotCursor(on:logger:)``) and the key to continue after, nil on the last page.
package struct RowsPage: Sendable {
    package var rows: [ByteBuffer]
    package var cursor: Int64
    package var next: String?

    package init(rows: [ByteBuffer], cursor: Int64, next: String?) {
        self.rows = rows
        self.cursor = cursor
        self.next = next
    }
}
