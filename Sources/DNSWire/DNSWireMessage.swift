/// A DNS message kept as its wire octets after the strict decoder has checked them, for code that
/// reads millions of messages and shows them once (`kubetape inspect`): fields, names and records
/// are read in place, and a ``DNSMessage`` is built only when asked for (``message``).
///
/// The check is ``DNSMessage``'s own decoder run without keeping what it reads, so a message is
/// accepted here exactly when `DNSMessage(wireFormat:options:)` accepts it, with the same error.
///
/// ```swift
/// let wire = try DNSWireMessage(validating: octets)
/// if let question = wire.firstQuestion { print(wire.name(at: question.nameOffset), question.type) }
/// wire.forEachRecord(in: .answer) { record in print(record.type, record.ttl) }
/// ```
public struct DNSWireMessage: Sendable {
    /// The message's octets (without a TCP length prefix).
    public let octets: [UInt8]
    public let header: DNSHeader
    // Kept small (a message value is moved several times per packet): the four section counts,
    // where the answer, authority and additional sections start, the first question's type
    // and class, and where its name ends when it is stored whole (0 when it follows a pointer).
    @usableFromInline let counts: (UInt16, UInt16, UInt16, UInt16)
    @usableFromInline let sectionOffsets: (answers: UInt32, authority: UInt32, additional: UInt32)
    @usableFromInline let questionFields: (type: UInt16, qClass: UInt16, plainNameEnd: UInt16)

    @inlinable public var questionCount: Int { Int(counts.0) }
    @inlinable public var answerCount: Int { Int(counts.1) }
    @inlinable public var authorityCount: Int { Int(counts.2) }
    @inlinable public var additionalCount: Int { Int(counts.3) }

    /// The first question, when the message has one.
    @inlinable
    public var firstQuestion: Question? {
        guard counts.0 > 0 else { return nil }
        return Question(nameOffset: 12, type: DNSType(questionFields.type), qClass: DNSClass(questionFields.qClass))
    }

    /// Checks `octets` as `DNSMessage(wireFormat:options:)` would and keeps them.
    ///
    /// - Throws: the ``DNSWireError`` that decoding the message would throw.
    public init(validating octets: [UInt8], options: DNSDecodingOptions = .strict) throws {
        let (offsets, question, checkedHeader) = try octets.withUnsafeBytes { raw in
            var reader = WireReader(bytes: raw, building: false)
            let checked = try reader.readMessage(options: options)
            return (reader.sectionOffsets, reader.firstQuestion, checked.header)
        }
        self.octets = octets
        sectionOffsets = (UInt32(offsets.answers), UInt32(offsets.authority), UInt32(offsets.additional))
        header = checkedHeader
        let plainNameEnd = question.map { $0.compressed ? 0 : UInt16(truncatingIfNeeded: $0.nameEnd) } ?? 0
        questionFields = (question?.type ?? 0, question?.qClass ?? 0, plainNameEnd)
        counts = (Self.u16(octets, 4), Self.u16(octets, 6), Self.u16(octets, 8), Self.u16(octets, 10))
    }

    /// The message, decoded. The octets were checked by the same decoder, so this cannot fail;
    /// if it ever did, that is a bug in DNSWire, reported as such.
    public var message: DNSMessage {
        do {
            return try octets.withUnsafeBytes { raw in
                var reader = WireReader(bytes: raw)
                return try reader.readMessage(options: .lenient)
            }
        } catch {
            preconditionFailure("DNSWireMessage: octets that passed the check failed to decode: \(error)")
        }
    }

    /// A section of records.
    public enum Section: Sendable {
        case answer, authority, additional
    }

    /// The first question: where its name starts, its type and class.
    public struct Question: Sendable {
        public let nameOffset: Int
        public let type: DNSType
        public let qClass: DNSClass

        @usableFromInline init(nameOffset: Int, type: DNSType, qClass: DNSClass) {
            self.nameOffset = nameOffset
            self.type = type
            self.qClass = qClass
        }
    }

    /// One resource record, located in ``octets``.
    public struct Record: Sendable {
        /// Where the owner name starts (possibly a compression pointer).
        public let nameOffset: Int
        public let type: DNSType
        public let rrClass: DNSClass
        public let ttl: UInt32
        public let rdataOffset: Int
        public let rdataLength: Int

        @usableFromInline init(nameOffset: Int, type: DNSType, rrClass: DNSClass, ttl: UInt32, rdataOffset: Int, rdataLength: Int) {
            self.nameOffset = nameOffset
            self.type = type
            self.rrClass = rrClass
            self.ttl = ttl
            self.rdataOffset = rdataOffset
            self.rdataLength = rdataLength
        }
    }

    /// Calls `body` with each record of `section`, in order.
    @inlinable
    public func forEachRecord(in section: Section, _ body: (Record) -> Void) {
        var cursor = records(in: section)
        while let record = cursor.next(in: self) { body(record) }
    }

    /// A cursor over the records of `section`: ``RecordCursor/next(in:)`` gives them in order.
    /// It holds no reference to the message, so a loop over it copies nothing.
    @inlinable
    public func records(in section: Section) -> RecordCursor {
        switch section {
        case .answer: return RecordCursor(offset: Int(sectionOffsets.answers), remaining: answerCount)
        case .authority: return RecordCursor(offset: Int(sectionOffsets.authority), remaining: authorityCount)
        case .additional: return RecordCursor(offset: Int(sectionOffsets.additional), remaining: additionalCount)
        }
    }

    /// Where the next record of a section starts and how many are left. Inlinable, as the label
    /// and field readers below are: they run for every record of millions of messages.
    public struct RecordCursor: Sendable {
        @usableFromInline var offset: Int
        @usableFromInline var remaining: Int

        @usableFromInline init(offset: Int, remaining: Int) {
            self.offset = offset
            self.remaining = remaining
        }

        /// The next record of `message` (the message this cursor came from), or nil after the last.
        @inlinable
        public mutating func next(in message: DNSWireMessage) -> Record? {
            guard remaining > 0 else { return nil }
            remaining -= 1
            let fixed = message.nameEnd(at: offset)
            let length = Int(message.u16(at: fixed + 8))
            let record = Record(
                nameOffset: offset, type: DNSType(message.u16(at: fixed)), rrClass: DNSClass(message.u16(at: fixed + 2)), ttl: message.u32(at: fixed + 4),
                rdataOffset: fixed + 10, rdataLength: length)
            offset = fixed + 10 + length
            return record
        }
    }

    /// The EDNS OPT pseudo-record, if the message has one (the check allows at most one, in
    /// the additional section): its class is the UDP payload size, its TTL the extended RCODE,
    /// version and flags, as in ``DNSMessage/edns``.
    public var optRecord: Record? {
        guard additionalCount > 0 else { return nil }
        var cursor = records(in: .additional)
        while let record = cursor.next(in: self) {
            if record.type == .opt { return record }
        }
        return nil
    }

    /// The RCODE with its upper eight bits from the OPT record, as ``DNSMessage/rcode`` reads it.
    public func rcode(opt: Record?) -> DNSRCode {
        DNSRCode(UInt16(opt.map { $0.ttl >> 24 } ?? 0) << 4 | UInt16(header.rcodeLow))
    }

    /// The record's data, decoded (for the types that are not read in place).
    public func recordData(_ record: Record) -> RecordData {
        do {
            return try octets.withUnsafeBytes { raw in
                var reader = WireReader(bytes: raw)
                reader.position = record.rdataOffset
                return try reader.readRData(type: record.type, length: record.rdataLength, end: record.rdataOffset + record.rdataLength)
            }
        } catch {
            preconditionFailure("DNSWireMessage: RDATA that passed the check failed to decode: \(error)")
        }
    }

    /// The name starting at `offset`, decoded.
    public func name(at offset: Int) -> DNSName {
        var wire: [UInt8] = []
        forEachLabel(ofNameAt: offset) { label in
            wire.append(UInt8(label.count))
            wire.append(contentsOf: label)
        }
        wire.append(0)
        return DNSName(uncheckedWire: wire)
    }

    /// Calls `body` with each label of the name starting at `offset`, left to right, following
    /// compression pointers (the root name has none).
    @inlinable
    public func forEachLabel(ofNameAt offset: Int, _ body: (UnsafeRawBufferPointer) -> Void) {
        octets.withUnsafeBytes { raw in Self.forEachLabel(in: raw, ofNameAt: offset, body) }
    }

    /// ``forEachLabel(ofNameAt:_:)`` over octets the caller has already opened (see
    /// ``octets``), for writers that read many names of one message.
    @inlinable
    public static func forEachLabel(in raw: UnsafeRawBufferPointer, ofNameAt offset: Int, _ body: (UnsafeRawBufferPointer) -> Void) {
        var cursor = offset
        // Checked octets: pointers go backwards and labels fit; the bounds are still kept.
        var hops = 0
        while cursor < raw.count {
            let length = Int(raw[cursor])
            if length == 0 { return }
            if length & 0xC0 == 0xC0 {
                guard cursor + 1 < raw.count, hops < DNSWireLimits.maxPointerHops else { return }
                hops += 1
                cursor = (length & 0x3F) << 8 | Int(raw[cursor + 1])
                continue
            }
            guard cursor + 1 + length <= raw.count else { return }
            body(UnsafeRawBufferPointer(rebasing: raw[(cursor + 1)..<(cursor + 1 + length)]))
            cursor += 1 + length
        }
    }

    /// The first question's name in uncompressed wire form: a slice of ``octets`` (no copy) when
    /// it is stored uncompressed, as it nearly always is.
    public var questionNameWire: ArraySlice<UInt8>? {
        guard questionCount > 0 else { return nil }
        // where the check saw the name end, when it followed no pointer
        let plainNameEnd = Int(questionFields.plainNameEnd)
        if plainNameEnd > 12 { return octets[12..<plainNameEnd] }
        return name(at: 12).wire[...]
    }

    /// The offset just past the name starting at `offset` (past its pointer, if it has one).
    @inlinable
    public func nameEnd(at offset: Int) -> Int {
        octets.withUnsafeBytes { raw in
            var cursor = offset
            while cursor < raw.count {
                let length = Int(raw[cursor])
                if length == 0 { return cursor + 1 }
                if length & 0xC0 == 0xC0 { return cursor + 2 }
                cursor += 1 + length
            }
            return cursor
        }
    }

    /// A big-endian 16-bit field; 0 past the end (never reached for checked octets).
    @inlinable
    static func u16(_ octets: [UInt8], _ offset: Int) -> UInt16 {
        guard offset >= 0, offset + 1 < octets.count else { return 0 }
        return UInt16(octets[offset]) << 8 | UInt16(octets[offset + 1])
    }

    /// A big-endian 32-bit field at `offset`; 0 past the end.
    @inlinable
    public func u32(at offset: Int) -> UInt32 {
        UInt32(Self.u16(octets, offset)) << 16 | UInt32(Self.u16(octets, offset + 2))
    }

    /// A big-endian 16-bit field at `offset`; 0 past the end.
    @inlinable
    public func u16(at offset: Int) -> UInt16 { Self.u16(octets, offset) }
}
