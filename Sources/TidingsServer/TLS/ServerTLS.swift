import Foundation
import NIOSSL
import TidingsCore

/// Builds the server's TLS configuration from PEM files, once, at startup.
///
/// > Warning: reads files and builds a TLS context: call once at startup, not per connection.
enum ServerTLS {
    /// TLS 1.2 or newer with the configured chain and key; ALPN is added by the HTTP/2 builder.
    /// - Throws: ``GatewayStartupError`` naming the file that is missing or unreadable.
    static func configuration(_ files: TLSFiles) throws(GatewayStartupError) -> TLSConfiguration {
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(files.certificate)
        } catch {
            throw GatewayStartupError(
                .invalidCertificate,
                "tls.certificate: cannot read a PEM certificate chain from \(files.certificate) (\(Self.reason(files.certificate, error)))"
            )
        }
        guard !chain.isEmpty else {
            throw GatewayStartupError(.invalidCertificate, "tls.certificate: \(files.certificate) holds no PEM certificate")
        }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(file: files.key, format: .pem)
        } catch {
            throw GatewayStartupError(
                .invalidKey,
                "tls.key: cannot read a PEM private key from \(files.key) (\(Self.reason(files.key, error)))"
            )
        }
        var tls = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        tls.minimumTLSVersion = .tlsv12
        return tls
    }

    private static func reason(_ path: String, _ error: any Error) -> String {
        FileManager.default.fileExists(atPath: path) ? "not valid PEM, or not readable: \(error)" : "no such file"
    }
}

/// A startup problem the operator must fix (a missing certificate, an unreadable key): the
/// command exits 1 with its message, which names the setting or file and never holds key material.
package struct GatewayStartupError: Error, CustomStringConvertible {
    /// The kind of refusal, for callers that branch on it.
    package struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case invalidCertificate, invalidKey, invalidTLSSetup, invalidDatabaseURL, invalidTokenKey, invalidSigningKey, unwritableFile
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// `tls.certificate` is missing, unreadable or holds no PEM certificate.
        package static let invalidCertificate = Self(.invalidCertificate)
        /// `tls.key` is missing or holds no PEM private key.
        package static let invalidKey = Self(.invalidKey)
        /// The certificate and key do not make a TLS server configuration.
        package static let invalidTLSSetup = Self(.invalidTLSSetup)
        /// `postgres.url` cannot be turned into a connection configuration.
        package static let invalidDatabaseURL = Self(.invalidDatabaseURL)
        /// The key that verifies tokens (`auth.jwt`) cannot be loaded.
        package static let invalidTokenKey = Self(.invalidTokenKey)
        /// The key that signs tokens (`tidings token`, `tidings dev`) is missing or cannot be loaded.
        package static let invalidSigningKey = Self(.invalidSigningKey)
        /// A file the gateway writes for itself (a generated key) cannot be written.
        package static let unwritableFile = Self(.unwritableFile)

        package var description: String { base.rawValue }
    }

    package let code: Code
    /// What is wrong and where, e.g. `tls.certificate: /etc/tidings/cert.pem holds no PEM certificate`.
    package let message: String

    package init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    package var description: String { message }
}
