#if canImport(Glibc)
@_spi(Reflection) import Swift
import Glibc
import NIOCore
import Synchronization

/// Finds the socket descriptor of an accepted NIO channel, for ``SocketWrites``.
///
/// NIO has no public accessor for it. The runtime's field metadata says where a channel type
/// keeps its socket object (`socket`) and where that object keeps its descriptor
/// (`descriptor: Int32`); the two offsets are looked up once per channel type, and then each
/// connection's descriptor is two loads. A descriptor is taken only when the kernel's local and
/// peer addresses for it are the channel's own, so a NIO whose layout changed gives `nil` (NIO
/// then writes everything), never another connection's socket.
enum SocketDescriptor {
    static func of(_ channel: any Channel) -> CInt? {
        guard let layout = layout(of: type(of: channel)),
            let local = channel.localAddress, let remote = channel.remoteAddress
        else { return nil }
        let descriptor = withExtendedLifetime(channel) {
            let object = UnsafeRawPointer(Unmanaged.passUnretained(channel as AnyObject).toOpaque())
            let socket = object.load(fromByteOffset: layout.socket, as: UnsafeRawPointer.self)
            return socket.load(fromByteOffset: layout.descriptor, as: CInt.self)
        }
        guard descriptor >= 0, address(of: descriptor, peer: false) == local, address(of: descriptor, peer: true) == remote
        else { return nil }
        return descriptor
    }

    /// Byte offsets: of the socket object's reference in the channel, and of the descriptor in it.
    private struct Layout {
        var socket: Int
        var descriptor: Int
    }

    /// Per channel type; `nil` for a type without a socket object holding a descriptor.
    private static let layouts = Mutex<[ObjectIdentifier: Layout?]>([:])

    private static func layout(of channelType: any Channel.Type) -> Layout? {
        let key = ObjectIdentifier(channelType)
        if let known = layouts.withLock({ $0[key] }) { return known }
        var layout: Layout?
        if let socket = field("socket", of: channelType),
            let descriptor = field("descriptor", of: socket.type),
            descriptor.type == CInt.self
        {
            layout = Layout(socket: socket.offset, descriptor: descriptor.offset)
        }
        layouts.withLock { $0[key] = .some(layout) }
        return layout
    }

    /// A stored property of class `type` (its superclasses' included): its offset and type.
    private static func field(_ name: String, of type: Any.Type) -> (offset: Int, type: Any.Type)? {
        var found: (offset: Int, type: Any.Type)?
        _forEachField(of: type, options: _EachFieldOptions(rawValue: 1 << 0)) { fieldName, offset, fieldType, _ in
            guard String(cString: fieldName) == name else { return true }
            found = (offset, fieldType)
            return false
        }
        return found
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
            return withUnsafeBytes(of: &storage) { SocketAddress($0.load(as: sockaddr_in.self)) }
        case AF_INET6:
            return withUnsafeBytes(of: &storage) { SocketAddress($0.load(as: sockaddr_in6.self)) }
        default:
            return nil
        }
    }
}
#endif
