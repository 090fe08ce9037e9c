#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Asks the kernel for a free loopback TCP port: bind 127.0.0.1:0, read the port, close.
///
/// Another process may take the port before the server binds it; the caller retries on a clash.
package enum FreePort {
    package static func find() throws -> Int {
        #if canImport(Darwin)
        let socketFD = socket(AF_INET, SOCK_STREAM, 0)
        #else
        let socketFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #endif
        guard socketFD >= 0 else { throw EphemeralClusterError(.noFreePort, "cannot open a socket to find a free port (errno \(errno))") }
        defer { close(socketFD) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
                bind(socketFD, generic, length) == 0 && getsockname(socketFD, generic, &length) == 0
            }
        }
        guard bound else { throw EphemeralClusterError(.noFreePort, "cannot bind 127.0.0.1:0 to find a free port (errno \(errno))") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
