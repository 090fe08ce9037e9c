/// One message of the `pgoutput` logical decoding plugin, protocol version 1, as PostgreSQL's
/// "Logical Replication Message Formats" describes it. Row values stay in PostgreSQL's text
/// form: the capturer hands them back to PostgreSQL, which converts them.
package enum PgOutputMessage: Sendable, Equatable {
    case begin(Begin)
    case commit(Commit)
    case origin(name: String)
    case relation(Relation)
    case type(oid: UInt32, namespace: String, name: String)
    case insert(relation: UInt32, new: [TupleValue])
    /// `old` is the key (`K`) or the whole old row (`O`, replica identity full) when sent.
    case update(relation: UInt32, old: [TupleValue]?, oldIsKeyOnly: Bool, new: [TupleValue])
    case delete(relation: UInt32, old: [TupleValue], oldIsKeyOnly: Bool)
    case truncate(relations: [UInt32], cascade: Bool, restartIdentity: Bool)
    case message(Message)

    /// The start of a committed transaction; `finalLSN` is where its commit record starts.
    package struct Begin: Sendable, Equatable {
        package var finalLSN: LSN
        /// Microseconds since 2000-01-01 00:00 UTC, PostgreSQL's epoch.
        package var commitTime: Int64
        package var xid: UInt32

        package init(finalLSN: LSN, commitTime: Int64, xid: UInt32) {
            self.finalLSN = finalLSN
            self.commitTime = commitTime
            self.xid = xid
        }
    }

    package struct Commit: Sendable, Equatable {
        package var commitLSN: LSN
        /// The end of the commit record: what the slot is confirmed up to once it is logged.
        package var endLSN: LSN
        package var commitTime: Int64

        package init(commitLSN: LSN, endLSN: LSN, commitTime: Int64) {
            self.commitLSN = commitLSN
            self.endLSN = endLSN
            self.commitTime = commitTime
        }
    }

    /// A table's columns as the change messages that follow send them.
    package struct Relation: Sendable, Equatable {
        package struct Column: Sendable, Equatable {
            package var name: String
            package var typeOID: UInt32
            package var isKey: Bool

            package init(name: String, typeOID: UInt32, isKey: Bool) {
                self.name = name
                self.typeOID = typeOID
                self.isKey = isKey
            }
        }

        package var oid: UInt32
        package var namespace: String
        package var name: String
        package var replicaIdentity: UInt8
        package var columns: [Column]

        package init(oid: UInt32, namespace: String, name: String, replicaIdentity: UInt8, columns: [Column]) {
            self.oid = oid
            self.namespace = namespace
            self.name = name
            self.replicaIdentity = replicaIdentity
            self.columns = columns
        }
    }

    /// `pg_logical_emit_message`'s output.
    package struct Message: Sendable, Equatable {
        package var transactional: Bool
        package var lsn: LSN
        package var prefix: String
        package var content: [UInt8]

        package init(transactional: Bool, lsn: LSN, prefix: String, content: [UInt8]) {
            self.transactional = transactional
            self.lsn = lsn
            self.prefix = prefix
            self.content = content
        }
    }

    /// One column of a row.
    package enum TupleValue: Sendable, Equatable {
        case null
        /// A TOASTed value the change left as it was, which pgoutput does not send.
        case unchangedToast
        case text(String)
    }
}
