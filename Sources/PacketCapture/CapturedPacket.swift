/// A link-layer type as libpcap and pcapng number it (`LINKTYPE_*`, which equal the `DLT_*`
/// values kubetape meets on Linux).
public struct LinkType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    public init(_ rawValue: UInt32) { self.rawValue = rawValue }

    /// BSD loopback: 4-octet address family in host byte order of the capturing machine.
    public static let null = LinkType(0)
    public static let ethernet = LinkType(1)
    /// Raw IP (IPv4 or IPv6 by version nibble).
    public static let raw = LinkType(101)
    /// Linux cooked capture v1.
    public static let linuxSLL = LinkType(113)
    /// OpenBSD loopback: 4-octet address family in network byte order.
    public static let loop = LinkType(108)
    public static let ipv4 = LinkType(228)
    public static let ipv6 = LinkType(229)
    /// Linux cooked capture v2, what `tcpdump -i any` writes.
    public static let linuxSLL2 = LinkType(276)

    public var description: String {
        switch rawValue {
        case 0: return "NULL"
        case 1: return "EN10MB"
        case 101: return "RAW"
        case 108: return "LOOP"
        case 113: return "LINUX_SLL"
        case 228: return "IPV4"
        case 229: return "IPV6"
        case 276: return "LINUX_SLL2"
        default: return "LINKTYPE_\(rawValue)"
        }
    }
}

/// One packet as read from a file or a live interface, with no libpcap types in sight.
public struct CapturedPacket: Hashable, Sendable {
    /// 1-based position in the capture, as Wireshark numbers frames.
    public var frameNumber: Int
    /// Capture time since the Unix epoch, in nanoseconds.
    public var timestampNanoseconds: Int64
    public var linkType: LinkType
    /// The captured octets (possibly cut by the snap length).
    public var data: [UInt8]
    /// The packet's length on the wire; larger than `data.count` when the snap length cut it.
    public var originalLength: Int
    /// The capturing interface's name when the file records it (pcapng IDB `if_name`).
    public var interfaceName: String?
    /// The pcapng interface index, or 0 for classic pcap and live captures.
    public var interfaceIndex: Int

    public init(
        frameNumber: Int, timestampNanoseconds: Int64, linkType: LinkType, data: [UInt8], originalLength: Int, interfaceName: String? = nil,
        interfaceIndex: Int = 0
    ) {
        self.frameNumber = frameNumber
        self.timestampNanoseconds = timestampNanoseconds
        self.linkType = linkType
        self.data = data
        self.originalLength = originalLength
        self.interfaceName = interfaceName
        self.interfaceIndex = interfaceIndex
    }

    /// True when the snap length cut the packet.
    public var isTruncated: Bool { data.count < originalLength }

    /// Makes `octets` the packet's data, reusing the storage of ``data`` when nothing else holds
    /// it, unless it is much larger than needed (kept from a big packet: a decoder that keeps
    /// slices of packets, as TCP reassembly does, would otherwise hold large copies).
    mutating func replaceData(with octets: UnsafeBufferPointer<UInt8>) {
        if data.capacity > max(2 * octets.count, 4096) { data = [] }
        data.removeAll(keepingCapacity: true)
        data.append(contentsOf: octets)
    }

    /// A packet with no octets, frame 0: the variable a read loop hands to
    /// ``CaptureFileReader/next(into:)`` before the first packet.
    public static var empty: CapturedPacket {
        CapturedPacket(frameNumber: 0, timestampNanoseconds: 0, linkType: .ethernet, data: [], originalLength: 0)
    }
}
