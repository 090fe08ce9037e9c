import ArgumentParser
import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle
import TidingsCore
import TidingsPostgres
import TidingsServer
import UnixSignals

/// `tidings dev`: a throwaway PostgreSQL, a demo table, a certificate and a token: everything
/// needed to watch rows arrive, in one command.
struct Dev: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Zero-setup demo: throwaway PostgreSQL, demo table, self-signed TLS, a live demo page, a token and a curl command. "
            + "Ctrl-C removes it all."
    )

    @Option(help: "HTTPS port to serve on.")
    var port = 8443

    @Flag(help: "Keep the PostgreSQL data directory after Ctrl-C.")
    var keep = false

    @OptionGroup var log: LogOptions

    func run() async throws {
        let logger = log.bootstrap()
        ServerThreads.apply(ServerThreads.count(configured: nil))
        let cluster: EphemeralCluster
        do {
            cluster = try await EphemeralCluster.start(options: .init(keepDataDirectory: keep, logicalReplication: true), logger: logger)
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
        let assets: DemoAssets
        do {
            assets = try DemoAssets.load()
        } catch {
            throw fail(error.description)
        }
        // The demo page's writes go through a client of their own, beside the gateway's.
        let database = PostgresClient(configuration: try demo.database.clientConfiguration(), backgroundLogger: logger)
        let gateway: Gateway
        do {
            gateway = try await Gateway(
                config: demo.config,
                logger: logger,
                extraRoutes: { router in
                    DemoPage(assets: assets, token: demo.token).register(on: router)
                    DemoTodos(client: database).register(on: router)
                }
            )
        } catch {
            throw fail(error.description)
        }
        FileHandle.standardOutput.write(Data(demo.instructions.utf8))
        let group = ServiceGroup(services: [database, gateway.service], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        try await group.run()
    }
}
