import Foundation
package import Logging
import PostgresNIO
package import TidingsCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A throwaway PostgreSQL server in a temporary directory, for `tidings dev` and the tests.
///
/// It runs the PostgreSQL found on `PATH` or under `/usr/lib/postgresql/*/bin`, listens on
/// 127.0.0.1 only, trusts every local login, and, when we are root, runs as the `postgres`
/// user (the server refuses root). ``stop()`` stops it and deletes its directory; nothing else
/// does, so a crashed process leaves `/tmp/tidings-pg-*` behind.
package final class EphemeralCluster: Sendable {
    /// How to start the cluster.
    package struct Options: Sendable {
        /// The TCP port; nil picks a free one.
        package var port: Int?
        /// Keep the directory after ``EphemeralCluster/stop()`` (to read `server.log`).
        package var keepDataDirectory: Bool
        /// `false` turns off fsync, synchronous commit and full-page writes: much faster, and a
        /// machine crash loses the cluster. Tests use `false`, `tidings dev` keeps `true`.
        package var durable: Bool
        /// The server's `max_connections`. The test suite runs many gateways at once, each with
        /// its feed and pool, against one cluster.
        package var maxConnections: Int
        /// `wal_level=logical` with room for replication slots, for `capture.mode: logical`.
        package var logicalReplication: Bool

        package init(
            port: Int? = nil,
            keepDataDirectory: Bool = false,
            durable: Bool = true,
            maxConnections: Int = 200,
            logicalReplication: Bool = false
        ) {
            self.port = port
            self.keepDataDirectory = keepDataDirectory
            self.durable = durable
            self.maxConnections = maxConnections
            self.logicalReplication = logicalReplication
        }
    }

    /// `postgres://postgres@127.0.0.1:PORT/postgres?sslmode=disable`.
    package let url: PostgresURL
    package let port: Int
    /// The cluster's data directory (`PGDATA`).
    package let dataDirectory: String
    /// The temporary directory holding the data directory, the socket and `server.log`.
    package let baseDirectory: String
    private let options: Options
    private let binaries: PostgresBinaries
    private let command: ClusterCommand
    private let logger: Logger

    private init(port: Int, baseDirectory: String, options: Options, binaries: PostgresBinaries, command: ClusterCommand, logger: Logger) {
        self.port = port
        self.baseDirectory = baseDirectory
        self.dataDirectory = baseDirectory + "/data"
        self.options = options
        self.binaries = binaries
        self.command = command
        self.logger = logger
        self.url = PostgresURL(host: "127.0.0.1", port: port, user: "postgres", database: "postgres", sslMode: .disable)
    }

    /// Creates and starts a cluster; returns once it accepts connections.
    /// - Throws: ``EphemeralClusterError`` saying what to install when PostgreSQL is missing, or
    ///   the failing command's output.
    package static func start(options: Options = .init(), logger: Logger) async throws -> EphemeralCluster {
        let binaries = try PostgresBinaries.find()
        let user = try serverUser()
        let base = try makeTemporaryDirectory(owner: user)
        let command = ClusterCommand(user: user, directory: base)
        do {
            _ = try await command.run(
                binaries.initdb,
                ["-D", base + "/data", "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-locale", "--no-sync"]
            )
            var attempt = 0
            while true {
                attempt += 1
                let port = try options.port ?? FreePort.find()
                let cluster = EphemeralCluster(
                    port: port,
                    baseDirectory: base,
                    options: options,
                    binaries: binaries,
                    command: command,
                    logger: logger
                )
                do {
                    try await cluster.startServer()
                    logger.info("started a throwaway PostgreSQL", metadata: ["url": "\(cluster.url)", "directory": "\(base)"])
                    return cluster
                } catch let error where options.port == nil && attempt < 5 && cluster.logShowsPortClash() {
                    logger.debug("port taken, trying another", metadata: ["port": "\(port)", "error": "\(error)"])
                }
            }
        } catch {
            if !options.keepDataDirectory { try? FileManager.default.removeItem(atPath: base) }
            throw error
        }
    }

    /// Creates an empty database and returns its URL.
    package func createDatabase(_ name: String) async throws -> PostgresURL {
        try await PostgresSession.withConnection(url: url, logger: logger) { connection in
            try await connection.perform(PostgresQuery(unsafeSQL: "CREATE DATABASE \(SQLText.identifier(name))"), logger: logger)
        }
        var database = url
        database.database = name
        return database
    }

    /// Starts the server again after ``stopServer()``, on the same port, with the same data.
    package func startServer() async throws {
        _ = try await command.run(
            binaries.pgCtl,
            ["-D", dataDirectory, "-w", "-t", "60", "-l", baseDirectory + "/server.log", "-o", serverOptions, "start"]
        )
    }

    /// Stops the server (fast shutdown) and keeps its data, e.g. to test an outage.
    package func stopServer() async throws {
        _ = try await command.run(binaries.pgCtl, ["-D", dataDirectory, "-w", "-t", "60", "-m", "fast", "stop"])
    }

    /// Restarts the server (fast shutdown) on the same port; returns once it accepts connections.
    package func restart() async throws {
        _ = try await command.run(
            binaries.pgCtl,
            ["-D", dataDirectory, "-w", "-t", "60", "-m", "fast", "-l", baseDirectory + "/server.log", "-o", serverOptions, "restart"]
        )
    }

    /// Stops the server and deletes its directory, unless ``Options/keepDataDirectory``.
    package func stop() async throws {
        if FileManager.default.fileExists(atPath: dataDirectory + "/postmaster.pid") { try await stopServer() }
        if !options.keepDataDirectory { try FileManager.default.removeItem(atPath: baseDirectory) }
    }

    /// Stops the server at once and deletes the directory, synchronously: for `atexit`.
    package func stopAtExit() {
        command.runAtExit(binaries.pgCtl, ["-D", dataDirectory, "-w", "-m", "immediate", "stop"])
        if !options.keepDataDirectory { ClusterCommand.removeAtExit(baseDirectory) }
    }

    private var serverOptions: String {
        var settings = [
            "-p \(port)", "-k \(baseDirectory)", "-c listen_addresses=127.0.0.1", "-c max_connections=\(options.maxConnections)",
        ]
        if options.logicalReplication {
            settings += ["-c wal_level=logical", "-c max_replication_slots=200", "-c max_wal_senders=200"]
        }
        if !options.durable { settings += ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"] }
        return settings.joined(separator: " ")
    }

    private func logShowsPortClash() -> Bool {
        let log = (try? String(contentsOfFile: baseDirectory + "/server.log", encoding: .utf8)) ?? ""
        return log.contains("could not bind") || log.contains("Address already in use")
    }

    /// `postgres` when we are root, else nil (run as ourselves).
    private static func serverUser() throws -> String? {
        guard geteuid() == 0 else { return nil }
        guard getpwnam("postgres") != nil else {
            throw EphemeralClusterError(
                .noServerUser,
                "running as root, but PostgreSQL refuses to run as root and there is no `postgres` user to run it as. "
                    + "Create one (`useradd --system --create-home postgres`; `apt-get install postgresql` creates it) or run as another user"
            )
        }
        return "postgres"
    }

    private static func makeTemporaryDirectory(owner: String?) throws -> String {
        var template = Array("/tmp/tidings-pg-XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw EphemeralClusterError(.temporaryDirectory, "cannot create a temporary directory under /tmp (errno \(errno))")
        }
        let path = String(cString: made)
        if let owner, let entry = getpwnam(owner) {
            guard chown(path, entry.pointee.pw_uid, entry.pointee.pw_gid) == 0 else {
                throw EphemeralClusterError(.temporaryDirectory, "cannot give \(path) to the \(owner) user (errno \(errno))")
            }
        }
        return path
    }
}
