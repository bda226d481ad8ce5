import DNSWire
import FakeCluster

#if canImport(Glibc)
    import Glibc
#endif

/// Opens the blocking sockets of kubetape's own clients (the stub resolver and the curl-like
/// fetcher), connected to an IPv4 address and port, with send and receive timeouts: in this
/// process's namespace to loopback addresses only, or (netns plan) inside the client pod's
/// namespace that kubetape made, where the cluster's real addresses exist.
enum ClientSocket {
    /// The system call that failed and its errno.
    struct Failure: Error {
        var call: String
        var code: Int32
    }

    /// A socket of `type` (SOCK_DGRAM or SOCK_STREAM) connected to `address:port`; created inside
    /// `namespace` when one is given, else refused unless `address` is in 127.0.0.0/8.
    static func connected(_ type: Int32, address: IPv4Address, port: UInt16, timeoutSeconds: Int, in namespace: NetworkNamespace? = nil) throws(Failure)
        -> Int32
    {
        let fd: Int32
        if let namespace {
            // a socket belongs to the namespace it was created in, whichever thread uses it later;
            // errno is per thread, so the namespace's thread hands it back with the result
            let (created, code) =
                (try? namespace.perform { () -> (Int32, Int32) in
                    let fd = socket(AF_INET, type, 0)
                    return (fd, fd < 0 ? errno : 0)
                }) ?? (-1, EBADF)
            guard created >= 0 else { throw Failure(call: "socket", code: code) }
            fd = created
        } else {
            guard address.octets[0] == 127 else { throw Failure(call: "connect", code: EACCES) }
            fd = socket(AF_INET, type, 0)
            guard fd >= 0 else { throw Failure(call: "socket", code: errno) }
        }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var sin = sockaddr_in()
        sin.sin_family = sa_family_t(AF_INET)
        sin.sin_port = port.bigEndian
        sin.sin_addr.s_addr = address.value.bigEndian
        let connected = withUnsafePointer(to: &sin) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            let code = errno
            close(fd)
            throw Failure(call: "connect", code: code)
        }
        return fd
    }
}
