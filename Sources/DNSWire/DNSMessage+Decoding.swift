import NIOCore

/// How strictly to decode. Strict is the default everywhere; captures may name the lenient mode.
public struct DNSDecodingOptions: Hashable, Sendable {
    /// Accept (and ignore) octets after the last record, as some middleboxes pad UDP payloads.
    public var allowTrailingBytes: Bool

    public init(allowTrailingBytes: Bool = false) {
        self.allowTrailingBytes = allowTrailingBytes
    }

    /// Reject anything RFC 1035 does not allow.
    public static let strict = DNSDecodingOptions()
    /// Strict except that trailing octets after the message are ignored.
    public static let lenient = DNSDecodingOptions(allowTrailingBytes: true)
}

extension DNSMessage {
    /// Decodes a message occupying all readable bytes of `buffer`.
    public init(wireFormat buffer: ByteBuffer, options: DNSDecodingOptions = .strict) throws {
        self = try buffer.withUnsafeReadableBytes { raw in
            var reader = WireReader(bytes: raw)
            return try reader.readMessage(options: options)
        }
    }

    /// Decodes a message from raw octets.
    public init(wireFormat bytes: some Collection<UInt8>, options: DNSDecodingOptions = .strict) throws {
        let decoded = try bytes.withContiguousStorageIfAvailable { storage in
            var reader = WireReader(bytes: UnsafeRawBufferPointer(storage))
            return try reader.readMessage(options: options)
        }
        if let decoded {
            self = decoded
            return
        }
        let array = Array(bytes)
        self = try array.withUnsafeBytes { raw in
            var reader = WireReader(bytes: raw)
            return try reader.readMessage(options: options)
        }
    }
}

extension RecordData {
    /// Decodes RDATA of `type` from its octets alone (as in the RFC 3597 `\# len hex` form):
    /// known types become typed data, others stay opaque. Names inside must be uncompressed
    /// (a pointer could only point back into the RDATA itself).
    public init(type: DNSType, rdata: [UInt8]) throws {
        self = try rdata.withUnsafeBytes { raw in
            var reader = WireReader(bytes: raw)
            let data = try reader.readRData(type: type, length: raw.count, end: raw.count)
            guard reader.position == raw.count else {
                throw DNSWireError(.trailingBytes, at: reader.position, "\(type) RDATA has \(raw.count - reader.position) octets left over")
            }
            return data
        }
    }
}

/// Reads wire-format fields from a whole message, strictly and without trapping.
struct WireReader {
    let bytes: UnsafeRawBufferPointer
    var position: Int = 0

    /// Names already decoded, by the offset where they start, so that a compression pointer to
    /// one of them (an answer owner pointing at the question, typically) shares its storage
    /// instead of allocating. Four slots, replaced round robin; no allocation.
    var cachedOffsets: (Int, Int, Int, Int) = (-1, -1, -1, -1)
    var cachedNames: (DNSName?, DNSName?, DNSName?, DNSName?) = (nil, nil, nil, nil)
    var nextSlot = 0
    /// False to check a message without building it: every check runs, but names, records and
    /// RDATA octets are not kept (``DNSWireMessage`` validation).
    let building: Bool
    /// Where the answer, authority and additional sections start, set by ``readMessage(options:)``.
    var sectionOffsets = (answers: 0, authority: 0, additional: 0)
    /// The first question's type and class, where its name ends and whether it followed a
    /// compression pointer; set by ``readMessage(options:)``.
    var firstQuestion: (nameEnd: Int, type: UInt16, qClass: UInt16, compressed: Bool)?
    /// True when the last name ``readName()`` read followed a compression pointer.
    var lastNameFollowedPointer = false
    /// Checking only: where the last name checked with no pointer in it starts (an answer's
    /// owner nearly always points at the question's name).
    var checkedPlainName = -1

    init(bytes: UnsafeRawBufferPointer, building: Bool = true) {
        self.bytes = bytes
        self.building = building
    }

    @inline(__always)
    func cachedName(at offset: Int) -> DNSName? {
        if cachedOffsets.0 == offset { return cachedNames.0 }
        if cachedOffsets.1 == offset { return cachedNames.1 }
        if cachedOffsets.2 == offset { return cachedNames.2 }
        if cachedOffsets.3 == offset { return cachedNames.3 }
        return nil
    }

    @inline(__always)
    mutating func cache(_ name: DNSName, at offset: Int) {
        switch nextSlot {
        case 0: (cachedOffsets.0, cachedNames.0) = (offset, name)
        case 1: (cachedOffsets.1, cachedNames.1) = (offset, name)
        case 2: (cachedOffsets.2, cachedNames.2) = (offset, name)
        default: (cachedOffsets.3, cachedNames.3) = (offset, name)
        }
        nextSlot = (nextSlot + 1) & 3
    }

    var remaining: Int { bytes.count - position }

    @inline(__always)
    mutating func readU8(_ what: StaticString) throws -> UInt8 {
        guard position < bytes.count else { throw truncated(what) }
        defer { position += 1 }
        return bytes[position]
    }

    @inline(__always)
    mutating func readU16(_ what: StaticString) throws -> UInt16 {
        guard position + 2 <= bytes.count else { throw truncated(what) }
        defer { position += 2 }
        return UInt16(bytes[position]) << 8 | UInt16(bytes[position + 1])
    }

    @inline(__always)
    mutating func readU32(_ what: StaticString) throws -> UInt32 {
        guard position + 4 <= bytes.count else { throw truncated(what) }
        defer { position += 4 }
        return UInt32(bytes[position]) << 24 | UInt32(bytes[position + 1]) << 16 | UInt32(bytes[position + 2]) << 8 | UInt32(bytes[position + 3])
    }

    mutating func readBytes(_ count: Int, _ what: StaticString) throws -> [UInt8] {
        guard count >= 0, position + count <= bytes.count else { throw truncated(what) }
        defer { position += count }
        return building ? Array(bytes[position..<(position + count)]) : []
    }

    func truncated(_ what: StaticString) -> DNSWireError {
        DNSWireError(.truncated, at: position, "message ends inside \(what)")
    }

    mutating func readName() throws -> DNSName {
        let start = position
        var cursor = position
        // the common shapes first: a pointer to a name already read, or the root
        if cursor + 1 < bytes.count && bytes[cursor] & 0xC0 == 0xC0 {
            let target = Int(bytes[cursor] & 0x3F) << 8 | Int(bytes[cursor + 1])
            if target < cursor, building, let name = cachedName(at: target) {
                position = cursor + 2
                lastNameFollowedPointer = true
                return name
            }
            if target < cursor, !building, target == checkedPlainName {
                // a pointer to a name checked whole, with no pointer in it: the walk would take
                // the one hop and find the same labels, so it cannot fail
                position = cursor + 2
                lastNameFollowedPointer = true
                return .uncheckedPlaceholder
            }
        } else if cursor < bytes.count && bytes[cursor] == 0 {
            position = cursor + 1
            lastNameFollowedPointer = false
            return .root
        }
        var out: [UInt8] = []
        // the uncompressed length so far: what the 255-octet limit counts (without the root octet)
        var nameLength = 0
        var jumped = false
        var hops = 0
        while true {
            guard cursor < bytes.count else {
                throw DNSWireError(.truncated, at: cursor, "message ends inside a name")
            }
            let length = bytes[cursor]
            switch length & 0xC0 {
            case 0x00:
                if length == 0 {
                    if !jumped { position = cursor + 1 }
                    lastNameFollowedPointer = jumped
                    guard building else {
                        if !jumped { checkedPlainName = start }
                        return nameLength == 0 ? .root : .uncheckedPlaceholder
                    }
                    out.append(0)
                    let name = DNSName(uncheckedWire: out)
                    // only names read without pointers, so that a pointer to one costs exactly
                    // the one hop the slow path would count
                    if !jumped { cache(name, at: start) }
                    return name
                }
                let labelLength = Int(length)
                guard cursor + 1 + labelLength <= bytes.count else {
                    throw DNSWireError(.truncated, at: cursor, "message ends inside a \(labelLength)-octet label")
                }
                guard nameLength + labelLength + 2 <= DNSWireLimits.maxNameLength else {
                    throw DNSWireError(.nameTooLong, at: cursor, "name exceeds 255 octets")
                }
                if building {
                    if out.isEmpty { out.reserveCapacity(Self.nameCapacity(bytes, from: cursor)) }
                    out.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[cursor..<(cursor + 1 + labelLength)]))
                }
                nameLength += 1 + labelLength
                cursor += 1 + labelLength
            case 0xC0:
                guard cursor + 1 < bytes.count else {
                    throw DNSWireError(.truncated, at: cursor, "message ends inside a compression pointer")
                }
                let target = Int(length & 0x3F) << 8 | Int(bytes[cursor + 1])
                guard target < cursor else {
                    throw DNSWireError(.forwardPointer, at: cursor, "compression pointer to offset \(target) does not point backwards")
                }
                hops += 1
                guard hops <= DNSWireLimits.maxPointerHops else {
                    throw DNSWireError(.pointerLoop, at: cursor, "more than \(DNSWireLimits.maxPointerHops) compression pointers in one name")
                }
                if !jumped {
                    position = cursor + 2
                    jumped = true
                }
                cursor = target
            default:
                throw DNSWireError(.badLabelType, at: cursor, "label type 0x\(String(length & 0xC0, radix: 16)) is reserved")
            }
        }
    }

    /// A capacity guess for a name starting at `cursor`: its uncompressed run plus room for a
    /// typical suffix behind a pointer, so that appending rarely reallocates.
    @inline(__always)
    static func nameCapacity(_ bytes: UnsafeRawBufferPointer, from cursor: Int) -> Int {
        var i = cursor
        while i < bytes.count, bytes[i] != 0, bytes[i] & 0xC0 == 0 { i += Int(bytes[i]) + 1 }
        let run = i - cursor + 1
        return i < bytes.count && bytes[i] == 0 ? run : min(run + 48, DNSWireLimits.maxNameLength)
    }

    mutating func readMessage(options: DNSDecodingOptions) throws -> DNSMessage {
        let id = try readU16("the header")
        let flags = try readU16("the header")
        let qdCount = Int(try readU16("the header"))
        let anCount = Int(try readU16("the header"))
        let nsCount = Int(try readU16("the header"))
        let arCount = Int(try readU16("the header"))
        var message = DNSMessage(header: DNSHeader(id: id, flagBits: flags))
        if qdCount > 0 {
            // never reserve more than the remaining octets could hold (5 octets per question)
            if building { message.questions.reserveCapacity(min(qdCount, remaining / 5)) }
            for index in 0..<qdCount {
                let name = try readName()
                let nameEnd = position
                let type = DNSType(try readU16("a question"))
                let qClass = DNSClass(try readU16("a question"))
                if index == 0 { firstQuestion = (nameEnd, type.rawValue, qClass.rawValue, lastNameFollowedPointer) }
                if building { message.questions.append(DNSQuestion(name: name, type: type, qClass: qClass)) }
            }
        }
        sectionOffsets.answers = position
        try readSection(count: anCount, section: .answer, into: &message.answers)
        sectionOffsets.authority = position
        try readSection(count: nsCount, section: .authority, into: &message.authority)
        sectionOffsets.additional = position
        try readSection(count: arCount, section: .additional, into: &message.additional)
        if position != bytes.count && !options.allowTrailingBytes {
            throw DNSWireError(.trailingBytes, at: position, "\(bytes.count - position) octets after the last record")
        }
        return message
    }

    /// Reads `count` records, appending them to `records` when building.
    mutating func readSection(count: Int, section: DNSWireMessage.Section, into records: inout [ResourceRecord]) throws {
        guard count > 0 else { return }
        if building { records.reserveCapacity(min(count, remaining / 11)) }
        var sawOPT = false
        for _ in 0..<count {
            let start = position
            let record = try readRecord()
            if record.type == .opt {
                guard section == .additional else {
                    throw DNSWireError(.badOPT, at: start, "OPT record in the \(section) section")
                }
                guard !sawOPT else { throw DNSWireError(.badOPT, at: start, "second OPT record") }
                guard record.name.isRoot else { throw DNSWireError(.badOPT, at: start, "OPT record not owned by the root") }
                sawOPT = true
            }
            if building { records.append(record) }
        }
    }

    mutating func readRecord() throws -> ResourceRecord {
        let name = try readName()
        let type = DNSType(try readU16("a record's type"))
        let rrClass = DNSClass(try readU16("a record's class"))
        let ttl = try readU32("a record's TTL")
        let length = Int(try readU16("a record's RDATA length"))
        let rdataStart = position
        let end = position + length
        guard end <= bytes.count else {
            throw DNSWireError(.truncated, at: rdataStart, "RDATA of \(length) octets runs past the end of the message")
        }
        let data = try readRData(type: type, length: length, end: end)
        guard position == end else {
            throw DNSWireError(.trailingBytes, at: position, "\(type) RDATA has \(end - position) octets left over")
        }
        return ResourceRecord(name: name, rrClass: rrClass, ttl: ttl, data: data)
    }

    /// Reads a name that must lie inside the RDATA bounds.
    mutating func readRDataName(end: Int, type: DNSType) throws -> DNSName {
        let name = try readName()
        guard position <= end else {
            throw DNSWireError(.badRDataLength, at: position, "name in \(type) RDATA runs past its RDATA length")
        }
        return name
    }

    mutating func readRData(type: DNSType, length: Int, end: Int) throws -> RecordData {
        func fixed(_ expected: Int) throws {
            guard length == expected else {
                throw DNSWireError(.badRDataLength, at: position, "\(type) RDATA must be \(expected) octets, not \(length)")
            }
        }
        func atLeast(_ minimum: Int) throws {
            guard position + minimum <= end else {
                throw DNSWireError(.badRDataLength, at: position, "\(type) RDATA too short")
            }
        }
        switch type {
        case .a:
            try fixed(4)
            return .a(IPv4Address(try readU32("an A record")))
        case .aaaa:
            try fixed(16)
            let high = UInt64(try readU32("AAAA")) << 32 | UInt64(try readU32("AAAA"))
            let low = UInt64(try readU32("AAAA")) << 32 | UInt64(try readU32("AAAA"))
            return .aaaa(IPv6Address(high: high, low: low))
        case .ns:
            return .ns(try readRDataName(end: end, type: type))
        case .cname:
            return .cname(try readRDataName(end: end, type: type))
        case .ptr:
            return .ptr(try readRDataName(end: end, type: type))
        case .mx:
            try atLeast(3)
            let preference = try readU16("MX")
            return .mx(preference: preference, exchange: try readRDataName(end: end, type: type))
        case .srv:
            try atLeast(7)
            let priority = try readU16("SRV")
            let weight = try readU16("SRV")
            let port = try readU16("SRV")
            return .srv(SRV(priority: priority, weight: weight, port: port, target: try readRDataName(end: end, type: type)))
        case .soa:
            let mname = try readRDataName(end: end, type: type)
            let rname = try readRDataName(end: end, type: type)
            try atLeast(20)
            return .soa(
                SOA(
                    mname: mname, rname: rname, serial: try readU32("SOA"), refresh: try readU32("SOA"), retry: try readU32("SOA"), expire: try readU32("SOA"),
                    minimum: try readU32("SOA")))
        case .txt:
            var strings: [[UInt8]] = []
            while position < end {
                let count = Int(try readU8("TXT"))
                guard position + count <= end else {
                    throw DNSWireError(.badRDataLength, at: position - 1, "TXT character-string of \(count) octets runs past its RDATA")
                }
                let string = try readBytes(count, "TXT")
                if building { strings.append(string) }
            }
            return .txt(strings)
        case .opt:
            var options: [EDNSOption] = []
            while position < end {
                guard position + 4 <= end else {
                    throw DNSWireError(.badRDataLength, at: position, "EDNS option header runs past the OPT RDATA")
                }
                let code = try readU16("OPT")
                let count = Int(try readU16("OPT"))
                guard position + count <= end else {
                    throw DNSWireError(.badRDataLength, at: position - 2, "EDNS option \(code) of \(count) octets runs past the OPT RDATA")
                }
                let data = try readBytes(count, "OPT")
                if building { options.append(EDNSOption(code: code, data: data)) }
            }
            return .opt(options)
        default:
            return .unknown(type: type, rdata: try readBytes(length, "RDATA"))
        }
    }
}
