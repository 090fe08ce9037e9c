import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import TidingsServer

extension HTTPClient {
    /// A client that trusts `certificatePEM` (the test's self-signed certificate), or any client
    /// for plain HTTP.
    package static func make(trusting certificatePEM: String? = nil, http1Only: Bool = false) throws -> HTTPClient {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let certificatePEM {
            tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(certificatePEM.utf8)))
        }
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        configuration.httpVersion = http1Only ? .http1Only : .automatic
        configuration.timeout = .init(connect: .seconds(5), read: .seconds(60))
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }
}

/// A temporary directory holding a fresh self-signed certificate and key.
package struct TestCertificate {
    package let certificate: SelfSignedCertificate
    package let files: (certificate: String, key: String)

    package init() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tidings-cert-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        certificate = try SelfSignedCertificate()
        files = try certificate.write(to: directory)
    }
}

/// Opens an SSE stream and returns its response and a message iterator.
package func openStream(
    _ client: HTTPClient,
    _ url: String,
    headers: [(String, String)] = []
) async throws -> (HTTPClientResponse, SSEMessages.AsyncIterator) {
    var request = HTTPClientRequest(url: url)
    for (name, value) in headers { request.headers.add(name: name, value: value) }
    let response = try await client.execute(request, timeout: .minutes(2))
    return (response, SSEMessages(body: response.body).makeAsyncIterator())
}

/// Reads a whole small response body as text.
package func bodyText(_ response: HTTPClientResponse) async throws -> String {
    String(buffer: try await response.body.collect(upTo: 1 << 20))
}
