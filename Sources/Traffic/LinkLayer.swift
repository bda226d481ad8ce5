import PacketCapture

/// Strips link-layer headers down to the IP packet they carry.
enum LinkLayer {
    /// The outcome of looking at one frame's link header.
    enum Result: Equatable {
        /// An IP packet starts at `offset`; `version` is 4 or 6 when the link header says so,
        /// nil when the version nibble must decide. `interface` is the SLL2 interface index.
        case ip(offset: Int, version: Int?, interface: Int)
        /// A frame kubetape does not decode (ARP, LLDP, ...): skipped silently.
        case notIP
        /// The link type itself is unknown.
        case unsupported
        /// The link header is shorter than it must be.
        case malformed(String)
    }

    static let etherTypeIPv4: UInt16 = 0x0800
    static let etherTypeIPv6: UInt16 = 0x86DD

    static func isSupported(_ type: LinkType) -> Bool {
        switch type.rawValue {
        case 0, 1, 12, 14, 101, 108, 113, 228, 229, 276: return true
        default: return false
        }
    }

    @inline(__always)
    static func u16(_ d: [UInt8], _ i: Int) -> UInt16 { UInt16(d[i]) << 8 | UInt16(d[i + 1]) }

    @inline(__always)
    static func u32(_ d: [UInt8], _ i: Int) -> UInt32 {
        UInt32(d[i]) << 24 | UInt32(d[i + 1]) << 16 | UInt32(d[i + 2]) << 8 | UInt32(d[i + 3])
    }

    static func decode(_ data: [UInt8], linkType: LinkType) -> Result {
        switch linkType.rawValue {
        case 1:  // Ethernet II
            guard data.count >= 14 else { return .malformed("Ethernet header needs 14 octets, frame has \(data.count)") }
            return etherType(data, typeOffset: 12, interface: 0)
        case 113:  // Linux cooked v1: 16-octet header, protocol at 14
            guard data.count >= 16 else { return .malformed("Linux cooked (SLL) header needs 16 octets, frame has \(data.count)") }
            return etherType(data, typeOffset: 14, interface: 0)
        case 276:  // Linux cooked v2: protocol at 0, interface index at 4, 20-octet header
            guard data.count >= 20 else { return .malformed("Linux cooked v2 (SLL2) header needs 20 octets, frame has \(data.count)") }
            let interface = Int(u32(data, 4))
            let proto = u16(data, 0)
            return ethernetPayload(data, type: proto, payloadOffset: 20, interface: interface)
        case 12, 14, 101:
            return .ip(offset: 0, version: nil, interface: 0)
        case 228:
            return .ip(offset: 0, version: 4, interface: 0)
        case 229:
            return .ip(offset: 0, version: 6, interface: 0)
        case 0, 108:  // BSD loopback: 4-octet address family (NULL: host order, LOOP: network order)
            guard data.count >= 4 else { return .malformed("loopback header needs 4 octets, frame has \(data.count)") }
            let big = u32(data, 0)
            let little = big.byteSwapped
            let family = linkType.rawValue == 108 ? big : (little <= 0xFFFF ? little : big)
            switch family {
            case 2: return .ip(offset: 4, version: 4, interface: 0)
            case 10, 24, 28, 30: return .ip(offset: 4, version: 6, interface: 0)
            default: return .notIP
            }
        default:
            return .unsupported
        }
    }

    /// Follows 802.1Q / 802.1ad / QinQ tags to the real EtherType.
    static func etherType(_ data: [UInt8], typeOffset: Int, interface: Int) -> Result {
        ethernetPayload(data, type: u16(data, typeOffset), payloadOffset: typeOffset + 2, interface: interface)
    }

    static func ethernetPayload(_ data: [UInt8], type: UInt16, payloadOffset: Int, interface: Int) -> Result {
        var type = type
        var offset = payloadOffset
        var tags = 0
        while type == 0x8100 || type == 0x88A8 || type == 0x9100 {
            guard offset + 4 <= data.count else { return .malformed("VLAN tag at offset \(offset) is cut short") }
            tags += 1
            guard tags <= 8 else { return .malformed("more than 8 stacked VLAN tags") }
            type = u16(data, offset + 2)
            offset += 4
        }
        switch type {
        case etherTypeIPv4: return .ip(offset: offset, version: 4, interface: interface)
        case etherTypeIPv6: return .ip(offset: offset, version: 6, interface: interface)
        default: return .notIP
        }
    }
}
