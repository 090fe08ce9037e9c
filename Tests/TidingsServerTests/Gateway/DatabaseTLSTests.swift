import Foundation
import Logging
import PostgresNIO
import Testing
import TidingsCore
import TidingsPostgres
import TidingsTestSupport

@testable import TidingsServer

/// `sslmode=verify-full` / `verify-ca` with `sslrootcert`: the gateway talks only to the
/// database whose certificate the configured authority signed.
@Suite("Verified database TLS", .timeLimit(.minutes(2)))
struct DatabaseTLSTests {
    /// A throwaway cluster serving TLS with a fresh self-signed certificate (its own authority).
    static func withTLSCluster(_ body: (EphemeralCluster, String) async throws -> Void) async throws {
        let cluster = try await EphemeralCluster.start(options: .init(durable: false), logger: LiveGateway.logger)
        do {
            let certificate = try SelfSignedCertificate()
            let owner = try FileManager.default.attributesOfItem(atPath: cluster.dataDirectory)[.ownerAccountID]
            for (name, text) in [("server.crt", certificate.certificatePEM), ("server.key", certificate.privateKeyPEM)] {
                let path = cluster.dataDirectory + "/" + name
                try text.write(toFile: path, atomically: false, encoding: .utf8)
                try FileManager.default.setAttributes([.posixPermissions: 0o600, .ownerAccountID: owner as Any], ofItemAtPath: path)
            }
            let authority = cluster.baseDirectory + "/ca.pem"
            try certificate.certificatePEM.write(toFile: authority, atomically: false, encoding: .utf8)
            try await TestDatabase.connect(cluster.url) { database in
                try await database.execute("ALTER SYSTEM SET ssl = on")
            }
            // A restart (pg_ctl waits until the server accepts connections) rather than a reload,
            // which takes effect at some later moment.
            try await cluster.restart()
            var required = cluster.url
            required.sslMode = .require
            #expect(try await TestDatabase.connect(required) { _ in true })
            try await body(cluster, authority)
        } catch {
            try? await cluster.stop()
            throw error
        }
        try await cluster.stop()
    }

    static func usesTLS(_ url: PostgresURL) async throws -> Bool {
        try await TestDatabase.connect(url) { database in
            let rows = try await database.connection.query(
                "SELECT ssl FROM pg_catalog.pg_stat_ssl WHERE pid = pg_backend_pid()",
                logger: LiveGateway.logger
            )
            var ssl = false
            for try await value in rows.decode(Bool.self) { ssl = value }
            return ssl
        }
    }

    @Test("verify-full and verify-ca connect over TLS with the right sslrootcert and refuse a server another authority vouches for")
    func verifiedTLS() async throws {
        try await Self.withTLSCluster { cluster, authority in
            let base = "postgres://postgres@127.0.0.1:\(cluster.port)/postgres"
            for mode in ["verify-full", "verify-ca"] {
                let url = try PostgresURL(parsing: "\(base)?sslmode=\(mode)&sslrootcert=\(authority)&channel_binding=prefer")
                #expect(try await Self.usesTLS(url), "\(mode)")
                #expect(throws: Never.self) { _ = try url.clientConfiguration() }
            }
            let stranger = try SelfSignedCertificate()
            let otherAuthority = cluster.baseDirectory + "/other-ca.pem"
            try stranger.certificatePEM.write(toFile: otherAuthority, atomically: false, encoding: .utf8)
            let impostor = try PostgresURL(parsing: "\(base)?sslmode=verify-full&sslrootcert=\(otherAuthority)")
            await #expect(throws: (any Error).self) { _ = try await Self.usesTLS(impostor) }
            // Without verification, the same server is taken: that is what `require` means.
            #expect(try await Self.usesTLS(try PostgresURL(parsing: "\(base)?sslmode=require")))
        }
    }

    @Test("an unreadable sslrootcert is an error naming the file")
    func unreadableRootCertificate() throws {
        let url = try PostgresURL(parsing: "postgres://u@127.0.0.1/db?sslmode=verify-full&sslrootcert=/nonexistent/ca.pem")
        let error = #expect(throws: PostgresURLError.self) { _ = try url.clientConfiguration() }
        #expect(error?.description.contains("/nonexistent/ca.pem") == true)
    }
}
