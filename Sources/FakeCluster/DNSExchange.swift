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
        var buffer = ByteBufferAllocator().buffer(capacity: 512)
        guard reply(to: request, transport: transport, handler: handler, into: &buffer) else { return nil }
        return buffer
    }

    /// Appends the reply to one query message to `buffer`; `false` (and `buffer` as it was) when
    /// nothing should be sent. Lets a server write a batch of replies into one buffer.
    public static func reply(to request: ByteBuffer, transport: DNSTransport, handler: some DNSQueryHandler, into buffer: inout ByteBuffer) -> Bool {
        let query: DNSMessage
        do {
            query = try DNSMessage(wireFormat: request)
        } catch {
            guard let formErr = formatError(for: request) else { return false }
            buffer.writeImmutableBuffer(formErr)
            return true
        }
        // never answer responses: that is how reflection loops start
        guard !query.header.isResponse, let response = handler.response(to: query, transport: transport) else { return false }
        let limit = ReplyTruncation.limit(for: query, overTCP: transport == .tcp)
        do {
            try write(response, limit: limit, transport: transport, into: &buffer)
            return true
        } catch {
            return false
        }
    }

    /// Encodes `response` within the transport's limit the way CoreDNS does (see
    /// `ReplyTruncation`): uncompressed when it fits, otherwise compressed and cut record by
    /// record in the order answer, authority, additional, with TC set.
    public static func fitted(_ response: DNSMessage, limit: Int, transport: DNSTransport) throws -> ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: 512)
        try write(response, limit: limit, transport: transport, into: &buffer)
        return buffer
    }

    /// ``fitted(_:limit:transport:)`` appended to `buffer` (left as it was on error). The bytes are
    /// those of `ReplyTruncation.fit` encoded as it says, with fewer encodings: the uncompressed
    /// reply is written once, and a reply that fits once compressed is written once more, where
    /// `fit` measures every prefix it bisects.
    static func write(_ response: DNSMessage, limit: Int, transport: DNSTransport, into buffer: inout ByteBuffer) throws {
        let start = buffer.writerIndex
        let size = max(limit, 512)
        let udp = transport == .udp
        let plain: Int
        do {
            try response.write(into: &buffer, compress: false)
            plain = buffer.writerIndex - start
        } catch let error as DNSWireError where error.code == .messageTooLarge {
            // over 65,535 octets uncompressed (a headless service with hundreds of endpoints on a
            // named port): compression may still bring it under
            buffer.moveWriterIndex(to: start)
            plain = Int.max
        }
        // the common case: the uncompressed reply fits (and, over UDP, needs no compression
        // against fragmentation)
        if plain <= size && (!udp || plain <= 1480) { return }
        buffer.moveWriterIndex(to: start)
        do {
            if plain <= size {
                // fits, but above 1480 octets over UDP: the whole reply, compressed
                try response.write(into: &buffer, compress: true)
                return
            }
            // too large uncompressed: `fit` keeps every record (the OPT record, if any, moved
            // last) when the whole reply fits compressed, since a prefix never encodes larger than
            // the whole; the OPT record's owner is the root, never compressed, so the room `fit`
            // reserves for it is exactly what it adds
            var whole = response
            if let opt = whole.additional.first(where: { $0.type == .opt }) {
                whole.additional.removeAll { $0.type == .opt }
                whole.additional.append(opt)
            }
            try whole.write(into: &buffer, compress: true)
            if buffer.writerIndex - start <= size { return }
            buffer.moveWriterIndex(to: start)
            let (message, compress) = try ReplyTruncation.fit(response, limit: limit, udp: udp)
            try message.write(into: &buffer, compress: compress)
        } catch {
            buffer.moveWriterIndex(to: start)
            throw error
        }
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
