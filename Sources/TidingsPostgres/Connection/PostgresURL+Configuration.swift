import NIOCore
import NIOSSL
package import PostgresNIO
package import TidingsCore

extension PostgresURL {
    /// The pool configuration for this URL, for a `PostgresClient`.
    ///
    /// `sslmode` follows libpq: `disable` never uses TLS; `allow` and `prefer` use it when the
    /// server offers it and fall back to plain text; `require` insists on TLS without checking
    /// the certificate (a default Debian server presents a self-signed "snakeoil" one);
    /// `verify-ca` checks the chain against `sslrootcert` (or the system's roots) and
    /// `verify-full` also the host name.
    /// - Throws: ``PostgresURLError`` when `sslrootcert` cannot be read.
    package func clientConfiguration() throws(PostgresURLError) -> PostgresClient.Configuration {
        let tls: PostgresClient.Configuration.TLS
        switch sslMode {
        case .disable: tls = .disable
        case .allow, .prefer: tls = .prefer(try clientTLS())
        case .require, .verifyCA, .verifyFull: tls = .require(try clientTLS())
        }
        var configuration = PostgresClient.Configuration(
            host: host,
            port: port,
            username: user,
            password: password,
            database: database,
            tls: tls
        )
        configuration.options.additionalStartupParameters = startupParameters
        if let connectTimeout { configuration.options.connectTimeout = .seconds(Int64(connectTimeout)) }
        return configuration
    }

    /// The single-connection configuration for this URL, with the same TLS rules as
    /// ``clientConfiguration()``.
    ///
    /// > Warning: builds an `NIOSSLContext` unless `sslmode=disable`, which is expensive: call it
    /// > once per connection you open, not per query.
    package func connectionConfiguration() throws -> PostgresConnection.Configuration {
        let tls: PostgresConnection.Configuration.TLS
        switch sslMode {
        case .disable: tls = .disable
        case .allow, .prefer: tls = .prefer(try NIOSSLContext(configuration: try clientTLS()))
        case .require, .verifyCA, .verifyFull: tls = .require(try NIOSSLContext(configuration: try clientTLS()))
        }
        var configuration = PostgresConnection.Configuration(
            host: host,
            port: port,
            username: user,
            password: password,
            database: database,
            tls: tls
        )
        configuration.options.additionalStartupParameters = startupParameters
        if let connectTimeout { configuration.options.connectTimeout = .seconds(Int64(connectTimeout)) }
        return configuration
    }

    private var startupParameters: [(String, String)] {
        var parameters = [("application_name", applicationName)]
        if let options { parameters.append(("options", options)) }
        return parameters
    }

    private func clientTLS() throws(PostgresURLError) -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv12
        switch sslMode {
        case .disable, .allow, .prefer, .require:
            tls.certificateVerification = .none
        case .verifyCA:
            tls.certificateVerification = .noHostnameVerification
        case .verifyFull:
            tls.certificateVerification = .fullVerification
        }
        if sslMode == .verifyCA || sslMode == .verifyFull, let sslRootCert {
            do {
                tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(sslRootCert))
            } catch {
                throw PostgresURLError(
                    .unreadableRootCertificate,
                    "sslrootcert \(sslRootCert) cannot be read as PEM certificates: check the path, its permissions and its format"
                )
            }
        }
        return tls
    }
}
