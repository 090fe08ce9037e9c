import Foundation
import Logging
import PostgresNIO
import Synchronization
import TidingsCore
import TidingsPostgres

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Fresh, empty databases for tests, so that `swift test` needs nothing but PostgreSQL's server
/// programs on the machine.
///
/// The first call starts one non-durable ``EphemeralCluster`` for the whole test process; it is
/// stopped and deleted when the process exits. Tests of logical capture get databases on a second
/// cluster of their own: creating a replication slot waits for every transaction running anywhere
/// in its cluster to end, and other tests hold transactions open on purpose (a stalled feed, a
/// held lock), which in a full run kept the slot tests waiting past their time limits. With `TIDINGS_TEST_DATABASE_URL` set (a
/// `postgres://` URL of a user allowed to `CREATE DATABASE`), databases are created on that server
/// instead and are left there. A cluster whose test process was killed before it could clean up
/// is removed by the next test process that starts one.
package enum TestPostgres {
    /// A new database named `<prefix>_<unique suffix>`; with `logicalCapture`, on the cluster kept
    /// for the tests that create replication slots.
    package static func freshDatabase(_ prefix: String, logicalCapture: Bool = false) async throws -> PostgresURL {
        let name = uniqueName(prefix)
        if let text = ProcessInfo.processInfo.environment["TIDINGS_TEST_DATABASE_URL"], !text.isEmpty {
            var server = try PostgresURL(parsing: text)
            try await PostgresSession.withConnection(url: server, logger: logger) { connection in
                try await connection.perform(PostgresQuery(unsafeSQL: "CREATE DATABASE \(SQLText.identifier(name))"), logger: logger)
            }
            server.database = name
            return server
        }
        return try await (logicalCapture ? SharedCluster.logicalCapture : SharedCluster.instance).cluster().createDatabase(name)
    }

    private static let logger: Logger = {
        var logger = Logger(label: "tidings.test-postgres")
        logger.logLevel = .warning
        return logger
    }()

    private static let counter = Atomic<Int>(0)
    private static let processTag = String(UInt32.random(in: 0...UInt32.max), radix: 36)

    private static func uniqueName(_ prefix: String) -> String {
        let cleaned = prefix.lowercased().map { $0.isASCII && ($0.isLetter || $0.isNumber) ? $0 : "_" }
        let number = counter.wrappingAdd(1, ordering: .relaxed).newValue
        return String(String(cleaned).prefix(40)) + "_\(processTag)_\(number)"
    }
}

/// A cluster shared by a test process's tests, started on first use.
private actor SharedCluster {
    static let instance = SharedCluster()
    /// For the tests that create replication slots (see ``TestPostgres``).
    static let logicalCapture = SharedCluster()

    /// The clusters that run; read by the `atexit` handler, which cannot await an actor.
    static let running = Mutex<[EphemeralCluster]>([])

    private var starting: Task<EphemeralCluster, any Error>?

    func cluster() async throws -> EphemeralCluster {
        if let starting { return try await starting.value }
        // A Task, not a plain await: tests call this concurrently and must all share the one
        // start, and the actor would let a second caller in while the first is suspended.
        let task = Task {
            var logger = Logger(label: "tidings.test-postgres")
            logger.logLevel = .warning
            AbandonedClusters.removeAll()
            let cluster = try await EphemeralCluster.start(
                options: .init(durable: false, maxConnections: 500, logicalReplication: true),
                logger: logger
            )
            AbandonedClusters.claim(cluster)
            let first = Self.running.withLock { running in
                running.append(cluster)
                return running.count == 1
            }
            if first {
                atexit {
                    for cluster in SharedCluster.running.withLock({ $0 }) { cluster.stopAtExit() }
                }
            }
            return cluster
        }
        starting = task
        return try await task.value
    }
}
