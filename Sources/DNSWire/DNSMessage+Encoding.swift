import NIOCore

extension DNSMessage {
    /// Appends the wire form to `buffer`, compressing names as RFC 1035 4.1.4 allows.
    ///
    /// Every name written enters the compression table, including names that are never
    /// compressed themselves (SRV targets, RFC 2782), so later owner names can point into them.
    /// Compression matches suffixes octet for octet, so the case of every name is preserved.
    /// On failure the buffer is left as it was.
    public func write(into buffer: inout ByteBuffer, compress: Bool = true) throws {
        let bound = try WireWriter.upperBound(of: self)
        let start = buffer.writerIndex
        try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: bound) { raw in
            try WireWriter.write(self, into: raw, compress: compress)
        }
        if buffer.writerIndex - start > DNSWireLimits.maxMessageSize {
            buffer.moveWriterIndex(to: start)
            throw DNSWireError(.messageTooLarge, at: nil, "message of more than 65535 octets cannot be written")
        }
    }

    /// The wire form as a fresh buffer.
    public func wireFormat(compress: Bool = true) throws -> ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: 512)
        try write(into: &buffer, compress: compress)
        return buffer
    }

    /// The wire form as octets.
    public func wireBytes(compress: Bool = true) throws -> [UInt8] {
        let bound = try WireWriter.upperBound(of: self)
        let bytes = try [UInt8](unsafeUninitializedCapacity: bound) { storage, count in
            count = 0
            count = try WireWriter.write(self, into: UnsafeMutableRawBufferPointer(storage), compress: compress)
        }
        guard bytes.count <= DNSWireLimits.maxMessageSize else {
            throw DNSWireError(.messageTooLarge, at: nil, "message of \(bytes.count) octets exceeds 65535")
        }
        return bytes
    }
}

/// Writes wire-format fields straight into memory reserved for the message's upper bound
/// (every name uncompressed), keeping the compression table of suffixes already written.
struct WireWriter {
    let base: UnsafeMutableRawPointer
    let capacity: Int
    var position = 0
    let compress: Bool
    var table = CompressionTable()

    init(base: UnsafeMutableRawPointer, capacity: Int, compress: Bool) {
        self.base = base
        self.capacity = capacity
        self.compress = compress
    }

    /// Writes `message` at the start of `raw`, which holds at least ``upperBound(of:)`` octets;
    /// returns the octets written.
    static func write(_ message: DNSMessage, into raw: UnsafeMutableRawBufferPointer, compress: Bool) throws -> Int {
        guard let base = raw.baseAddress else {
            throw DNSWireError(.messageTooLarge, at: nil, "no memory to write the message into")
        }
        var writer = WireWriter(base: base, capacity: raw.count, compress: compress)
        try writer.writeMessage(message)
        return writer.position
    }

    /// The size of `message` with no compression, which bounds what the writer writes; also
    /// checks every limit that does not depend on compression.
    static func upperBound(of message: DNSMessage) throws -> Int {
        try checkCount(message.questions.count, "question")
        try checkCount(message.answers.count, "answer")
        try checkCount(message.authority.count, "authority")
        try checkCount(message.additional.count, "additional")
        var total = 12
        for question in message.questions { total += question.name.wire.count + 4 }
        total += try recordsBound(message.answers)
        total += try recordsBound(message.authority)
        total += try recordsBound(message.additional)
        return total
    }

    static func recordsBound(_ records: [ResourceRecord]) throws -> Int {
        var total = 0
        for record in records {
            let rdata = try rdataBound(record.data)
            guard rdata <= 0xFFFF else {
                throw DNSWireError(.badRDataLength, at: nil, "\(record.type) RDATA of \(rdata) octets exceeds 65535")
            }
            total += record.name.wire.count + 10 + rdata
        }
        return total
    }

    static func rdataBound(_ data: RecordData) throws -> Int {
        switch data {
        case .a: return 4
        case .aaaa: return 16
        case .ns(let name), .cname(let name), .ptr(let name): return name.wire.count
        case .mx(_, let exchange): return 2 + exchange.wire.count
        case .srv(let srv): return 6 + srv.target.wire.count
        case .soa(let soa): return soa.mname.wire.count + soa.rname.wire.count + 20
        case .txt(let strings):
            var total = 0
            for string in strings {
                guard string.count <= DNSWireLimits.maxCharacterString else {
                    throw DNSWireError(.stringTooLong, at: nil, "TXT character-string of \(string.count) octets exceeds 255")
                }
                total += 1 + string.count
            }
            return total
        case .opt(let options):
            var total = 0
            for option in options {
                guard option.data.count <= 0xFFFF else {
                    throw DNSWireError(.badRDataLength, at: nil, "EDNS option \(option.code) exceeds 65535 octets")
                }
                total += 4 + option.data.count
            }
            return total
        case .unknown(_, let rdata): return rdata.count
        }
    }

    static func checkCount(_ count: Int, _ section: StaticString) throws {
        guard count <= 0xFFFF else {
            throw DNSWireError(.tooManyRecords, at: nil, "\(count) records do not fit the \(section) count")
        }
    }

    @inline(__always)
    mutating func u8(_ value: UInt8) {
        precondition(position < capacity)
        base.storeBytes(of: value, toByteOffset: position, as: UInt8.self)
        position += 1
    }

    @inline(__always)
    mutating func u16(_ value: UInt16) {
        precondition(position + 2 <= capacity)
        base.storeBytes(of: value.bigEndian, toByteOffset: position, as: UInt16.self)
        position += 2
    }

    @inline(__always)
    mutating func u32(_ value: UInt32) {
        precondition(position + 4 <= capacity)
        base.storeBytes(of: value.bigEndian, toByteOffset: position, as: UInt32.self)
        position += 4
    }

    @inline(__always)
    mutating func u64(_ value: UInt64) {
        precondition(position + 8 <= capacity)
        base.storeBytes(of: value.bigEndian, toByteOffset: position, as: UInt64.self)
        position += 8
    }

    @inline(__always)
    mutating func bytes(_ source: UnsafeRawBufferPointer) {
        precondition(position + source.count <= capacity)
        if let address = source.baseAddress, source.count > 0 {
            (base + position).copyMemory(from: address, byteCount: source.count)
        }
        position += source.count
    }

    mutating func bytes(_ source: [UInt8]) {
        source.withUnsafeBytes { bytes($0) }
    }

    /// Writes `name`, ending in a pointer to the longest suffix already written when
    /// `compressible`; either way every suffix written in full enters the table.
    mutating func writeName(_ name: DNSName, compressible: Bool) {
        let wire = name.wire
        guard compress, wire.count > 1 else {
            bytes(wire)
            return
        }
        let nameOffset = position
        wire.withUnsafeBufferPointer { octets in
            var i = 0
            while octets[i] != 0 {
                let known = table.find(octets, from: i)
                if compressible, let known {
                    bytes(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(octets)[0..<i]))
                    u16(UInt16(0xC000 | known))
                    return
                }
                let here = nameOffset + i
                if known == nil && here < 0x4000 {
                    table.insert(wire, from: i, offset: here)
                }
                i += Int(octets[i]) + 1
            }
            bytes(UnsafeRawBufferPointer(octets))
        }
    }

    mutating func writeMessage(_ message: DNSMessage) throws {
        u16(message.header.id)
        u16(message.header.flagBits)
        u16(UInt16(message.questions.count))
        u16(UInt16(message.answers.count))
        u16(UInt16(message.authority.count))
        u16(UInt16(message.additional.count))
        for question in message.questions {
            writeName(question.name, compressible: true)
            u16(question.type.rawValue)
            u16(question.qClass.rawValue)
        }
        for record in message.answers { writeRecord(record) }
        for record in message.authority { writeRecord(record) }
        for record in message.additional { writeRecord(record) }
    }

    mutating func writeRecord(_ record: ResourceRecord) {
        writeName(record.name, compressible: true)
        u16(record.type.rawValue)
        u16(record.rrClass.rawValue)
        u32(record.ttl)
        let lengthAt = position
        u16(0)
        writeRData(record.data)
        // upperBound checked that the uncompressed RDATA fits 16 bits
        let length = UInt16(truncatingIfNeeded: position - lengthAt - 2)
        base.storeBytes(of: length.bigEndian, toByteOffset: lengthAt, as: UInt16.self)
    }

    mutating func writeRData(_ data: RecordData) {
        switch data {
        case .a(let address):
            u32(address.value)
        case .aaaa(let address):
            u64(address.high)
            u64(address.low)
        case .ns(let name), .cname(let name), .ptr(let name):
            writeName(name, compressible: true)
        case .mx(let preference, let exchange):
            u16(preference)
            writeName(exchange, compressible: true)
        case .srv(let srv):
            u16(srv.priority)
            u16(srv.weight)
            u16(srv.port)
            writeName(srv.target, compressible: false)
        case .soa(let soa):
            writeName(soa.mname, compressible: true)
            writeName(soa.rname, compressible: true)
            u32(soa.serial)
            u32(soa.refresh)
            u32(soa.retry)
            u32(soa.expire)
            u32(soa.minimum)
        case .txt(let strings):
            for string in strings {
                u8(UInt8(truncatingIfNeeded: string.count))
                bytes(string)
            }
        case .opt(let options):
            for option in options {
                u16(option.code)
                u16(UInt16(truncatingIfNeeded: option.data.count))
                bytes(option.data)
            }
        case .unknown(_, let rdata):
            bytes(rdata)
        }
    }
}

/// The suffixes already written, each with the message offset a pointer to it would carry.
///
/// A typical response has a few dozen suffixes: they are scanned in one flat array, comparing
/// the suffix length before any octet. Past ``indexThreshold`` entries they are also chained by
/// suffix length (a name is at most 255 octets), so a lookup only visits suffixes of the same
/// length and large messages stay linear. No hashing; matching is octet for octet, which keeps
/// every name's case.
struct CompressionTable {
    struct Entry {
        var wire: [UInt8]
        var from: Int
        var length: Int
        var offset: Int
        var next: Int
    }

    static let indexThreshold = 32

    var entries: [Entry] = []
    /// Index of the newest entry for each suffix length, -1 for none; built past the threshold.
    var heads: [Int] = []

    @inline(__always)
    func matches(_ entry: Int, _ octets: UnsafeBufferPointer<UInt8>, from: Int) -> Bool {
        entries[entry].wire.withUnsafeBufferPointer { other in
            var a = from
            var b = entries[entry].from
            while a < octets.count {
                if octets[a] != other[b] { return false }
                a += 1
                b += 1
            }
            return true
        }
    }

    func find(_ octets: UnsafeBufferPointer<UInt8>, from: Int) -> Int? {
        let length = octets.count - from
        if heads.isEmpty {
            for index in entries.indices where entries[index].length == length && matches(index, octets, from: from) {
                return entries[index].offset
            }
            return nil
        }
        var index = heads[length]
        while index >= 0 {
            if matches(index, octets, from: from) { return entries[index].offset }
            index = entries[index].next
        }
        return nil
    }

    mutating func insert(_ wire: [UInt8], from: Int, offset: Int) {
        if entries.isEmpty { entries.reserveCapacity(16) }
        let length = wire.count - from
        entries.append(Entry(wire: wire, from: from, length: length, offset: offset, next: -1))
        if !heads.isEmpty {
            entries[entries.count - 1].next = heads[length]
            heads[length] = entries.count - 1
        } else if entries.count > Self.indexThreshold {
            heads = [Int](repeating: -1, count: DNSWireLimits.maxNameLength + 1)
            for index in entries.indices {
                entries[index].next = heads[entries[index].length]
                heads[entries[index].length] = index
            }
        }
    }
}
