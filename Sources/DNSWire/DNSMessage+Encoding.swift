import NIOCore

extension DNSMessage {
    /// Appends the wire form to `buffer`, compressing names as RFC 1035 4.1.4 allows.
    ///
    /// Every name written enters the compression table, including names that are never
    /// compressed themselves (SRV targets, RFC 2782), so later owner names can point into them.
    /// Compression matches suffixes octet for octet, so the case of every name is preserved.
    public func write(into buffer: inout ByteBuffer, compress: Bool = true) throws {
        // the writer takes the caller's storage for the duration (no copy-on-write copy), and on
        // failure the buffer is left as it was
        var writer = WireWriter(buffer: WireWriter.placeholder, compress: compress)
        swap(&buffer, &writer.buffer)
        let start = writer.buffer.writerIndex
        writer.start = start
        defer { swap(&buffer, &writer.buffer) }
        do {
            try writer.writeMessage(self)
        } catch {
            writer.buffer.moveWriterIndex(to: start)
            throw error
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
        let buffer = try wireFormat(compress: compress)
        return buffer.getBytes(at: buffer.readerIndex, length: buffer.readableBytes) ?? []
    }
}

/// Writes wire-format fields, keeping the compression table of suffixes already written.
struct WireWriter {
    var buffer: ByteBuffer
    var start: Int
    let compress: Bool
    static let placeholder = ByteBufferAllocator().buffer(capacity: 0)
    var table = CompressionTable()

    init(buffer: ByteBuffer, compress: Bool) {
        self.buffer = buffer
        self.start = buffer.writerIndex
        self.compress = compress
    }

    var offset: Int { buffer.writerIndex - start }

    /// Writes `name`, ending in a pointer to the longest suffix already written when
    /// `compressible`; either way every suffix written in full enters the table.
    mutating func writeName(_ name: DNSName, compressible: Bool) {
        let wire = name.wire
        guard compress, wire.count > 1 else {
            buffer.writeBytes(wire)
            return
        }
        let nameOffset = offset
        let pointer: Int? = wire.withUnsafeBufferPointer { octets in
            var i = 0
            while octets[i] != 0 {
                let known = table.find(octets, from: i)
                if compressible, let known {
                    buffer.writeBytes(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(octets)[0..<i]))
                    return known
                }
                let here = nameOffset + i
                if known == nil && here < 0x4000 {
                    table.insert(wire, from: i, offset: here)
                }
                i += Int(octets[i]) + 1
            }
            return nil
        }
        if let pointer {
            buffer.writeInteger(UInt16(0xC000 | pointer))
        } else {
            buffer.writeBytes(wire)
        }
    }

    mutating func writeMessage(_ message: DNSMessage) throws {
        try Self.checkCount(message.questions.count, "question")
        try Self.checkCount(message.answers.count, "answer")
        try Self.checkCount(message.authority.count, "authority")
        try Self.checkCount(message.additional.count, "additional")
        buffer.writeInteger(message.header.id)
        buffer.writeInteger(message.header.flagBits)
        buffer.writeInteger(UInt16(message.questions.count))
        buffer.writeInteger(UInt16(message.answers.count))
        buffer.writeInteger(UInt16(message.authority.count))
        buffer.writeInteger(UInt16(message.additional.count))
        for question in message.questions {
            writeName(question.name, compressible: true)
            buffer.writeInteger(question.type.rawValue)
            buffer.writeInteger(question.qClass.rawValue)
        }
        for record in message.answers { try writeRecord(record) }
        for record in message.authority { try writeRecord(record) }
        for record in message.additional { try writeRecord(record) }
        guard offset <= DNSWireLimits.maxMessageSize else {
            throw DNSWireError(.messageTooLarge, at: nil, "message of \(offset) octets exceeds 65535")
        }
    }

    static func checkCount(_ count: Int, _ section: StaticString) throws {
        guard count <= 0xFFFF else {
            throw DNSWireError(.tooManyRecords, at: nil, "\(count) records do not fit the \(section) count")
        }
    }

    mutating func writeRecord(_ record: ResourceRecord) throws {
        writeName(record.name, compressible: true)
        buffer.writeInteger(record.type.rawValue)
        buffer.writeInteger(record.rrClass.rawValue)
        buffer.writeInteger(record.ttl)
        let lengthIndex = buffer.writerIndex
        buffer.writeInteger(UInt16(0))
        let rdataStart = buffer.writerIndex
        try writeRData(record.data)
        let length = buffer.writerIndex - rdataStart
        guard length <= 0xFFFF else {
            throw DNSWireError(.badRDataLength, at: nil, "\(record.type) RDATA of \(length) octets exceeds 65535")
        }
        buffer.setInteger(UInt16(length), at: lengthIndex)
    }

    mutating func writeRData(_ data: RecordData) throws {
        switch data {
        case .a(let address):
            buffer.writeInteger(address.value)
        case .aaaa(let address):
            buffer.writeInteger(address.high)
            buffer.writeInteger(address.low)
        case .ns(let name), .cname(let name), .ptr(let name):
            writeName(name, compressible: true)
        case .mx(let preference, let exchange):
            buffer.writeInteger(preference)
            writeName(exchange, compressible: true)
        case .srv(let srv):
            buffer.writeInteger(srv.priority)
            buffer.writeInteger(srv.weight)
            buffer.writeInteger(srv.port)
            writeName(srv.target, compressible: false)
        case .soa(let soa):
            writeName(soa.mname, compressible: true)
            writeName(soa.rname, compressible: true)
            buffer.writeInteger(soa.serial)
            buffer.writeInteger(soa.refresh)
            buffer.writeInteger(soa.retry)
            buffer.writeInteger(soa.expire)
            buffer.writeInteger(soa.minimum)
        case .txt(let strings):
            for string in strings {
                guard string.count <= DNSWireLimits.maxCharacterString else {
                    throw DNSWireError(.stringTooLong, at: nil, "TXT character-string of \(string.count) octets exceeds 255")
                }
                buffer.writeInteger(UInt8(string.count))
                buffer.writeBytes(string)
            }
        case .opt(let options):
            for option in options {
                guard option.data.count <= 0xFFFF else {
                    throw DNSWireError(.badRDataLength, at: nil, "EDNS option \(option.code) exceeds 65535 octets")
                }
                buffer.writeInteger(option.code)
                buffer.writeInteger(UInt16(option.data.count))
                buffer.writeBytes(option.data)
            }
        case .unknown(_, let rdata):
            buffer.writeBytes(rdata)
        }
    }
}

/// The suffixes already written, each with the message offset a pointer to it would carry.
///
/// Entries are chained by suffix length (a name is at most 255 octets), so a lookup compares
/// octets only with suffixes of the same length; a typical response costs two allocations and
/// no hashing. Matching is octet for octet, which keeps every name's case.
struct CompressionTable {
    struct Entry {
        var wire: [UInt8]
        var from: Int
        var offset: Int
        var next: Int
    }

    var entries: [Entry] = []
    /// Index of the newest entry for each suffix length, -1 for none; empty until the first insert.
    var heads: [Int] = []

    func find(_ octets: UnsafeBufferPointer<UInt8>, from: Int) -> Int? {
        guard !heads.isEmpty else { return nil }
        var index = heads[octets.count - from]
        while index >= 0 {
            let same = entries[index].wire.withUnsafeBufferPointer { other in
                var a = from
                var b = entries[index].from
                while a < octets.count {
                    if octets[a] != other[b] { return false }
                    a += 1
                    b += 1
                }
                return true
            }
            if same { return entries[index].offset }
            index = entries[index].next
        }
        return nil
    }

    mutating func insert(_ wire: [UInt8], from: Int, offset: Int) {
        if heads.isEmpty {
            heads = [Int](repeating: -1, count: DNSWireLimits.maxNameLength + 1)
            entries.reserveCapacity(16)
        }
        let length = wire.count - from
        entries.append(Entry(wire: wire, from: from, offset: offset, next: heads[length]))
        heads[length] = entries.count - 1
    }
}
