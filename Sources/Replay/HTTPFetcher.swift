import DNSWire
import FakeCluster

#if canImport(Glibc)
    import Glibc
#endif

/// A minimal blocking HTTP/1.1 GET over a loopback TCP socket: as curl sends it with
/// `Connection: close` (reads until the server closes), or several on one keep-alive connection.
/// Refuses any address outside 127.0.0.0/8 unless it connects from inside kubetape's own client
/// pod namespace (netns plan).
enum HTTPFetcher {
    struct Response: Hashable {
        var status: Int
        var body: String
    }

    enum Failure: Error, CustomStringConvertible {
        case notLoopback
        case socket(String)
        case refused
        case malformed
        var description: String {
            switch self {
            case .notLoopback: return "address outside loopback (not contacted)"
            case .socket(let what): return what
            case .refused: return "connection refused"
            case .malformed: return "malformed HTTP response"
            }
        }
    }

    /// One request on a connection of its own (`Connection: close`, as a curl run).
    static func get(address: IPv4Address, port: UInt16, host: String, path: String, timeoutSeconds: Int = 5, in namespace: NetworkNamespace? = nil)
        throws(Failure)
        -> Response
    {
        let connection = try Connection(address: address, port: port, timeoutSeconds: timeoutSeconds, in: namespace)
        return try connection.get(host: host, path: path, keepAlive: false)
    }

    /// A TCP connection to one loopback address that carries one request after another
    /// (keep-alive, as a client library's pooled connection).
    final class Connection {
        private let fd: Int32
        /// Bytes read past the end of the last response.
        private var pending: [UInt8] = []

        init(address: IPv4Address, port: UInt16, timeoutSeconds: Int = 5, in namespace: NetworkNamespace? = nil) throws(Failure) {
            guard address.octets[0] == 127 || namespace != nil else { throw .notLoopback }
            do {
                fd = try ClientSocket.connected(Int32(SOCK_STREAM.rawValue), address: address, port: port, timeoutSeconds: timeoutSeconds, in: namespace)
            } catch {
                if error.call == "connect" && error.code == ECONNREFUSED { throw .refused }
                throw .socket(error.call == "socket" ? "socket() failed, errno \(error.code)" : "connect failed, errno \(error.code)")
            }
        }

        deinit { close(fd) }

        /// Sends a GET and reads its response: to the end of the stream for `Connection: close`,
        /// else exactly Content-Length bytes of body.
        func get(host: String, path: String, keepAlive: Bool) throws(Failure) -> Response {
            let request = Array(
                "GET \(path) HTTP/1.1\r\nHost: \(host)\r\nUser-Agent: kubetape\r\nAccept: */*\r\n\(keepAlive ? "" : "Connection: close\r\n")\r\n".utf8)
            var sent = 0
            while sent < request.count {
                let n = request.withUnsafeBytes { raw in send(fd, raw.baseAddress! + sent, raw.count - sent, Int32(MSG_NOSIGNAL)) }
                guard n > 0 else { throw .socket("send failed, errno \(errno)") }
                sent += n
            }
            var bytes = pending
            pending = []
            var buffer = [UInt8](repeating: 0, count: 16384)
            while bytes.count < 1 << 20 {
                if keepAlive, let (response, used) = try HTTPFetcher.complete(bytes) {
                    pending = Array(bytes[used...])
                    return response
                }
                let n = recv(fd, &buffer, buffer.count, 0)
                if n == 0 { break }
                guard n > 0 else { throw .socket(errno == EAGAIN ? "timed out reading the response" : "recv failed, errno \(errno)") }
                bytes.append(contentsOf: buffer[0..<n])
            }
            if keepAlive { throw .socket("the server closed the connection before the response was complete") }
            return try parse(bytes)
        }
    }

    /// A response whose head and Content-Length body are complete in `bytes`, with the bytes used;
    /// `nil` while more must be read.
    static func complete(_ bytes: [UInt8]) throws(Failure) -> (Response, Int)? {
        guard let end = headEnd(bytes) else { return nil }
        let head = String(decoding: bytes[0..<end], as: UTF8.self)
        let length = head.split(separator: "\r\n").dropFirst().lazy.compactMap { line -> Int? in
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, parts[0].lowercased() == "content-length" else { return nil }
            return Int(parts[1].trimmingPrefix(" "))
        }.first
        guard let length else { throw .malformed }
        guard bytes.count >= end + 4 + length else { return nil }
        return (try parse(Array(bytes[0..<(end + 4 + length)])), end + 4 + length)
    }

    /// Offset of the blank line that ends the head.
    static func headEnd(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        return (0...(bytes.count - 4)).first { bytes[$0] == 13 && bytes[$0 + 1] == 10 && bytes[$0 + 2] == 13 && bytes[$0 + 3] == 10 }
    }

    /// Status line and body (Content-Length honoured when present).
    static func parse(_ bytes: [UInt8]) throws(Failure) -> Response {
        guard let end = headEnd(bytes) else { throw .malformed }
        let head = String(decoding: bytes[0..<end], as: UTF8.self)
        let lines = head.split(separator: "\r\n", omittingEmptySubsequences: false)
        let statusParts = lines.first?.split(separator: " ") ?? []
        guard statusParts.count >= 2, statusParts[0].hasPrefix("HTTP/1."), let status = Int(statusParts[1]) else { throw .malformed }
        var body = Array(bytes[(end + 4)...])
        for line in lines.dropFirst() {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "content-length", let length = Int(parts[1].trimmingPrefix(" ")), length <= body.count {
                body = Array(body.prefix(length))
            }
        }
        return Response(status: status, body: String(decoding: body, as: UTF8.self))
    }
}
