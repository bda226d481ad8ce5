import NIOCore

extension DNSMessage {
    /// Appends the wire form to `buffer`, compressing names as RFC 1035 4.1.4 allows.
    ///
    /// Every name written enters the compression table, including names that are never
    /// compressed themselves (SRV targets, RFC 2782), so later owner names can point into them.
    /// Compression matches suffixes octet for octet, so the case of every name is preserved.
    public func write(into buffer: inout ByteBuffer, compress: Bool = true) throws {
        var writer = WireWriter(buffer: buffer, compress: compress)
        try writer.writeMessage(self)
        buffer = writer.buffer
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
    let start: Int
    let compress: Bool
    var table: [ArraySlice<UInt8>: Int] = [:]

    init(buffer: ByteBuffer, compress: Bool) {
        self.buffer = buffer
        self.start = buffer.writerIndex
        self.compress = compress
    }

    var offset: Int { buffer.writerIndex - start }

    mutating func writeName(_ name: DNSName, compressible: Bool) {
        let wire = name.wire
        var i = 0
        while wire[i] != 0 {
            let suffix = wire[i...]
            if compress && compressible, let target = table[suffix] {
                buffer.writeInteger(UInt16(0xC000 | target))
                return
            }
            let here = offset
            if here < 0x4000 && table[suffix] == nil {
                table[suffix] = here
            }
            let length = Int(wire[i])
            wire.withUnsafeBytes { raw in
                _ = buffer.writeBytes(UnsafeRawBufferPointer(rebasing: raw[i..<(i + 1 + length)]))
            }
            i += length + 1
        }
        buffer.writeInteger(UInt8(0))
    }

    mutating func writeMessage(_ message: DNSMessage) throws {
        for (count, section) in [(message.questions.count, "question"), (message.answers.count, "answer"), (message.authority.count, "authority"), (message.additional.count, "additional")] {
            guard count <= 0xFFFF else {
                throw DNSWireError(.tooManyRecords, at: nil, "\(count) records do not fit the \(section) count")
            }
        }
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
