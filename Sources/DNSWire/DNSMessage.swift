/// The fixed 12-octet header minus the section counts, which come from the sections themselves.
public struct DNSHeader: Hashable, Sendable {
    public var id: UInt16
    /// QR: false for a query, true for a response.
    public var isResponse: Bool
    public var opcode: DNSOpcode
    public var authoritative: Bool
    public var truncated: Bool
    public var recursionDesired: Bool
    public var recursionAvailable: Bool
    /// The reserved Z bit, kept so that decode→encode is lossless.
    public var zero: Bool
    public var authenticData: Bool
    public var checkingDisabled: Bool
    /// The low 4 bits of the rcode; see ``DNSMessage/rcode`` for the full 12-bit value.
    public var rcodeLow: UInt8

    public init(
        id: UInt16 = 0, isResponse: Bool = false, opcode: DNSOpcode = .query, authoritative: Bool = false, truncated: Bool = false,
        recursionDesired: Bool = false, recursionAvailable: Bool = false, zero: Bool = false, authenticData: Bool = false, checkingDisabled: Bool = false,
        rcodeLow: UInt8 = 0
    ) {
        self.id = id
        self.isResponse = isResponse
        self.opcode = opcode
        self.authoritative = authoritative
        self.truncated = truncated
        self.recursionDesired = recursionDesired
        self.recursionAvailable = recursionAvailable
        self.zero = zero
        self.authenticData = authenticData
        self.checkingDisabled = checkingDisabled
        self.rcodeLow = rcodeLow & 0x0f
    }

    /// The 16 flag bits as they appear on the wire.
    public var flagBits: UInt16 {
        var f = UInt16(rcodeLow & 0x0f)
        if isResponse { f |= 0x8000 }
        f |= UInt16(opcode.rawValue & 0x0f) << 11
        if authoritative { f |= 0x0400 }
        if truncated { f |= 0x0200 }
        if recursionDesired { f |= 0x0100 }
        if recursionAvailable { f |= 0x0080 }
        if zero { f |= 0x0040 }
        if authenticData { f |= 0x0020 }
        if checkingDisabled { f |= 0x0010 }
        return f
    }

    /// Sets every flag from wire bits.
    public init(id: UInt16, flagBits f: UInt16) {
        self.init(
            id: id, isResponse: f & 0x8000 != 0, opcode: DNSOpcode(UInt8(truncatingIfNeeded: f >> 11)),
            authoritative: f & 0x0400 != 0, truncated: f & 0x0200 != 0, recursionDesired: f & 0x0100 != 0,
            recursionAvailable: f & 0x0080 != 0, zero: f & 0x0040 != 0, authenticData: f & 0x0020 != 0,
            checkingDisabled: f & 0x0010 != 0, rcodeLow: UInt8(f & 0x000f))
    }
}

/// A whole DNS message: header, question, and the answer, authority and additional sections.
///
/// The OPT pseudo-record, if any, stays in ``additional`` where it was found, so that a decoded
/// message re-encodes to the same octets (up to compression choices); ``edns`` and ``rcode`` give
/// the EDNS0 view.
public struct DNSMessage: Hashable, Sendable {
    public var header: DNSHeader
    public var questions: [DNSQuestion]
    public var answers: [ResourceRecord]
    public var authority: [ResourceRecord]
    public var additional: [ResourceRecord]

    public init(
        header: DNSHeader = DNSHeader(), questions: [DNSQuestion] = [], answers: [ResourceRecord] = [], authority: [ResourceRecord] = [],
        additional: [ResourceRecord] = []
    ) {
        self.header = header
        self.questions = questions
        self.answers = answers
        self.authority = authority
        self.additional = additional
    }

    /// A standard query for one name and type.
    public static func query(id: UInt16, name: DNSName, type: DNSType, recursionDesired: Bool = true, edns: EDNS? = nil) -> DNSMessage {
        var message = DNSMessage(header: DNSHeader(id: id, recursionDesired: recursionDesired), questions: [DNSQuestion(name: name, type: type)])
        message.edns = edns
        return message
    }

    /// The EDNS0 view of the OPT record in the additional section; setting it replaces, adds or removes that record.
    public var edns: EDNS? {
        get {
            for record in additional where record.type == .opt {
                return EDNS(record: record)
            }
            return nil
        }
        set {
            let index = additional.firstIndex { $0.type == .opt }
            switch (index, newValue) {
            case (let i?, let value?): additional[i] = value.record
            case (let i?, nil): additional.remove(at: i)
            case (nil, let value?): additional.append(value.record)
            case (nil, nil): break
            }
        }
    }

    /// The full 12-bit rcode: the header's 4 bits plus the OPT record's extended 8 bits.
    public var rcode: DNSRCode {
        get {
            let high = UInt16(edns?.extendedRCode ?? 0)
            return DNSRCode(high << 4 | UInt16(header.rcodeLow))
        }
        set {
            header.rcodeLow = UInt8(newValue.rawValue & 0x0f)
            let high = UInt8(truncatingIfNeeded: newValue.rawValue >> 4)
            if var e = edns {
                e.extendedRCode = high
                edns = e
            } else if high != 0 {
                edns = EDNS(extendedRCode: high)
            }
        }
    }

    /// The first question, which is the only one in practice.
    public var question: DNSQuestion? { questions.first }
}
