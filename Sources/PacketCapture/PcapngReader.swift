/// Native pcapng block reader (libpcap cannot deliver per-packet interfaces or mixed link types).
///
/// Not thread-safe; used from one thread at a time, never re-entered, so its state needs no
/// dynamic exclusivity checks (they were a fifth of the cost of reading a packet).
final class PcapngReader {
    private let input: FileInput
    @exclusivity(unchecked) private var bigEndian = false
    @exclusivity(unchecked) private var section = -1
    @exclusivity(unchecked) private(set) var interfaces: [CaptureInterface] = []
    /// Every interface seen in the file, all sections.
    @exclusivity(unchecked) private(set) var allInterfaces: [CaptureInterface] = []
    @exclusivity(unchecked) private var delivered = 0

    init(input: FileInput) {
        self.input = input
    }

    private var path: String { input.path }

    private func fail(_ code: PacketCaptureError.Code, _ reason: String) -> PacketCaptureError {
        PacketCaptureError(code, reason, path: path, frameNumber: delivered + 1)
    }

    /// Reads the next packet into `packet`, reusing its data storage when nothing else holds it
    /// (as ``CaptureFileReader/next(into:)`` does for classic files); false at the end of the file.
    func next(into packet: inout CapturedPacket) throws -> Bool {
        while true {
            let blockOffset = input.offset
            head.removeAll(keepingCapacity: true)
            try input.read(8, appendingTo: &head)
            if head.isEmpty { return false }
            if head.count < 8 {
                throw fail(.truncatedFile, "file ends inside a block header at offset \(blockOffset) (\(head.count) of 8 octets)")
            }
            // A block larger than usual is not kept around once it has been read.
            if body.capacity > Self.keptBodyCapacity { body = [] }
            body.removeAll(keepingCapacity: true)
            let isSHB = head[0] == 0x0A && head[1] == 0x0D && head[2] == 0x0D && head[3] == 0x0A
            if isSHB {
                try input.read(4, appendingTo: &body)
                if body.count < 4 {
                    throw fail(.truncatedFile, "file ends inside a section header block at offset \(blockOffset)")
                }
                if body.starts(with: [0x1A, 0x2B, 0x3C, 0x4D]) {
                    bigEndian = true
                } else if body.starts(with: [0x4D, 0x3C, 0x2B, 0x1A]) {
                    bigEndian = false
                } else {
                    throw fail(.malformedFile, "section header block at offset \(blockOffset) has an unknown byte-order magic")
                }
            } else if section < 0 {
                throw fail(.malformedFile, "the file does not start with a section header block")
            }
            let type = u32(head, 0)
            let length = Int(u32(head, 4))
            let minimum = isSHB ? 28 : 12
            if length < minimum || length % 4 != 0 || length > CaptureFileLimits.maxBlockLength {
                throw fail(.malformedFile, "block of type 0x\(hex(type)) at offset \(blockOffset) has an invalid total length \(length)")
            }
            try input.read(length - 8 - body.count, appendingTo: &body)
            if body.count < length - 8 {
                throw fail(.truncatedFile, "file ends inside a block of type 0x\(hex(type)) at offset \(blockOffset) (\(body.count + 8) of \(length) octets)")
            }
            let trailer = Int(u32(body, body.count - 4))
            if trailer != length {
                throw fail(.malformedFile, "block of type 0x\(hex(type)) at offset \(blockOffset) has total length \(length) but trailing length \(trailer)")
            }
            body.removeLast(4)
            switch type {
            case 0x0A0D_0D0A:
                try sectionHeader(body, at: blockOffset)
            case 1:
                try interfaceDescription(body, at: blockOffset)
            case 6:
                try enhancedPacket(at: blockOffset, into: &packet)
                return true
            case 3:
                try simplePacket(at: blockOffset, into: &packet)
                return true
            case 2:
                try obsoletePacket(at: blockOffset, into: &packet)
                return true
            default:
                continue  // name resolution, statistics, journal, custom... skipped
            }
        }
    }

    /// The block being read (without its header and trailing length) and its header: kept from
    /// block to block so that reading a packet allocates nothing.
    @exclusivity(unchecked) private var body: [UInt8] = []
    @exclusivity(unchecked) private var head: [UInt8] = []
    /// Larger block buffers are dropped after use rather than kept.
    private static let keptBodyCapacity = 1 << 20

    // MARK: Blocks

    private func sectionHeader(_ body: [UInt8], at offset: Int) throws {
        // body: magic(4) major(2) minor(2) sectionLength(8) options
        let major = u16(body, 4)
        if major != 1 {
            throw fail(.unsupportedFormat, "section header block at offset \(offset) has pcapng version \(major).\(u16(body, 6)); only 1.x is read")
        }
        section += 1
        interfaces = []
    }

    private func interfaceDescription(_ body: [UInt8], at offset: Int) throws {
        guard body.count >= 8 else {
            throw fail(.malformedFile, "interface description block at offset \(offset) is shorter than 20 octets")
        }
        var interface = CaptureInterface(
            index: interfaces.count, section: section, linkType: LinkType(UInt32(u16(body, 0))),
            snapLength: Int(u32(body, 4)))
        try forEachOption(body, from: 8, block: "interface description", at: offset) { code, value in
            switch code {
            case 2: interface.name = text(value)
            case 3: interface.interfaceDescription = text(value)
            case 9:
                if let first = value.first { interface.timestampResolution = first }
            case 14:
                if value.count == 8 { interface.timestampOffsetSeconds = Int64(bitPattern: u64(value, 0)) }
            default: break
            }
        }
        interfaces.append(interface)
        allInterfaces.append(interface)
    }

    private func enhancedPacket(at offset: Int, into packet: inout CapturedPacket) throws {
        guard body.count >= 20 else {
            throw fail(.malformedFile, "enhanced packet block at offset \(offset) is shorter than 32 octets")
        }
        let interfaceID = Int(u32(body, 0))
        let units = UInt64(u32(body, 4)) << 32 | UInt64(u32(body, 8))
        let captured = Int(u32(body, 12))
        let original = Int(u32(body, 16))
        guard captured <= body.count - 20 else {
            throw fail(.malformedFile, "enhanced packet block at offset \(offset) claims \(captured) captured octets but holds \(body.count - 20)")
        }
        try fill(&packet, interfaceID: interfaceID, units: units, data: 20..<(20 + captured), original: original, at: offset)
    }

    private func obsoletePacket(at offset: Int, into packet: inout CapturedPacket) throws {
        guard body.count >= 20 else {
            throw fail(.malformedFile, "packet block at offset \(offset) is shorter than 32 octets")
        }
        let interfaceID = Int(u16(body, 0))
        let units = UInt64(u32(body, 4)) << 32 | UInt64(u32(body, 8))
        let captured = Int(u32(body, 12))
        let original = Int(u32(body, 16))
        guard captured <= body.count - 20 else {
            throw fail(.malformedFile, "packet block at offset \(offset) claims \(captured) captured octets but holds \(body.count - 20)")
        }
        try fill(&packet, interfaceID: interfaceID, units: units, data: 20..<(20 + captured), original: original, at: offset)
    }

    private func simplePacket(at offset: Int, into packet: inout CapturedPacket) throws {
        guard body.count >= 4 else {
            throw fail(.malformedFile, "simple packet block at offset \(offset) is shorter than 16 octets")
        }
        guard let interface = interfaces.first else {
            throw fail(.malformedFile, "simple packet block at offset \(offset) comes before any interface description block")
        }
        let original = Int(u32(body, 0))
        var captured = min(original, body.count - 4)
        if interface.snapLength > 0 { captured = min(captured, interface.snapLength) }
        delivered += 1
        body.withUnsafeBufferPointer { packet.replaceData(with: UnsafeBufferPointer(rebasing: $0[4..<(4 + captured)])) }
        packet.frameNumber = delivered
        packet.timestampNanoseconds = 0
        packet.linkType = interface.linkType
        packet.originalLength = original
        packet.interfaceName = interface.name
        packet.interfaceIndex = 0
    }

    private func fill(_ packet: inout CapturedPacket, interfaceID: Int, units: UInt64, data: Range<Int>, original: Int, at offset: Int) throws {
        guard interfaceID < interfaces.count else {
            throw fail(.malformedFile, "packet block at offset \(offset) refers to interface \(interfaceID), but the section describes \(interfaces.count)")
        }
        guard
            let nanoseconds = Self.nanoseconds(
                units: units, resolution: interfaces[interfaceID].timestampResolution, offsetSeconds: interfaces[interfaceID].timestampOffsetSeconds)
        else {
            throw fail(.malformedFile, "packet block at offset \(offset) has a timestamp that does not fit in 64-bit nanoseconds")
        }
        delivered += 1
        body.withUnsafeBufferPointer { packet.replaceData(with: UnsafeBufferPointer(rebasing: $0[data])) }
        packet.frameNumber = delivered
        packet.timestampNanoseconds = nanoseconds
        packet.linkType = interfaces[interfaceID].linkType
        packet.originalLength = original
        packet.interfaceName = interfaces[interfaceID].name
        packet.interfaceIndex = interfaceID
    }

    /// Converts a pcapng timestamp in `if_tsresol` units to nanoseconds since the epoch;
    /// `nil` when the result does not fit.
    static func nanoseconds(units: UInt64, resolution: UInt8, offsetSeconds: Int64) -> Int64? {
        let exponent = Int(resolution & 0x7F)
        var result: UInt64
        if resolution & 0x80 == 0 {
            if exponent <= 9 {
                var scale: UInt64 = 1
                for _ in 0..<(9 - exponent) { scale *= 10 }
                let (product, overflow) = units.multipliedReportingOverflow(by: scale)
                if overflow { return nil }
                result = product
            } else if exponent - 9 > 19 {
                result = 0
            } else {
                var divisor: UInt64 = 1
                for _ in 0..<(exponent - 9) { divisor *= 10 }
                result = units / divisor
            }
        } else {
            let seconds = exponent >= 64 ? 0 : units >> UInt64(exponent)
            let fraction = exponent >= 64 ? units : units & ((1 << UInt64(exponent)) - 1)
            let (high, low) = fraction.multipliedFullWidth(by: 1_000_000_000)
            let fractionNanos: UInt64
            if exponent == 0 {
                fractionNanos = 0
            } else if exponent < 64 {
                fractionNanos = (high << UInt64(64 - exponent)) | (low >> UInt64(exponent))
            } else if exponent - 64 < 64 {
                fractionNanos = high >> UInt64(exponent - 64)
            } else {
                fractionNanos = 0
            }
            let (wholeNanos, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
            if overflow { return nil }
            let (sum, overflow2) = wholeNanos.addingReportingOverflow(fractionNanos)
            if overflow2 { return nil }
            result = sum
        }
        guard var signed = Int64(exactly: result) else { return nil }
        if offsetSeconds != 0 {
            let (shift, overflow) = offsetSeconds.multipliedReportingOverflow(by: 1_000_000_000)
            if overflow { return nil }
            let (sum, overflow2) = signed.addingReportingOverflow(shift)
            if overflow2 { return nil }
            signed = sum
        }
        return signed
    }

    // MARK: Fields

    private func forEachOption(_ body: [UInt8], from start: Int, block: String, at offset: Int, _ visit: (UInt16, [UInt8]) throws -> Void) throws {
        var position = start
        while position + 4 <= body.count {
            let code = u16(body, position)
            let length = Int(u16(body, position + 2))
            position += 4
            if code == 0 { return }
            guard length <= body.count - position else {
                throw fail(.malformedFile, "\(block) block at offset \(offset): option \(code) of length \(length) runs past the end of the block")
            }
            try visit(code, Array(body[position..<(position + length)]))
            position += (length + 3) & ~3
        }
    }

    private func text(_ value: [UInt8]) -> String {
        var bytes = value
        while bytes.last == 0 { bytes.removeLast() }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The 16-bit field at `at` in the section's byte order; 0 when it lies outside `bytes`.
    private func u16(_ bytes: [UInt8], _ at: Int) -> UInt16 {
        guard at >= 0, at + 2 <= bytes.count else { return 0 }
        let raw = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: at, as: UInt16.self) }
        return bigEndian ? UInt16(bigEndian: raw) : UInt16(littleEndian: raw)
    }

    /// The 32-bit field at `at` in the section's byte order; 0 when it lies outside `bytes`.
    private func u32(_ bytes: [UInt8], _ at: Int) -> UInt32 {
        guard at >= 0, at + 4 <= bytes.count else { return 0 }
        let raw = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: at, as: UInt32.self) }
        return bigEndian ? UInt32(bigEndian: raw) : UInt32(littleEndian: raw)
    }

    private func u64(_ bytes: [UInt8], _ at: Int) -> UInt64 {
        let first = UInt64(u32(bytes, at))
        let second = UInt64(u32(bytes, at + 4))
        return bigEndian ? first << 32 | second : second << 32 | first
    }

    private func hex(_ value: UInt32) -> String {
        String(value, radix: 16, uppercase: true)
    }
}
