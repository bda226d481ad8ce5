import DNSWire

/// Fits a reply into the client's size limit as CoreDNS's ScrubWriter does (miekg/dns
/// `Msg.Truncate`): a reply that fits is sent uncompressed; otherwise it is compressed and records
/// are kept in order answer → authority → additional while they fit (the OPT record's room
/// reserved), and TC is set whenever any record was dropped.
public enum ReplyTruncation {
    /// The limit for a reply to `query`: over UDP the client's EDNS payload size (at least 512) or
    /// 512 without EDNS; over TCP 65535.
    public static func limit(for query: DNSMessage, overTCP: Bool = false) -> Int {
        if overTCP { return DNSWireLimits.maxMessageSize }
        guard let edns = query.edns else { return 512 }
        return max(512, Int(edns.udpPayloadSize))
    }

    /// The fitted reply and whether it must be compressed on the wire. UDP replies above 1480
    /// octets are compressed even when they fit (CoreDNS's fragmentation guard; pass `udp: false` for TCP).
    public static func fit(_ reply: DNSMessage, limit: Int, udp: Bool = true) throws -> (message: DNSMessage, compress: Bool) {
        let size = max(limit, 512)
        let plain = try reply.wireBytes(compress: false).count
        if plain <= size {
            return (reply, udp && plain > 1480)
        }
        var message = reply
        let opt = message.additional.first { $0.type == .opt }
        message.additional.removeAll { $0.type == .opt }
        var budget = size
        if let opt {
            budget -= try DNSMessage(additional: [opt]).wireBytes(compress: false).count - 12
        }
        let all = message.answers + message.authority + message.additional
        func prefix(_ k: Int) -> DNSMessage {
            var m = message
            let a = min(k, message.answers.count)
            let n = min(max(k - a, 0), message.authority.count)
            let x = max(k - a - n, 0)
            m.answers = Array(message.answers.prefix(a))
            m.authority = Array(message.authority.prefix(n))
            m.additional = Array(message.additional.prefix(x))
            return m
        }
        // the largest prefix that fits, by bisection (size grows with the prefix)
        var low = 0
        var high = all.count
        while low < high {
            let mid = (low + high + 1) / 2
            if try prefix(mid).wireBytes(compress: true).count <= budget {
                low = mid
            } else {
                high = mid - 1
            }
        }
        var fitted = prefix(low)
        if low < all.count { fitted.header.truncated = true }
        if let opt { fitted.additional.append(opt) }
        return (fitted, true)
    }
}
