import DNSWire

#if canImport(Glibc)
    import Glibc
#endif

/// A minimal blocking HTTP/1.1 GET over a loopback TCP socket, as curl sends it with
/// `Connection: close`: reads until the server closes, then splits status and body.
/// Refuses any address outside 127.0.0.0/8.
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

    static func get(address: IPv4Address, port: UInt16, host: String, path: String, timeoutSeconds: Int = 5) throws(Failure) -> Response {
        guard address.octets[0] == 127 else { throw .notLoopback }
        let fd: Int32
        do {
            fd = try LoopbackSocket.connected(Int32(SOCK_STREAM.rawValue), address: address, port: port, timeoutSeconds: timeoutSeconds)
        } catch {
            if error.call == "connect" && error.code == ECONNREFUSED { throw .refused }
            throw .socket(error.call == "socket" ? "socket() failed, errno \(error.code)" : "connect failed, errno \(error.code)")
        }
        defer { close(fd) }
        let request = Array("GET \(path) HTTP/1.1\r\nHost: \(host)\r\nUser-Agent: kubetape\r\nAccept: */*\r\nConnection: close\r\n\r\n".utf8)
        var sent = 0
        while sent < request.count {
            let n = request.withUnsafeBytes { raw in send(fd, raw.baseAddress! + sent, raw.count - sent, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw .socket("send failed, errno \(errno)") }
            sent += n
        }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16384)
        while bytes.count < 1 << 20 {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n == 0 { break }
            guard n > 0 else { throw .socket(errno == EAGAIN ? "timed out reading the response" : "recv failed, errno \(errno)") }
            bytes.append(contentsOf: buffer[0..<n])
        }
        return try parse(bytes)
    }

    /// Status line and body (Content-Length honoured when present).
    static func parse(_ bytes: [UInt8]) throws(Failure) -> Response {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard bytes.count >= 4, let end = (0...(bytes.count - 4)).first(where: { Array(bytes[$0..<$0 + 4]) == separator }) else { throw .malformed }
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
