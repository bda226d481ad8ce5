import DNSWire

/// One IPv4 or IPv6 packet with its headers read and its transport payload located.
struct IPPacket {
    var source: IPAddress
    var destination: IPAddress
    /// The upper-layer protocol (6 TCP, 17 UDP, ...), after IPv6 extension headers.
    var proto: UInt8
    /// The transport header and payload as captured.
    var payload: ArraySlice<UInt8>
    /// The transport header and payload length the IP header announces.
    var wireLength: Int
    /// Set when this is a fragment of a larger datagram.
    var fragment: Fragment?

    /// Where a fragment sits in its datagram.
    struct Fragment {
        var id: UInt32
        var offset: Int
        var more: Bool
    }

    /// True when the snap length cut the payload short.
    var isCut: Bool { payload.count < wireLength }
}

/// Reads IPv4 and IPv6 headers without trusting a single length field.
enum IPLayer {
    enum Result {
        case packet(IPPacket)
        /// Not IP, or nothing above IP that kubetape reads.
        case ignored
        case malformed(String)
    }

    static func decode(_ data: [UInt8], offset: Int, version: Int?) -> Result {
        guard offset < data.count else { return .malformed("no IP header after the link header") }
        let nibble = Int(data[offset] >> 4)
        if let version, version != nibble {
            return .malformed("IP version nibble \(nibble) where the link header says IPv\(version)")
        }
        switch nibble {
        case 4: return ipv4(data, offset)
        case 6: return ipv6(data, offset)
        default: return .malformed("IP version \(nibble) is neither 4 nor 6")
        }
    }

    static func ipv4(_ d: [UInt8], _ o: Int) -> Result {
        let available = d.count - o
        guard available >= 20 else { return .malformed("IPv4 header needs 20 octets, \(available) captured") }
        let ihl = Int(d[o] & 0x0f) * 4
        guard ihl >= 20 else { return .malformed("IPv4 header length \(ihl) is below 20") }
        guard ihl <= available else { return .malformed("IPv4 header length \(ihl) exceeds the \(available) octets captured") }
        var total = Int(LinkLayer.u16(d, o + 2))
        if total == 0 { total = available }  // TSO/GSO captures leave the length at 0
        guard total >= ihl else { return .malformed("IPv4 total length \(total) is shorter than its header (\(ihl))") }
        let flagsOffset = LinkLayer.u16(d, o + 6)
        let more = flagsOffset & 0x2000 != 0
        let fragOffset = Int(flagsOffset & 0x1fff) * 8
        let proto = d[o + 9]
        let src = IPv4Address(LinkLayer.u32(d, o + 12))
        let dst = IPv4Address(LinkLayer.u32(d, o + 16))
        let end = o + min(total, available)
        var packet = IPPacket(
            source: .v4(src), destination: .v4(dst), proto: proto, payload: d[(o + ihl)..<end], wireLength: total - ihl, fragment: nil)
        if more || fragOffset != 0 {
            packet.fragment = .init(id: UInt32(LinkLayer.u16(d, o + 4)), offset: fragOffset, more: more)
        }
        return .packet(packet)
    }

    static func ipv6(_ d: [UInt8], _ o: Int) -> Result {
        let available = d.count - o
        guard available >= 40 else { return .malformed("IPv6 header needs 40 octets, \(available) captured") }
        var payloadLength = Int(LinkLayer.u16(d, o + 4))
        if payloadLength == 0 { payloadLength = available - 40 }  // jumbogram or GSO
        var next = d[o + 6]
        guard let src = IPv6Address(octets: d[(o + 8)..<(o + 24)]), let dst = IPv6Address(octets: d[(o + 24)..<(o + 40)]) else {
            return .malformed("IPv6 addresses unreadable")
        }
        let end = o + 40 + min(payloadLength, available - 40)
        var position = o + 40
        var fragment: IPPacket.Fragment?
        var headers = 0
        loop: while true {
            switch next {
            case 0, 43, 60, 51:  // hop-by-hop, routing, destination options, AH
                guard position + 2 <= end else { return .malformed("IPv6 extension header \(next) is cut short") }
                let length = next == 51 ? (Int(d[position + 1]) + 2) * 4 : (Int(d[position + 1]) + 1) * 8
                guard position + length <= end else { return .malformed("IPv6 extension header \(next) of \(length) octets overruns the packet") }
                next = d[position]
                position += length
            case 44:  // fragment
                guard position + 8 <= end else { return .malformed("IPv6 fragment header is cut short") }
                let field = LinkLayer.u16(d, position + 2)
                fragment = .init(id: LinkLayer.u32(d, position + 4), offset: Int(field >> 3) * 8, more: field & 1 != 0)
                next = d[position]
                position += 8
                if fragment?.offset != 0 { break loop }  // later fragments carry no further headers
            case 59:
                return .ignored
            default:
                break loop
            }
            headers += 1
            if headers > 16 { return .malformed("more than 16 IPv6 extension headers") }
        }
        let wireLength = 40 + payloadLength - (position - o)
        guard wireLength >= 0 else { return .malformed("IPv6 extension headers overrun the payload length") }
        var packet = IPPacket(source: .v6(src), destination: .v6(dst), proto: next, payload: d[position..<end], wireLength: wireLength, fragment: nil)
        if let fragment, fragment.more || fragment.offset != 0 {
            packet.fragment = fragment
        }
        return .packet(packet)
    }
}
