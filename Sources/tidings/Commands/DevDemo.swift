import Foundation
import Logging
import PostgresNIO
import TidingsCore
import TidingsPostgres
import TidingsServer

/// The pieces `tidings dev` sets up: a database with a `todos` table captured under
/// `todos/{id}`, a certificate, a config and a token, and the text that tells the user what to
/// paste where.
struct DevDemo {
    let config: TidingsConfig
    /// The demo database, which the demo page's `/dev/todos` writes to.
    let database: PostgresURL
    /// Subscribe and publish `todos/**` for 24 hours.
    let token: String
    let instructions: String

    static func prepare(cluster: EphemeralCluster, port: Int, logger: Logger) async throws -> DevDemo {
        let database = try await cluster.createDatabase("tidings_dev")
        let connection = try await PostgresConnection.connect(configuration: try database.connectionConfiguration(), id: 1, logger: logger)
        try await connection.query(
            """
            CREATE TABLE IF NOT EXISTS public.todos (
                id bigserial PRIMARY KEY, title text NOT NULL, done boolean NOT NULL DEFAULT false,
                version integer NOT NULL DEFAULT 1, created_at timestamptz NOT NULL DEFAULT now())
            """,
            logger: logger
        )
        try await connection.close()

        let certificate = try SelfSignedCertificate()
        let files = try certificate.write(to: cluster.baseDirectory)
        let secret = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
        let config = TidingsConfig(
            listen: ListenAddress(host: "127.0.0.1", port: port),
            tls: TLSFiles(certificate: files.certificate, key: files.key),
            postgres: PostgresSettings(url: database),
            auth: AuthSettings(jwt: JWTSettings(key: .secret(secret))),
            topics: [
                .table(TableCapture(table: TableName(schema: "public", name: "todos"), topics: [try TopicTemplate(parsing: "todos/{id}")]))
            ],
            // The throwaway cluster runs with wal_level=logical: writes pay no trigger.
            capture: CaptureSettings(mode: .logical)
        )
        _ = try await Migrator(url: database, logger: logger, configFile: "tidings dev").migrate(config: config)
        let token = try await TokenMinter(settings: config.auth.jwt).mint(
            subscribe: [try Selector(parsing: "todos/**")],
            publish: [try Selector(parsing: "todos/**")],
            subject: "dev",
            ttl: .seconds(86_400)
        )
        let instructions = """

            Tidings dev is running.
              gateway   https://localhost:\(port)  (self-signed certificate: \(files.certificate))
              demo page https://localhost:\(port)/  (the todos table, live; accept the certificate warning)
              postgres  \(database.description.replacingOccurrences(of: "?sslmode=disable", with: ""))
              capture   logical (wal_level=logical, slot \(config.capture.slot)): the todos table has no trigger

            Subscribe (in another terminal):
              curl -N --cacert \(files.certificate) -H "Authorization: Bearer \(token)" "https://localhost:\(port)/events?topic=todos/**"

            Then insert a row (in a third terminal) and watch it arrive:
              psql "postgres://postgres@127.0.0.1:\(database.port)/\(database.database)" -c "INSERT INTO todos (title) VALUES ('hello')"

            Token (valid 24 h, subscribe and publish todos/**):
              \(token)

            Ctrl-C stops the gateway and removes the database.

            """
        return DevDemo(config: config, database: database, token: token, instructions: instructions)
    }
}
