import ClusterDNS
import DNSWire
import NIOCore

/// The transport a query arrived on; it decides the size limit of the reply.
public enum DNSTransport: String, Hashable, Sendable {
    case udp
    case tcp
}

/// Answers one decoded query. Implementations must be safe to call from any event loop.
public protocol DNSQueryHandler: Sendable {
    /// The response to `query`, or `nil` to send nothing.
    func response(to query: DNSMessage, transport: DNSTransport) -> DNSMessage?
}

/// The socket-free part of the DNS server: octets in, octets out. Malformed queries get FORMERR
/// when their header can be read and nothing otherwise; replies that do not fit the transport's
/// limit (512 octets without EDNS, the client's size with it, 65535 over TCP) are cut record by
/// record with TC set (RFC 1035 4.2.1, RFC 6891 7).
public enum DNSExchange {
    /// The reply to one query message (without TCP framing), or `nil` when nothing should be sent.
    public static func reply(to request: ByteBuffer, transport: DNSTransport, handler: some DNSQueryHandler) -> ByteBuffer? {
        let query: DNSMessage
        do {
            query = try DNSMessage(wireFormat: request)
        } catch {
            return formatError(for: request)
        }
        // never answer responses: that is how reflection loops start
        guard !query.header.isResponse, let response = handler.response(to: query, transport: transport) else { return nil }
        let limit = ReplyTruncation.limit(for: query, overTCP: transport == .tcp)
        return try? fitted(response, limit: limit, transport: transport)
    }

    /// Encodes `response` within the transport's limit the way CoreDNS does (see
    /// `ReplyTruncation`): uncompressed when it fits, otherwise compressed and cut record by
    /// record in the order answer, authority, additional, with TC set.
    public static func fitted(_ response: DNSMessage, limit: Int, transport: DNSTransport) throws -> ByteBuffer {
        // the common case first: the uncompressed reply fits (and, over UDP, needs no compression
        // against fragmentation), so it is encoded once
        let plain = try response.wireFormat(compress: false)
        if plain.readableBytes <= max(limit, 512) && (transport == .tcp || plain.readableBytes <= 1480) {
            return plain
        }
        let (message, compress) = try ReplyTruncation.fit(response, limit: limit, udp: transport == .udp)
        return try message.wireFormat(compress: compress)
    }

    /// FORMERR echoing the id and opcode when at least the 12-octet header is present.
    static func formatError(for request: ByteBuffer) -> ByteBuffer? {
        guard let id = request.getInteger(at: request.readerIndex, as: UInt16.self),
            let flags = request.getInteger(at: request.readerIndex + 2, as: UInt16.self),
            request.readableBytes >= 12, flags & 0x8000 == 0
        else { return nil }
        let header = DNSHeader(id: id, flagBits: flags & 0x7900 | 0x8000 | UInt16(DNSRCode.formErr.rawValue))
        return try? DNSMessage(header: header).wireFormat()
    }
}
