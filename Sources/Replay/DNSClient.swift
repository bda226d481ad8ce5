import DNSWire
import FakeCluster

#if canImport(Glibc)
    import Glibc
#endif

/// A blocking stub-resolver transport to the fake cluster's DNS server: UDP, retried over TCP when
/// the reply is truncated (as glibc does), or TCP only. On loopback, or from inside the client
/// pod's namespace (netns plan); see ``ClientSocket``.
enum DNSClient {
    /// How a lookup's queries travel.
    enum Transport: String {
        case udp
        case tcp
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Sends `query` and returns the reply whose ID matches (stray datagrams are skipped).
    static func exchange(
        _ query: DNSMessage, server: IPv4Address, port: UInt16, transport: Transport, timeoutSeconds: Int = 2, in namespace: NetworkNamespace? = nil
    ) throws(Failure) -> DNSMessage {
        guard server.octets[0] == 127 || namespace != nil else { throw Failure(description: "\(server) is not a loopback address") }
        let wire: [UInt8]
        do {
            wire = try query.wireBytes()
        } catch {
            throw Failure(description: "cannot encode the query: \(error)")
        }
        if transport == .udp {
            let reply = try udp(wire, id: query.header.id, server: server, port: port, timeoutSeconds: timeoutSeconds, in: namespace)
            guard reply.header.truncated else { return reply }
        }
        return try tcp(wire, id: query.header.id, server: server, port: port, timeoutSeconds: timeoutSeconds, in: namespace)
    }

    static func connectedSocket(_ type: Int32, server: IPv4Address, port: UInt16, timeoutSeconds: Int, in namespace: NetworkNamespace?) throws(Failure) -> Int32
    {
        do {
            return try ClientSocket.connected(type, address: server, port: port, timeoutSeconds: timeoutSeconds, in: namespace)
        } catch {
            if error.call == "socket" { throw Failure(description: "socket() failed, errno \(error.code)") }
            throw Failure(description: "connect to \(server):\(port) failed, errno \(error.code)")
        }
    }

    static func udp(_ wire: [UInt8], id: UInt16, server: IPv4Address, port: UInt16, timeoutSeconds: Int, in namespace: NetworkNamespace?) throws(Failure)
        -> DNSMessage
    {
        let fd = try connectedSocket(Int32(SOCK_DGRAM.rawValue), server: server, port: port, timeoutSeconds: timeoutSeconds, in: namespace)
        defer { close(fd) }
        guard wire.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, 0) }) == wire.count else {
            throw Failure(description: "UDP send failed, errno \(errno)")
        }
        var buffer = [UInt8](repeating: 0, count: 65535)
        for _ in 0..<8 {
            let n = recv(fd, &buffer, buffer.count, 0)
            guard n > 0 else { throw Failure(description: errno == EAGAIN ? "no UDP reply within \(timeoutSeconds) s" : "UDP recv failed, errno \(errno)") }
            guard let reply = try? DNSMessage(wireFormat: buffer[0..<n]), reply.header.id == id else { continue }
            return reply
        }
        throw Failure(description: "no UDP reply with ID \(id)")
    }

    static func tcp(_ wire: [UInt8], id: UInt16, server: IPv4Address, port: UInt16, timeoutSeconds: Int, in namespace: NetworkNamespace?) throws(Failure)
        -> DNSMessage
    {
        let fd = try connectedSocket(Int32(SOCK_STREAM.rawValue), server: server, port: port, timeoutSeconds: timeoutSeconds, in: namespace)
        defer { close(fd) }
        let framed = [UInt8(wire.count >> 8), UInt8(wire.count & 0xff)] + wire
        var sent = 0
        while sent < framed.count {
            let n = framed.withUnsafeBytes { send(fd, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw Failure(description: "TCP send failed, errno \(errno)") }
            sent += n
        }
        func read(_ count: Int) throws(Failure) -> [UInt8] {
            var out = [UInt8](repeating: 0, count: count)
            var got = 0
            while got < count {
                let n = out.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + got, count - got, 0) }
                guard n > 0 else { throw Failure(description: n == 0 ? "TCP connection closed mid-reply" : "TCP recv failed, errno \(errno)") }
                got += n
            }
            return out
        }
        let length = try read(2)
        let body = try read(Int(length[0]) << 8 | Int(length[1]))
        do {
            let reply = try DNSMessage(wireFormat: body)
            guard reply.header.id == id else { throw Failure(description: "TCP reply has ID \(reply.header.id), not \(id)") }
            return reply
        } catch let failure as Failure {
            throw failure
        } catch {
            throw Failure(description: "undecodable TCP reply: \(error)")
        }
    }
}
