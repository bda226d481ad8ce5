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
/// limit are cut record by record with TC set (RFC 1035 4.2.1, RFC 6891 7).
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
        let limit = sizeLimit(for: query, transport: transport)
        return try? fitted(response, limit: limit)
    }

    /// 65535 over TCP; over UDP the client's EDNS payload size (at least 512), or 512 without EDNS.
    public static func sizeLimit(for query: DNSMessage, transport: DNSTransport) -> Int {
        switch transport {
        case .tcp: return DNSWireLimits.maxMessageSize
        case .udp:
            guard let edns = query.edns else { return 512 }
            return max(512, Int(edns.udpPayloadSize))
        }
    }

    /// Encodes `response`; if it exceeds `limit`, keeps the longest prefix of its records in the
    /// order answer, authority, additional (the OPT record always kept) that fits, and sets TC.
    public static func fitted(_ response: DNSMessage, limit: Int) throws -> ByteBuffer {
        let whole = try response.wireFormat()
        if whole.readableBytes <= limit { return whole }
        let opt = response.additional.first { $0.type == .opt }
        let additional = response.additional.filter { $0.type != .opt }
        let all = response.answers.map { (0, $0) } + response.authority.map { (1, $0) } + additional.map { (2, $0) }
        func message(keeping count: Int) -> DNSMessage {
            var cut = response
            cut.header.truncated = true
            cut.answers = []
            cut.authority = []
            cut.additional = []
            for (section, record) in all.prefix(count) {
                switch section {
                case 0: cut.answers.append(record)
                case 1: cut.authority.append(record)
                default: cut.additional.append(record)
                }
            }
            if let opt { cut.additional.append(opt) }
            return cut
        }
        // encoded size grows with the number of records kept: binary search for the largest fit
        var low = 0
        var high = all.count - 1
        var best = try message(keeping: 0).wireFormat()
        while low <= high {
            let middle = (low + high) / 2
            let candidate = try message(keeping: middle).wireFormat()
            if candidate.readableBytes <= limit {
                best = candidate
                low = middle + 1
            } else {
                high = middle - 1
            }
        }
        return best
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
