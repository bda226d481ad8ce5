/// A resource record type (RFC 1035 3.2.2 and later); unknown values print as `TYPEnnn` (RFC 3597).
public struct DNSType: RawRepresentable, Hashable, Sendable, Comparable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    public init(_ rawValue: UInt16) { self.rawValue = rawValue }

    public static let a = DNSType(1)
    public static let ns = DNSType(2)
    public static let cname = DNSType(5)
    public static let soa = DNSType(6)
    public static let ptr = DNSType(12)
    public static let hinfo = DNSType(13)
    public static let mx = DNSType(15)
    public static let txt = DNSType(16)
    public static let aaaa = DNSType(28)
    public static let srv = DNSType(33)
    public static let naptr = DNSType(35)
    public static let opt = DNSType(41)
    public static let ds = DNSType(43)
    public static let rrsig = DNSType(46)
    public static let nsec = DNSType(47)
    public static let dnskey = DNSType(48)
    public static let svcb = DNSType(64)
    public static let https = DNSType(65)
    public static let ixfr = DNSType(251)
    public static let axfr = DNSType(252)
    public static let any = DNSType(255)
    public static let caa = DNSType(257)

    static let mnemonics: [(String, DNSType)] = [
        ("A", .a), ("NS", .ns), ("CNAME", .cname), ("SOA", .soa), ("PTR", .ptr), ("HINFO", .hinfo),
        ("MX", .mx), ("TXT", .txt), ("AAAA", .aaaa), ("SRV", .srv), ("NAPTR", .naptr), ("OPT", .opt),
        ("DS", .ds), ("RRSIG", .rrsig), ("NSEC", .nsec), ("DNSKEY", .dnskey), ("SVCB", .svcb),
        ("HTTPS", .https), ("IXFR", .ixfr), ("AXFR", .axfr), ("ANY", .any), ("CAA", .caa),
    ]

    /// The mnemonic (`A`, `SRV`) or `TYPEnnn`.
    public var description: String {
        for (name, type) in DNSType.mnemonics where type == self { return name }
        return "TYPE\(rawValue)"
    }

    /// Parses a mnemonic (case-insensitive) or `TYPEnnn`.
    public init?(mnemonic text: some StringProtocol) {
        let upper = text.uppercased()
        for (name, type) in DNSType.mnemonics where name == upper {
            self = type
            return
        }
        guard upper.hasPrefix("TYPE"), let value = UInt16(upper.dropFirst(4)) else { return nil }
        self.rawValue = value
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// A record class; `IN` is the only one kubetape serves, others are kept as numbers.
public struct DNSClass: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    public init(_ rawValue: UInt16) { self.rawValue = rawValue }

    public static let `in` = DNSClass(1)
    public static let chaos = DNSClass(3)
    public static let hesiod = DNSClass(4)
    public static let none = DNSClass(254)
    public static let any = DNSClass(255)

    /// `IN`, `CH`, `HS`, `NONE`, `ANY` or `CLASSnnn`.
    public var description: String {
        switch rawValue {
        case 1: return "IN"
        case 3: return "CH"
        case 4: return "HS"
        case 254: return "NONE"
        case 255: return "ANY"
        default: return "CLASS\(rawValue)"
        }
    }

    /// Parses a mnemonic or `CLASSnnn`.
    public init?(mnemonic text: some StringProtocol) {
        switch text.uppercased() {
        case "IN": self = .in
        case "CH": self = .chaos
        case "HS": self = .hesiod
        case "NONE": self = .none
        case "ANY": self = .any
        case let upper where upper.hasPrefix("CLASS"):
            guard let value = UInt16(upper.dropFirst(5)) else { return nil }
            self.rawValue = value
        default: return nil
        }
    }
}

/// A response code, including the 12-bit extended codes that EDNS0 allows.
public struct DNSRCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    public init(_ rawValue: UInt16) { self.rawValue = rawValue }

    public static let noError = DNSRCode(0)
    public static let formErr = DNSRCode(1)
    public static let servFail = DNSRCode(2)
    public static let nxDomain = DNSRCode(3)
    public static let notImp = DNSRCode(4)
    public static let refused = DNSRCode(5)
    public static let yxDomain = DNSRCode(6)
    public static let yxRRSet = DNSRCode(7)
    public static let nxRRSet = DNSRCode(8)
    public static let notAuth = DNSRCode(9)
    public static let notZone = DNSRCode(10)
    public static let badVers = DNSRCode(16)
    public static let badCookie = DNSRCode(23)

    static let names: [UInt16: String] = [
        0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED",
        6: "YXDOMAIN", 7: "YXRRSET", 8: "NXRRSET", 9: "NOTAUTH", 10: "NOTZONE", 16: "BADVERS",
        23: "BADCOOKIE",
    ]

    /// `NOERROR`, `NXDOMAIN`… or `RCODEnnn`.
    public var description: String { DNSRCode.names[rawValue] ?? "RCODE\(rawValue)" }

    /// Parses a mnemonic or `RCODEnnn`.
    public init?(mnemonic text: some StringProtocol) {
        let upper = text.uppercased()
        if let (value, _) = DNSRCode.names.first(where: { $0.value == upper }) {
            rawValue = value
        } else if upper.hasPrefix("RCODE"), let value = UInt16(upper.dropFirst(5)), value < 4096 {
            rawValue = value
        } else {
            return nil
        }
    }
}

/// The 4-bit header opcode.
public struct DNSOpcode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue & 0x0f }
    public init(_ rawValue: UInt8) { self.rawValue = rawValue & 0x0f }

    public static let query = DNSOpcode(0)
    public static let iquery = DNSOpcode(1)
    public static let status = DNSOpcode(2)
    public static let notify = DNSOpcode(4)
    public static let update = DNSOpcode(5)

    /// `QUERY`, `NOTIFY`… or `OPCODEn`.
    public var description: String {
        switch rawValue {
        case 0: return "QUERY"
        case 1: return "IQUERY"
        case 2: return "STATUS"
        case 4: return "NOTIFY"
        case 5: return "UPDATE"
        default: return "OPCODE\(rawValue)"
        }
    }
}
