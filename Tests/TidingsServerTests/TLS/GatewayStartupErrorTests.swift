import Testing
import TidingsCore

@testable import TidingsServer

/// Startup errors carry a code a caller can branch on and the message the command prints,
/// which names the setting or file to fix.
@Suite("Startup errors: a code and the operator's message")
struct GatewayStartupErrorTests {
    @Test("a missing TLS certificate is invalidCertificate, naming the setting and the file")
    func missingCertificate() throws {
        let files = TLSFiles(certificate: "/nonexistent/tidings/cert.pem", key: "/nonexistent/tidings/key.pem")
        let error = #expect(throws: GatewayStartupError.self) { _ = try ServerTLS.configuration(files) }
        #expect(error?.code == .invalidCertificate)
        #expect(
            error?.description == "tls.certificate: cannot read a PEM certificate chain from /nonexistent/tidings/cert.pem (no such file)"
        )
    }

    @Test("minting RS256 tokens without a private key is invalidSigningKey, saying what to pass")
    func signingKeyMissing() async throws {
        let settings = JWTSettings(algorithm: .rs256, key: .publicKeyFile("/nonexistent/tidings/public.pem"))
        let error = await #expect(throws: GatewayStartupError.self) { _ = try await TokenMinter(settings: settings) }
        #expect(error?.code == .invalidSigningKey)
        #expect(error?.description == "RS256 tokens are signed with a private key: pass --private-key FILE (PEM)")
    }

    @Test("an unreadable verification key file is unreadableKeyFile, naming the file and the fix")
    func tokenKeyUnreadable() async throws {
        let settings = JWTSettings(algorithm: .rs256, key: .publicKeyFile("/nonexistent/tidings/public.pem"))
        let error = await #expect(throws: TokenKeyError.self) { _ = try await TokenVerifier.load(settings) }
        #expect(error?.code == .unreadableKeyFile)
        #expect(error?.description == "cannot read the key file /nonexistent/tidings/public.pem: check the path and its permissions")
    }
}
