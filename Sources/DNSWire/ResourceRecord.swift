/// The typed RDATA of a record. Types kubetape does not model are kept as opaque octets
/// (RFC 3597) so that decoding and re-encoding is lossless.
public enum RecordData: Hashable, Sendable {
    case a(IPv4Address)
    case aaaa(IPv6Address)
    case ns(DNSName)
    case cname(DNSName)
    case ptr(DNSName)
    case soa(SOA)
    case srv(SRV)
    /// One or more character-strings, each at most 255 octets.
    case txt([[UInt8]])
    case mx(preference: UInt16, exchange: DNSName)
    /// EDNS0 options (the rest of OPT lives in the record's class and TTL; see ``EDNS``).
    case opt([EDNSOption])
    /// Any other type, its RDATA verbatim.
    case unknown(type: DNSType, rdata: [UInt8])

    /// The record type this data belongs to.
    public var type: DNSType {
        switch self {
        case .a: return .a
        case .aaaa: return .aaaa
        case .ns: return .ns
        case .cname: return .cname
        case .ptr: return .ptr
        case .soa: return .soa
        case .srv: return .srv
        case .txt: return .txt
        case .mx: return .mx
        case .opt: return .opt
        case .unknown(let type, _): return type
        }
    }
}

/// SOA RDATA (RFC 1035 3.3.13).
public struct SOA: Hashable, Sendable {
    public var mname: DNSName
    public var rname: DNSName
    public var serial: UInt32
    public var refresh: UInt32
    public var retry: UInt32
    public var expire: UInt32
    public var minimum: UInt32

    public init(mname: DNSName, rname: DNSName, serial: UInt32, refresh: UInt32, retry: UInt32, expire: UInt32, minimum: UInt32) {
        self.mname = mname
        self.rname = rname
        self.serial = serial
        self.refresh = refresh
        self.retry = retry
        self.expire = expire
        self.minimum = minimum
    }
}

/// SRV RDATA (RFC 2782). The target is never compressed on the wire.
public struct SRV: Hashable, Sendable {
    public var priority: UInt16
    public var weight: UInt16
    public var port: UInt16
    public var target: DNSName

    public init(priority: UInt16, weight: UInt16, port: UInt16, target: DNSName) {
        self.priority = priority
        self.weight = weight
        self.port = port
        self.target = target
    }
}

/// One EDNS0 option, kept as code and value octets (RFC 6891 6.1.2).
public struct EDNSOption: Hashable, Sendable {
    public var code: UInt16
    public var data: [UInt8]
    public init(code: UInt16, data: [UInt8]) {
        self.code = code
        self.data = data
    }

    public static let nsid: UInt16 = 3
    public static let clientSubnet: UInt16 = 8
    public static let expire: UInt16 = 9
    public static let cookie: UInt16 = 10
    public static let tcpKeepalive: UInt16 = 11
    public static let padding: UInt16 = 12
}

/// A resource record: owner, class, TTL and typed data. For OPT the class holds the UDP payload
/// size and the TTL the extended rcode, version and flags (use ``EDNS`` to read them).
public struct ResourceRecord: Hashable, Sendable {
    public var name: DNSName
    public var rrClass: DNSClass
    public var ttl: UInt32
    public var data: RecordData

    public init(name: DNSName, rrClass: DNSClass = .in, ttl: UInt32, data: RecordData) {
        self.name = name
        self.rrClass = rrClass
        self.ttl = ttl
        self.data = data
    }

    /// The record's type, taken from its data.
    public var type: DNSType { data.type }
}

/// A question: name, type and class.
public struct DNSQuestion: Hashable, Sendable {
    public var name: DNSName
    public var type: DNSType
    public var qClass: DNSClass

    public init(name: DNSName, type: DNSType, qClass: DNSClass = .in) {
        self.name = name
        self.type = type
        self.qClass = qClass
    }
}

/// The EDNS0 view of an OPT pseudo-record (RFC 6891).
public struct EDNS: Hashable, Sendable {
    /// Requestor's UDP payload size.
    public var udpPayloadSize: UInt16
    /// Upper 8 bits of the 12-bit rcode.
    public var extendedRCode: UInt8
    public var version: UInt8
    /// The DO (DNSSEC OK) bit.
    public var dnssecOK: Bool
    /// The 15 flag bits after DO, kept for losslessness.
    public var otherFlags: UInt16
    public var options: [EDNSOption]

    public init(
        udpPayloadSize: UInt16 = 1232, extendedRCode: UInt8 = 0, version: UInt8 = 0, dnssecOK: Bool = false, otherFlags: UInt16 = 0, options: [EDNSOption] = []
    ) {
        self.udpPayloadSize = udpPayloadSize
        self.extendedRCode = extendedRCode
        self.version = version
        self.dnssecOK = dnssecOK
        self.otherFlags = otherFlags
        self.options = options
    }

    /// Reads the OPT fields from a record; `nil` if the record is not OPT.
    public init?(record: ResourceRecord) {
        guard case .opt(let options) = record.data else { return nil }
        udpPayloadSize = record.rrClass.rawValue
        extendedRCode = UInt8(truncatingIfNeeded: record.ttl >> 24)
        version = UInt8(truncatingIfNeeded: record.ttl >> 16)
        dnssecOK = record.ttl & 0x8000 != 0
        otherFlags = UInt16(truncatingIfNeeded: record.ttl) & 0x7fff
        self.options = options
    }

    /// The OPT record that carries these fields.
    public var record: ResourceRecord {
        let ttl = UInt32(extendedRCode) << 24 | UInt32(version) << 16 | (dnssecOK ? 0x8000 : 0) | UInt32(otherFlags & 0x7fff)
        return ResourceRecord(name: .root, rrClass: DNSClass(udpPayloadSize), ttl: ttl, data: .opt(options))
    }
}
