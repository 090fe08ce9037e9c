import ArgumentParser
import Foundation
import Logging
import TidingsCore
import TidingsPostgres
import TidingsServer

/// `tidings dev`: a throwaway PostgreSQL, a demo table, a certificate and a token: everything
/// needed to watch rows arrive, in one command.
struct Dev: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Zero-setup demo: throwaway PostgreSQL, demo table, self-signed TLS, a token and a curl command. Ctrl-C removes it all."
    )

    @Option(help: "HTTPS port to serve on.")
    var port = 8443

    @Flag(help: "Keep the PostgreSQL data directory after Ctrl-C.")
    var keep = false

    @OptionGroup var log: LogOptions

    func run() async throws {
        let logger = log.bootstrap()
        let cluster: EphemeralCluster
        do {
            cluster = try await EphemeralCluster.start(options: .init(keepDataDirectory: keep), logger: logger)
        } catch {
            throw fail("cannot start a throwaway PostgreSQL: \(error)")
        }
        do {
            try await serve(cluster: cluster, logger: logger)
        } catch {
            try? await cluster.stop()
            throw error
        }
        try await cluster.stop()
        if keep { print("PostgreSQL data kept in \(cluster.dataDirectory)") }
    }

    private func serve(cluster: EphemeralCluster, logger: Logger) async throws {
        let demo = try await DevDemo.prepare(cluster: cluster, port: port, logger: logger)
        let gateway: Gateway
        do {
            gateway = try await Gateway(config: demo.config, logger: logger)
        } catch {
            throw fail(error.description)
        }
        FileHandle.standardOutput.write(Data(demo.instructions.utf8))
        try await gateway.run()
    }
}
