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
                "tls.certificate: cannot read a PEM certificate chain from \(files.certificate) (\(Self.reason(files.certificate, error)))"
            )
        }
        guard !chain.isEmpty else {
            throw GatewayStartupError("tls.certificate: \(files.certificate) holds no PEM certificate")
        }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(file: files.key, format: .pem)
        } catch {
            throw GatewayStartupError("tls.key: cannot read a PEM private key from \(files.key) (\(Self.reason(files.key, error)))")
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
/// command exits 1 with this message.
public struct GatewayStartupError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
