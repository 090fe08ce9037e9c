import NIOSSL
import PostgresNIO
import TidingsCore

extension PostgresURL {
    /// The pool configuration for this URL, for a `PostgresClient`.
    ///
    /// `sslmode` follows libpq: `disable` never uses TLS; `prefer` uses it when the server offers
    /// it and falls back to plain text; `require` insists on TLS. Like libpq, neither `prefer` nor
    /// `require` verifies the server's certificate (a default Debian server presents a self-signed
    /// "snakeoil" one); certificate verification needs a `verify-full` mode that the URL does not
    /// offer yet.
    public func clientConfiguration() -> PostgresClient.Configuration {
        let tls: PostgresClient.Configuration.TLS
        switch sslMode {
        case .disable: tls = .disable
        case .prefer: tls = .prefer(Self.unverifiedClientTLS())
        case .require: tls = .require(Self.unverifiedClientTLS())
        }
        var configuration = PostgresClient.Configuration(
            host: host,
            port: port,
            username: user,
            password: password,
            database: database,
            tls: tls
        )
        configuration.options.additionalStartupParameters = [("application_name", "tidings")]
        return configuration
    }

    /// The single-connection configuration for this URL, with the same TLS rules as
    /// ``clientConfiguration()``.
    ///
    /// > Warning: builds an `NIOSSLContext` unless `sslmode=disable`, which is expensive: call it
    /// > once per connection you open, not per query.
    public func connectionConfiguration() throws -> PostgresConnection.Configuration {
        let tls: PostgresConnection.Configuration.TLS
        switch sslMode {
        case .disable: tls = .disable
        case .prefer: tls = .prefer(try NIOSSLContext(configuration: Self.unverifiedClientTLS()))
        case .require: tls = .require(try NIOSSLContext(configuration: Self.unverifiedClientTLS()))
        }
        var configuration = PostgresConnection.Configuration(
            host: host,
            port: port,
            username: user,
            password: password,
            database: database,
            tls: tls
        )
        configuration.options.additionalStartupParameters = [("application_name", "tidings")]
        return configuration
    }

    private static func unverifiedClientTLS() -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv12
        tls.certificateVerification = .none
        return tls
    }
}
