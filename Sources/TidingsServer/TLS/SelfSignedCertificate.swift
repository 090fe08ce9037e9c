import Crypto
import Foundation
import SwiftASN1
import X509

/// A throwaway self-signed certificate for `localhost` and `127.0.0.1`, made in-process, for
/// `tidings dev` and the tests: no openssl command, no files to prepare.
package struct SelfSignedCertificate: Sendable {
    /// The certificate, PEM.
    package let certificatePEM: String
    /// Its ECDSA P-256 private key, PEM (PKCS#8).
    package let privateKeyPEM: String

    /// Makes a certificate valid from an hour ago for `days` days.
    package init(commonName: String = "localhost", days: Int = 30) throws {
        let key = P256.Signing.PrivateKey()
        let privateKey = Certificate.PrivateKey(key)
        let name = try DistinguishedName {
            CommonName(commonName)
            OrganizationName("Tidings development")
        }
        let now = Date()
        let certificate = try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: privateKey.publicKey,
            notValidBefore: now.addingTimeInterval(-3600),
            notValidAfter: now.addingTimeInterval(Double(days) * 86_400),
            issuer: name,
            subject: name,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                Critical(KeyUsage(digitalSignature: true, keyCertSign: true))
                try ExtendedKeyUsage([.serverAuth])
                SubjectAlternativeNames([
                    .dnsName(commonName), .dnsName("localhost"), .ipAddress(ASN1OctetString(contentBytes: [127, 0, 0, 1])),
                ])
            },
            issuerPrivateKey: privateKey
        )
        self.certificatePEM = try certificate.serializeAsPEM().pemString
        self.privateKeyPEM = key.pemRepresentation
    }

    /// Writes `server.crt` and `server.key` (mode 0600) into `directory`; returns their paths.
    package func write(to directory: String) throws -> (certificate: String, key: String) {
        let certificatePath = (directory as NSString).appendingPathComponent("server.crt")
        let keyPath = (directory as NSString).appendingPathComponent("server.key")
        try certificatePEM.write(toFile: certificatePath, atomically: true, encoding: .utf8)
        guard FileManager.default.createFile(atPath: keyPath, contents: Data(privateKeyPEM.utf8), attributes: [.posixPermissions: 0o600])
        else {
            throw GatewayStartupError(.unwritableFile, "cannot write the private key to \(keyPath)")
        }
        return (certificatePath, keyPath)
    }
}
