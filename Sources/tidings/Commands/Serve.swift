import ArgumentParser
import Logging
import TidingsCore
import TidingsServer

/// `tidings serve`: run the gateway until SIGINT/SIGTERM, then drain.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the gateway until SIGINT/SIGTERM, then end every stream cleanly and close PostgreSQL."
    )

    @OptionGroup var file: ConfigFileOption
    @OptionGroup var log: LogOptions

    func run() async throws {
        let config = try file.load()
        let logger = log.bootstrap()
        let threads = ServerThreads.count(configured: config.threads)
        ServerThreads.apply(threads)
        let gateway: Gateway
        do {
            gateway = try await Gateway(config: config, logger: logger)
        } catch {
            throw fail(error.description, code: 1)
        }
        logger.info(
            "tidings serving",
            metadata: [
                "listen": "\(config.listen)", "tls": "\(config.tls == nil ? "off" : "on")", "threads": "\(threads)",
                "postgres": "\(config.postgres.url)",
            ]
        )
        for note in config.postgres.url.notes { logger.warning("postgres.url: \(note)") }
        do {
            try await gateway.run()
        } catch {
            throw fail("the gateway stopped: \(error)")
        }
    }
}
