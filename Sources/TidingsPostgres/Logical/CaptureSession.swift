import Foundation
import Logging
import NIOCore
import TidingsCore

/// One capturer's reading of the slot, from `START_REPLICATION` to a stop or a failure: decodes
/// each message, turns the changes of captured tables (rows, TRUNCATE) and the publish messages
/// into pending events, and writes them in batches (``CaptureLogWriter``).
///
/// A batch is written when it is full (inside a large transaction too, without a position: the
/// log transaction stays open), or at a transaction's end when the stream has nothing more at
/// once, or when it has waited long enough. Only after the log transaction that raised the
/// position has committed is the slot confirmed up to it.
struct CaptureSession {
    private let settings: LogicalCaptureSettings
    private let log: LibPQConnection
    private let stream: LibPQConnection
    private let logger: Logger
    private let status: CaptureStatus
    private let writer: CaptureLogWriter
    /// Takes each committed batch's events for this gateway's own feed.
    private let captured: @Sendable (CapturedEvents) -> Void
    private var relations: [UInt32: CapturedRelation] = [:]
    private var position: CapturePosition
    private var commitTime: Int64 = 0
    private var lastStatus = ContinuousClock.now
    private var batchStarted: ContinuousClock.Instant?
    /// When the last log transaction committed.
    private var lastWrite = ContinuousClock.now - .seconds(1)
    /// The shortest time between two log transactions while transactions keep coming: a stream
    /// of small ones is logged in batches, not one commit (and one WAL flush) each, and a quiet
    /// stream's single transaction is still logged at once.
    private static let writeInterval = Duration.milliseconds(5)

    init(
        settings: LogicalCaptureSettings,
        log: LibPQConnection,
        stream: LibPQConnection,
        writtenThrough: LSN,
        logger: Logger,
        status: CaptureStatus,
        captured: @escaping @Sendable (CapturedEvents) -> Void
    ) {
        self.settings = settings
        self.log = log
        self.stream = stream
        self.position = CapturePosition(writtenThrough: writtenThrough)
        self.logger = logger
        self.status = status
        self.writer = CaptureLogWriter(connection: log)
        self.captured = captured
    }

    /// Reads until `stop`; `tick` runs between reads (the lag check).
    mutating func pump(until stop: CaptureStopSignal, tick: () -> Void) throws(LogicalCaptureError) {
        while !stop.isStopped {
            var wait: Int32 = 100
            if position.idle() != .none {
                let early = Self.writeInterval - (ContinuousClock.now - lastWrite)
                wait = early > .zero ? Int32(early.components.attoseconds / 1_000_000_000_000_000) + 1 : 0
            }
            switch try stream.readCopyData(timeoutMilliseconds: wait) {
            case .data(let bytes):
                try handle(try ReplicationMessage.parse(bytes))
                // A steady stream never idles: write at least every 50 ms.
                if let started = batchStarted, ContinuousClock.now - started > .milliseconds(50) { try perform(position.idle()) }
            case .idle:
                try perform(position.idle())
            }
            if ContinuousClock.now - lastStatus > .seconds(10) { try sendStatus(replyRequested: false) }
            tick()
        }
        try perform(position.idle())
    }

    /// After a failure: drop what is pending and roll back the open log transaction.
    func abandon() { writer.abandon() }

    private mutating func handle(_ message: ReplicationMessage) throws(LogicalCaptureError) {
        switch message {
        case .keepalive(let end, let replyRequested):
            // Nothing decoded is waiting: every transaction before `end` is in the log or was
            // not ours, so the slot may move on and free WAL.
            position.keepalive(end: end, pending: writer.count)
            if replyRequested { try sendStatus(replyRequested: false) }
        case .xLogData(_, _, let payload):
            try handle(try PgOutputDecoder.decode(payload))
        }
    }

    private mutating func handle(_ message: PgOutputMessage) throws(LogicalCaptureError) {
        logger.trace("decoded", metadata: ["message": "\(message)"])
        switch message {
        case .begin(let begin):
            commitTime = begin.commitTime
            position.begin(finalLSN: begin.finalLSN)
            if batchStarted == nil { batchStarted = .now }
        case .commit(let commit):
            try perform(position.commit(endLSN: commit.endLSN, pending: writer.count, batchSize: settings.batchSize))
        case .relation(let relation):
            relations[relation.oid] = try describe(relation)
        case .insert(let oid, let new):
            guard let relation = captured(oid, .insert) else { return }
            try append(relation, op: "insert", new: record(relation, new), old: nil)
        case .update(let oid, let old, let keyOnly, let new):
            guard let relation = captured(oid, .update) else { return }
            let newRecord = try record(relation, CapturedRelation.filled(new, from: keyOnly ? nil : old))
            // No old tuple: the key did not change, and the new row carries it.
            var oldRecord = newRecord
            if let old { oldRecord = try record(relation, old) }
            try append(relation, op: "update", new: newRecord, old: oldRecord)
        case .delete(let oid, let old, _):
            guard let relation = captured(oid, .delete) else { return }
            try append(relation, op: "delete", new: nil, old: record(relation, old))
        case .truncate(let oids, _, _):
            for oid in oids {
                guard let relation = captured(oid, .truncate) else { continue }
                writer.append(.truncate(table: relation.table, commitTime: commitTime))
            }
            if writer.count >= settings.batchSize { try writer.flush(through: nil) }
        case .message(let message):
            guard !position.skipping, message.transactional, message.prefix == "tidings" else { return }
            // Checked against tidings.message_key in SQL as the batch is written: only what
            // tidings.publish() signed is logged.
            writer.append(.publish(content: String(decoding: message.content, as: UTF8.self), commitTime: commitTime, lsn: message.lsn))
            if writer.count >= settings.batchSize { try writer.flush(through: nil) }
        case .origin, .type:
            return
        }
    }

    /// The relation when its `operation` is captured and the transaction is not already logged.
    private func captured(_ oid: UInt32, _ operation: ChangeOperation) -> CapturedRelation? {
        guard !position.skipping, let relation = relations[oid], let capture = relation.capture,
            capture.events.contains(operation)
        else { return nil }
        return relation
    }

    private mutating func append(_ relation: CapturedRelation, op: String, new: String?, old: String?) throws(LogicalCaptureError) {
        guard let capture = relation.capture else { return }
        if let blocking = relation.blockingColumns.first {
            writer.append(
                .problem(
                    table: relation.table,
                    problem: "column \(blocking) has a user-defined domain type with a constraint, which logical capture "
                        + "cannot convert with the writer's rights; the \(op) was not logged"
                )
            )
        } else {
            writer.append(.row(table: relation.table, builder: capture.builder, op: op, new: new, old: old, commitTime: commitTime))
        }
        // A large transaction goes to the log in batches, all inside one log transaction.
        if writer.count >= settings.batchSize { try writer.flush(through: nil) }
    }

    /// Writes what is pending, commits it with the position, then confirms the slot.
    private mutating func perform(_ action: CapturePosition.Action) throws(LogicalCaptureError) {
        guard case .writeBatch(let through) = action else { return }
        let flushed = try writer.flush(through: through)
        logger.debug("wrote a batch", metadata: ["events": "\(flushed.logged)", "through": "\(through)"])
        status.addLogged(Int64(flushed.logged))
        if let events = flushed.captured { captured(events) }
        position.written(through: through)
        batchStarted = nil
        lastWrite = .now
        try sendStatus(replyRequested: false)
    }

    private mutating func sendStatus(replyRequested: Bool) throws(LogicalCaptureError) {
        let micros = Int64((Date().timeIntervalSince1970 - 946_684_800) * 1_000_000)
        try stream.sendCopyData(ReplicationMessage.statusUpdate(confirmed: position.confirmed, now: micros, replyRequested: replyRequested))
        lastStatus = .now
    }

    /// The row as a record literal; unchanged TOASTed values the WAL left out are read by key.
    private func record(_ relation: CapturedRelation, _ tuple: [PgOutputMessage.TupleValue]) throws(LogicalCaptureError) -> String {
        var unchanged: [String] = []
        let literal = relation.record(tuple, unchanged: &unchanged)
        guard !unchanged.isEmpty, !relation.primaryKey.isEmpty else { return literal }
        let qualified = SQLText.qualified(relation.table)
        let values = unchanged.map { "t.\(SQLText.identifier($0))::text" }.joined(separator: ", ")
        let keys = relation.primaryKey.map(SQLText.identifier)
        let rows = try log.execute(
            """
            SELECT ARRAY[\(values)]::text FROM \(qualified) AS t, (SELECT ($1::text::\(qualified)).*) AS r
            WHERE (\(keys.map { "t." + $0 }.joined(separator: ", "))) = (\(keys.map { "r." + $0 }.joined(separator: ", ")))
            """,
            [literal]
        )
        guard let text = rows.first?.first ?? nil else { return literal }
        let read = PostgresArrayText.parse(text)
        var filled = tuple
        for (name, value) in zip(unchanged, read) {
            guard let position = relation.columns.firstIndex(where: { $0.name == name }), let index = relation.walIndex[position] else {
                continue
            }
            filled[index] = value.map { .text($0) } ?? .null
        }
        var none: [String] = []
        return relation.record(filled, unchanged: &none)
    }

    private func describe(_ wal: PgOutputMessage.Relation) throws(LogicalCaptureError) -> CapturedRelation {
        let table = TableName(schema: wal.namespace, name: wal.name)
        let rows = try log.execute(
            """
            SELECT a.attname::text,
                (base.oid < 16384 OR EXISTS (
                    SELECT 1 FROM pg_catalog.pg_depend AS d
                    WHERE d.classid = 'pg_catalog.pg_type'::regclass AND d.objid = base.oid AND d.deptype = 'e'
                ))::text,
                coalesce(a.attnum = ANY (i.indkey), false)::text,
                -- A domain's input checks every domain down its chain of base types, so one with
                -- no constraint of its own over a constrained one blocks too.
                (t.typtype = 'd' AND EXISTS (
                    WITH RECURSIVE chain(oid) AS (
                        SELECT t.oid
                        UNION ALL
                        SELECT d.typbasetype FROM chain JOIN pg_catalog.pg_type AS d ON d.oid = chain.oid WHERE d.typtype = 'd'
                    )
                    SELECT 1 FROM chain JOIN pg_catalog.pg_type AS d ON d.oid = chain.oid
                    WHERE d.typtype = 'd' AND d.oid >= 16384 AND NOT EXISTS (
                        SELECT 1 FROM pg_catalog.pg_depend AS x
                        WHERE x.classid = 'pg_catalog.pg_type'::regclass AND x.objid = d.oid AND x.deptype = 'e'
                    ) AND (d.typnotnull OR EXISTS (SELECT 1 FROM pg_catalog.pg_constraint AS c WHERE c.contypid = d.oid))
                ))::text
            FROM pg_catalog.pg_attribute AS a
            JOIN pg_catalog.pg_type AS t ON t.oid = a.atttypid
            JOIN pg_catalog.pg_type AS base ON base.oid = CASE WHEN t.typelem <> 0 AND t.typlen = -1 THEN t.typelem ELSE t.oid END
            LEFT JOIN pg_catalog.pg_index AS i ON i.indrelid = a.attrelid AND i.indisprimary
            WHERE a.attrelid = $1::oid AND a.attnum > 0 AND NOT a.attisdropped
            ORDER BY a.attnum
            """,
            [String(wal.oid)]
        )
        let columns = rows.map { CapturedRelation.Column(name: $0[0] ?? "", isSafe: $0[1] == "true", isBlocking: $0[3] == "true") }
        let key = rows.filter { $0[2] == "true" }.compactMap { $0[0] }
        let relation = CapturedRelation(wal: wal, capture: settings.builders[table], columns: columns, primaryKey: key)
        if relation.capture != nil, !relation.blockingColumns.isEmpty {
            logger.error(
                "a column of a user-defined domain type with a constraint stops logical capture of this table's rows",
                metadata: ["table": "\(table)", "columns": "\(relation.blockingColumns)"]
            )
        }
        if relation.capture != nil, !relation.unsafeColumns.isEmpty {
            logger.warning(
                "columns of a user-defined type are captured as null in logical mode",
                metadata: ["table": "\(table)", "columns": "\(relation.unsafeColumns)"]
            )
        }
        return relation
    }

}
