#if canImport(Glibc)
import Glibc
import NIOCore

/// Finds the socket descriptor of an accepted NIO channel, for ``SocketWrites``.
///
/// NIO has no public accessor for it: the descriptor is read from the channel's stored properties
/// by reflection (`socket`, then its `descriptor`), and then proven. It is taken only when that
/// descriptor's local and peer addresses are the channel's own, so a NIO whose layout changed
/// gives `nil` (NIO then writes everything), never another connection's socket.
enum SocketDescriptor {
    static func of(_ channel: any Channel) -> CInt? {
        guard let socket = storedValue(labelled: "socket", in: channel),
            let descriptor = storedValue(labelled: "descriptor", in: socket) as? CInt,
            descriptor >= 0,
            let local = channel.localAddress, let remote = channel.remoteAddress,
            address(of: descriptor, peer: false) == local, address(of: descriptor, peer: true) == remote
        else { return nil }
        return descriptor
    }

    /// A stored property of `value` or of one of its superclasses.
    private static func storedValue(labelled label: String, in value: Any) -> Any? {
        var mirror: Mirror? = Mirror(reflecting: value)
        while let current = mirror {
            if let child = current.children.first(where: { $0.label == label }) { return child.value }
            mirror = current.superclassMirror
        }
        return nil
    }

    /// The local or peer address the kernel reports for `descriptor`.
    private static func address(of descriptor: CInt, peer: Bool) -> SocketAddress? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = withUnsafeMutablePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                peer ? getpeername(descriptor, address, &length) : getsockname(descriptor, address, &length)
            }
        }
        guard result == 0 else { return nil }
        switch Int32(storage.ss_family) {
        case AF_INET:
            return withUnsafeBytes(of: &storage) { bytes in
                let address = bytes.load(as: sockaddr_in.self)
                return SocketAddress(address)
            }
        case AF_INET6:
            return withUnsafeBytes(of: &storage) { bytes in
                let address = bytes.load(as: sockaddr_in6.self)
                return SocketAddress(address)
            }
        default:
            return nil
        }
    }
}
#endif
