import DNSWire

/// A growable octet buffer that ``LineWriter`` writes into.
final class ByteSink {
    @exclusivity(unchecked) private(set) var base: UnsafeMutablePointer<UInt8>
    @exclusivity(unchecked) var count = 0
    @exclusivity(unchecked) private(set) var capacity: Int
    /// The last whole-seconds value ``LineWriter/time(_:)`` wrote, and its digits (up to 20).
    @exclusivity(unchecked) var cachedSeconds: Int64 = -1
    @exclusivity(unchecked) var cachedSecondsText: (UInt64, UInt64, UInt32) = (0, 0, 0)
    @exclusivity(unchecked) var cachedSecondsLength = 0

    init(capacity: Int = 4096) {
        self.capacity = capacity
        base = .allocate(capacity: capacity)
    }

    deinit { base.deallocate() }

    /// Makes room for `n` more octets after ``count``.
    func reserve(_ n: Int) {
        guard count + n > capacity else { return }
        var newCapacity = max(capacity, 1) * 2
        while newCapacity < count + n { newCapacity *= 2 }
        let new = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        new.update(from: base, count: count)
        base.deallocate()
        base = new
        capacity = newCapacity
    }

    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(start: base, count: count))
    }
}

/// Writes event lines (JSON, and the text `kubetape inspect` prints) straight into a
/// ``ByteSink`` through a cursor kept in the writer (registers, not the sink's fields, while a
/// line is written); ``commit()`` hands the octets to the sink. Numbers, addresses, times,
/// mnemonics, names and RDATA each have one routine that writes their bare text; the JSON form
/// adds quotes (and escapes where the text can need it).
struct LineWriter {
    let sink: ByteSink
    private var position: UnsafeMutablePointer<UInt8>
    private var end: UnsafeMutablePointer<UInt8>
    /// The last name ``name(_:at:)`` wrote: where it starts in its message, and where its
    /// quoted text is in the sink and how long (one line holds one message).
    private var lastName = (offset: -1, textStart: 0, length: 0)

    init(out sink: ByteSink) {
        self.sink = sink
        position = sink.base + sink.count
        end = sink.base + sink.capacity
    }

    /// Ends the writing: the sink's count takes in everything written.
    mutating func commit() {
        sink.count = position - sink.base
    }

    /// Makes room for `n` more octets.
    @inline(__always)
    mutating func reserve(_ n: Int) {
        if end - position < n { grow(n) }
    }

    private mutating func grow(_ n: Int) {
        sink.count = position - sink.base
        sink.reserve(n)
        position = sink.base + sink.count
        end = sink.base + sink.capacity
    }

    @inline(__always)
    mutating func append(_ b: UInt8) {
        reserve(1)
        appendUnchecked(b)
    }

    /// Appends without a capacity check: only after ``reserve(_:)``.
    @inline(__always)
    mutating func appendUnchecked(_ b: UInt8) {
        position.pointee = b
        position += 1
    }

    /// Where the next octet goes, counted from the start of the sink (stable when it grows).
    var offset: Int { position - sink.base }

    /// Appends again `count` octets this writer already wrote at `start` (an ``offset``).
    mutating func repeatOctets(from start: Int, count: Int) {
        reserve(count)
        position.update(from: sink.base + start, count: count)
        position += count
    }

    /// Appends `value` in decimal.
    @inline(__always)
    mutating func appendDecimal(_ value: UInt64) {
        if value < 10 {
            append(UInt8(truncatingIfNeeded: value) + 48)
        } else {
            appendDecimalDigits(value)
        }
    }

    /// "00" to "99", two octets each.
    static let digitPairs: StaticString =
        "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899"

    /// `value` (10 or more) in decimal, two digits at a time from the back.
    private mutating func appendDecimalDigits(_ value: UInt64) {
        let digits = Self.decimalDigits(value)
        reserve(digits)
        // 32-bit arithmetic for the values that fit (nearly all): cheaper divisions by 100
        if value <= UInt64(UInt32.max) {
            writeDigits(UInt32(truncatingIfNeeded: value), count: digits)
        } else {
            writeDigits(value, count: digits)
        }
        position += digits
    }

    /// Writes the `count` digits of `value` (10 or more) at the cursor, two at a time from the
    /// back; the cursor stays (capacity already reserved).
    @inline(__always)
    private func writeDigits<Value: FixedWidthInteger & UnsignedInteger>(_ value: Value, count: Int) {
        let pairs = Self.digitPairs.utf8Start
        var v = value
        var i = count
        while v >= 100 {
            let r = Int(v % 100)
            v /= 100
            i -= 2
            position[i] = pairs[2 * r]
            position[i + 1] = pairs[2 * r + 1]
        }
        if v >= 10 {
            position[0] = pairs[2 * Int(v)]
            position[1] = pairs[2 * Int(v) + 1]
        } else {
            position[0] = UInt8(truncatingIfNeeded: v) + 48
        }
    }

    /// The number of decimal digits of `value` (10 or more): a few comparisons for the sizes
    /// events carry (ports, IDs, frame numbers, seconds since the epoch).
    @inline(__always)
    static func decimalDigits(_ value: UInt64) -> Int {
        if value < 100_000 {
            if value < 1000 { return value < 100 ? 2 : 3 }
            return value < 10_000 ? 4 : 5
        }
        if value < 10_000_000_000 {
            if value < 10_000_000 { return value < 1_000_000 ? 6 : 7 }
            if value < 100_000_000 { return 8 }
            return value < 1_000_000_000 ? 9 : 10
        }
        var digits = 11
        var limit: UInt64 = 100_000_000_000
        while digits < 20 && value >= limit {
            digits += 1
            limit = limit &* 10
        }
        return digits
    }

    /// "0" to "255" for ``appendOctet(_:)``: each entry the digits in the low octets of a
    /// little-endian word and their count in the top octet. Filled once, then only read.
    nonisolated(unsafe) private static let octetText: UnsafePointer<UInt32> = {
        let table = UnsafeMutablePointer<UInt32>.allocate(capacity: 256)  // lives as long as the process
        for value in 0..<256 {
            var word: UInt32 = 0
            let digits = Array(String(value).utf8)
            for (i, d) in digits.enumerated() { word |= UInt32(d) << (8 * UInt32(i)) }
            table[value] = word | UInt32(digits.count) << 24
        }
        return UnsafePointer(table)
    }()

    /// Appends one IPv4 octet in decimal: one word from ``octetText`` (four octets reserved).
    @inline(__always)
    mutating func appendOctetUnchecked(_ b: UInt8) {
        let entry = Self.octetText[Int(b)]
        UnsafeMutableRawPointer(position).storeBytes(of: (entry & 0x00ff_ffff).littleEndian, as: UInt32.self)
        position += Int(entry >> 24)
    }

    /// Appends a short literal byte by byte (cheaper than memmove for a few octets).
    @inline(__always)
    mutating func append(literal s: StaticString) {
        guard s.hasPointerRepresentation else {
            s.withUTF8Buffer { append(contentsOf: $0) }
            return
        }
        let n = s.utf8CodeUnitCount
        reserve(n + 16)
        copyShort(from: UnsafeRawPointer(s.utf8Start), count: n)
        position += n
    }

    /// Copies `n` octets to the cursor (which stays) in whole words, the last one overlapping;
    /// for short runs, where this beats memcpy. Capacity for `n` must be reserved.
    @inline(__always)
    private func copyShort(from source: UnsafeRawPointer, count n: Int) {
        let target = UnsafeMutableRawPointer(position)
        if n >= 8 {
            var i = 0
            while i + 8 < n {
                target.storeBytes(of: source.loadUnaligned(fromByteOffset: i, as: UInt64.self), toByteOffset: i, as: UInt64.self)
                i += 8
            }
            target.storeBytes(of: source.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self), toByteOffset: n - 8, as: UInt64.self)
        } else if n >= 4 {
            target.storeBytes(of: source.loadUnaligned(as: UInt32.self), as: UInt32.self)
            target.storeBytes(of: source.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self), toByteOffset: n - 4, as: UInt32.self)
        } else {
            for i in 0..<n { position[i] = source.load(fromByteOffset: i, as: UInt8.self) }
        }
    }

    @inline(__always)
    mutating func append(contentsOf bytes: UnsafeBufferPointer<UInt8>) {
        guard let source = bytes.baseAddress, bytes.count > 0 else { return }
        reserve(bytes.count)
        position.update(from: source, count: bytes.count)
        position += bytes.count
    }

    mutating func append(contentsOf bytes: UnsafeMutableRawBufferPointer) {
        append(contentsOf: UnsafeRawBufferPointer(bytes).bindMemory(to: UInt8.self))
    }

    @inline(__always)
    mutating func raw(_ s: StaticString) {
        append(literal: s)
    }

    /// Appends text as it is (no quotes, no escaping). Named apart from ``raw(_:)``: given a
    /// literal, the compiler would prefer a `String` overload over the `StaticString` one.
    mutating func rawText(_ s: String) {
        var s = s
        s.withUTF8 { append(contentsOf: $0) }
    }

    /// What `write` writes, between double quotes: a JSON string of text that needs no escaping.
    @inline(__always)
    mutating func quoted(_ write: (inout LineWriter) -> Void) {
        append(UInt8(ascii: "\""))
        write(&self)
        append(UInt8(ascii: "\""))
    }

    /// ` 'preview'`: ``HTTPExchange/previewText(_:limit:)`` of `body` between quotes, nothing
    /// when that is empty. ASCII (the usual body) is written octet by octet; anything else goes
    /// through the String definition.
    mutating func preview(_ body: [UInt8], limit: Int) {
        let ascii = body.withUnsafeBufferPointer { Self.isASCII($0) }
        guard ascii else {
            let text = HTTPExchange.previewText(body, limit: limit)
            if !text.isEmpty {
                raw(" '")
                rawText(text)
                append(UInt8(ascii: "'"))
            }
            return
        }
        // Each ASCII octet is one character: control characters become spaces, trailing spaces
        // go, and more than `limit` is cut with an ellipsis.
        var end = body.count
        while end > 0, body[end - 1] <= 0x20 || body[end - 1] == 0x7f { end -= 1 }
        guard end > 0 else { return }
        let shown = min(end, limit)
        reserve(shown + 8)
        appendUnchecked(UInt8(ascii: " "))
        appendUnchecked(UInt8(ascii: "'"))
        for b in body[0..<shown] { appendUnchecked(b < 0x20 || b == 0x7f ? 0x20 : b) }
        if end > limit {
            // "…" (U+2026)
            appendUnchecked(0xE2)
            appendUnchecked(0x80)
            appendUnchecked(0xA6)
        }
        appendUnchecked(UInt8(ascii: "'"))
    }

    /// `address:port` (IPv6 as `[address]:port`) as a JSON string.
    mutating func endpoint(_ e: Endpoint) {
        quoted { $0.endpointText(e) }
    }

    /// `address:port` (IPv6 as `[address]:port`), as `Endpoint.description` writes it.
    mutating func endpointText(_ e: Endpoint) {
        switch e.address {
        case .v4(let a): ipv4(a)
        case .v6(let a):
            append(UInt8(ascii: "["))
            ipv6(a)
            append(UInt8(ascii: "]"))
        }
        append(UInt8(ascii: ":"))
        int(Int(e.port))
    }

    /// `IPv6Address.description` (RFC 5952, dotted quad for IPv4-compatible and v4-mapped
    /// addresses) written straight into the buffer.
    mutating func ipv6(_ a: IPv6Address) {
        reserve(45)
        func hex(_ range: Range<Int>) {
            for k in range {
                if k > range.lowerBound { appendUnchecked(UInt8(ascii: ":")) }
                let v = a.group(k)
                var shift = 12
                while shift > 0 && v >> UInt16(shift) == 0 { shift -= 4 }
                while shift >= 0 {
                    appendUnchecked(LineWriter.hexDigits[Int(v >> UInt16(shift) & 0xf)])
                    shift -= 4
                }
            }
        }
        guard let (bestStart, bestLength) = a.compressedZeroRun else { return hex(0..<8) }
        if bestStart == 0 && (bestLength == 6 || (bestLength == 5 && a.group(5) == 0xffff)) {
            if bestLength == 6 { raw("::") } else { raw("::ffff:") }
            ipv4(IPv4Address(UInt32(truncatingIfNeeded: a.low)))
        } else {
            hex(0..<bestStart)
            appendUnchecked(UInt8(ascii: ":"))
            appendUnchecked(UInt8(ascii: ":"))
            hex((bestStart + bestLength)..<8)
        }
    }

    static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    mutating func ipv4(_ a: IPv4Address) {
        let v = a.value
        reserve(20)  // 15 octets of text, and the last table word's spare octet
        appendOctetUnchecked(UInt8(truncatingIfNeeded: v >> 24))
        appendUnchecked(UInt8(ascii: "."))
        appendOctetUnchecked(UInt8(truncatingIfNeeded: v >> 16))
        appendUnchecked(UInt8(ascii: "."))
        appendOctetUnchecked(UInt8(truncatingIfNeeded: v >> 8))
        appendUnchecked(UInt8(ascii: "."))
        appendOctetUnchecked(UInt8(truncatingIfNeeded: v))
    }

    /// The name at `offset` of `message` in presentation form (as `DNSName.description` writes
    /// it) as a JSON string, straight from the wire octets.
    mutating func name(_ message: DNSWireMessage, at offset: Int) {
        // A name that is only a pointer is the name it points to: an answer's owner is
        // nearly always the question's name, which is then copied as written the first time.
        var start = offset
        let lead = message.u16(at: offset)
        if lead & 0xC000 == 0xC000 { start = Int(lead & 0x3FFF) }
        if start == lastName.offset {
            reserve(lastName.length)
            position.update(from: sink.base + lastName.textStart, count: lastName.length)
            position += lastName.length
            return
        }
        let textStart = position - sink.base
        append(UInt8(ascii: "\""))
        nameBody(message, at: start, json: true)
        append(UInt8(ascii: "\""))
        lastName = (start, textStart, position - sink.base - textStart)
    }

    /// The presentation form of the name at `offset` (as `DNSName.description` writes it),
    /// without quotes; JSON-escaped when `json` is true.
    mutating func nameBody(_ message: DNSWireMessage, at offset: Int, json: Bool) {
        var empty = true
        message.octets.withUnsafeBytes { raw in
            DNSWireMessage.forEachLabel(in: raw, ofNameAt: offset) { octets in
                empty = false
                appendLabel(octets.assumingMemoryBound(to: UInt8.self), json: json)
            }
        }
        if empty { append(UInt8(ascii: ".")) }
    }

    /// One label and its dot: copied whole when no octet needs escaping, else escaped octet
    /// by octet (for presentation, and then for JSON when `json` is true).
    private mutating func appendLabel(_ octets: UnsafeBufferPointer<UInt8>, json: Bool) {
        let n = octets.count
        reserve(n * 5 + 1)  // worst case: every octet as \\DDD
        var plain = true
        for b in octets where !Self.isPlain(b) {
            plain = false
            break
        }
        guard plain, let source = octets.baseAddress else {
            if json {
                for b in octets { escapeNameOctet(b) }
            } else {
                for b in octets { presentationNameOctet(b) }
            }
            appendUnchecked(UInt8(ascii: "."))
            return
        }
        // labels are short: cheaper than memcpy
        copyShort(from: UnsafeRawPointer(source), count: n)
        position[n] = UInt8(ascii: ".")
        position += n + 1
    }

    /// True for an octet a name shows as itself, in presentation form and in JSON.
    @inline(__always)
    static func isPlain(_ b: UInt8) -> Bool {
        // Printable ASCII except . ( ) ; $ @ \ " (bits of the mask below, by octet - 0x20).
        let special: UInt64 =
            1 << (0x2e - 0x20) | 1 << (0x28 - 0x20) | 1 << (0x29 - 0x20) | 1 << (0x3b - 0x20) | 1 << (0x24 - 0x20) | 1 << (0x40 - 0x20)
            | 1 << (0x5c - 0x20) | 1 << (0x22 - 0x20)
        if b >= 0x21 && b < 0x60 { return special & (1 << UInt64(b - 0x20)) == 0 }
        return b >= 0x60 && b <= 0x7e
    }

    /// One name octet in presentation form, JSON-escaped (capacity already reserved).
    @inline(__always)
    mutating func escapeNameOctet(_ b: UInt8) {
        switch b {
        case UInt8(ascii: "."), UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: ";"), UInt8(ascii: "$"), UInt8(ascii: "@"):
            appendUnchecked(UInt8(ascii: "\\"))  // JSON-escaped presentation backslash
            appendUnchecked(UInt8(ascii: "\\"))
            appendUnchecked(b)
        case UInt8(ascii: "\\"), UInt8(ascii: "\""):
            appendUnchecked(UInt8(ascii: "\\"))
            appendUnchecked(UInt8(ascii: "\\"))
            appendUnchecked(UInt8(ascii: "\\"))
            appendUnchecked(b)
        case 0x21...0x7e:
            appendUnchecked(b)
        default:
            appendUnchecked(UInt8(ascii: "\\"))
            appendUnchecked(UInt8(ascii: "\\"))
            appendUnchecked(48 + b / 100)
            appendUnchecked(48 + b / 10 % 10)
            appendUnchecked(48 + b % 10)
        }
    }

    /// One name octet in presentation form, as `DNSName.description` writes it (capacity
    /// already reserved).
    @inline(__always)
    mutating func presentationNameOctet(_ b: UInt8) {
        switch b {
        case UInt8(ascii: "."), UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: ";"), UInt8(ascii: "$"), UInt8(ascii: "@"), UInt8(ascii: "\\"),
            UInt8(ascii: "\""):
            appendUnchecked(UInt8(ascii: "\\"))
            appendUnchecked(b)
        case 0x21...0x7e:
            appendUnchecked(b)
        default:
            appendUnchecked(UInt8(ascii: "\\"))
            appendUnchecked(48 + b / 100)
            appendUnchecked(48 + b / 10 % 10)
            appendUnchecked(48 + b % 10)
        }
    }

    /// A record's RDATA in presentation form (`RecordData.presentation`) as a JSON string, read
    /// in place for the common types; the others through ``DNSWireMessage/recordData(_:)``.
    mutating func rdata(_ m: DNSWireMessage, _ r: DNSWireMessage.Record) {
        switch r.type {
        case .a:
            quoted { $0.ipv4(IPv4Address(m.u32(at: r.rdataOffset))) }
        case .ns, .cname, .ptr:
            name(m, at: r.rdataOffset)
        case .aaaa, .soa, .srv, .mx:
            append(UInt8(ascii: "\""))
            rdataBody(m, r, json: true)
            append(UInt8(ascii: "\""))
        default:
            string(m.recordData(r).presentation)
        }
    }

    /// A record's RDATA in presentation form, as it is (the text lines).
    mutating func rdataText(_ m: DNSWireMessage, _ r: DNSWireMessage.Record) {
        switch r.type {
        case .ns, .cname, .ptr, .a, .aaaa, .soa, .srv, .mx: rdataBody(m, r, json: false)
        default: rawText(m.recordData(r).presentation)
        }
    }

    /// The presentation form of the types read in place, without quotes; names JSON-escaped
    /// when `json` is true (the other fields are digits and addresses).
    private mutating func rdataBody(_ m: DNSWireMessage, _ r: DNSWireMessage.Record, json: Bool) {
        let at = r.rdataOffset
        switch r.type {
        case .a:
            ipv4(IPv4Address(m.u32(at: at)))
        case .aaaa:
            let high = UInt64(m.u32(at: at)) << 32 | UInt64(m.u32(at: at + 4))
            ipv6(IPv6Address(high: high, low: UInt64(m.u32(at: at + 8)) << 32 | UInt64(m.u32(at: at + 12))))
        case .ns, .cname, .ptr:
            nameBody(m, at: at, json: json)
        case .soa:
            nameBody(m, at: at, json: json)
            append(UInt8(ascii: " "))
            let rname = m.nameEnd(at: at)
            nameBody(m, at: rname, json: json)
            var field = m.nameEnd(at: rname)
            for _ in 0..<5 {
                append(UInt8(ascii: " "))
                int(Int(m.u32(at: field)))
                field += 4
            }
        case .srv:
            int(Int(m.u16(at: at)))
            append(UInt8(ascii: " "))
            int(Int(m.u16(at: at + 2)))
            append(UInt8(ascii: " "))
            int(Int(m.u16(at: at + 4)))
            append(UInt8(ascii: " "))
            nameBody(m, at: at + 6, json: json)
        case .mx:
            int(Int(m.u16(at: at)))
            append(UInt8(ascii: " "))
            nameBody(m, at: at + 2, json: json)
        default:
            preconditionFailure("rdataBody is called only for the types it reads in place")
        }
    }

    @inline(__always)
    mutating func bool(_ b: Bool) {
        if b { raw("true") } else { raw("false") }
    }

    @inline(__always)
    mutating func int(_ value: Int) {
        if value < 0 { append(UInt8(ascii: "-")) }
        appendDecimal(UInt64(value.magnitude))
    }

    @inline(__always)
    mutating func optionalInt(_ value: Int?) {
        if let value { int(value) } else { raw("null") }
    }

    mutating func optionalString(_ value: String?) {
        if let value { string(value) } else { raw("null") }
    }

    /// A capture time as a JSON string: `seconds.nnnnnnnnn` since the epoch.
    mutating func time(_ ns: Int64) {
        quoted { $0.timeText(ns) }
    }

    /// `seconds.nnnnnnnnn` since the epoch, as ``timeString(_:)`` writes it.
    mutating func timeText(_ ns: Int64) {
        guard ns >= 0 else {
            rawText(Self.timeString(ns))
            return
        }
        let seconds = ns / 1_000_000_000
        reserve(32)
        if seconds == sink.cachedSeconds {
            // the same second as the line before, as most are: its digits again
            let target = UnsafeMutableRawPointer(position)
            target.storeBytes(of: sink.cachedSecondsText.0, as: UInt64.self)
            target.storeBytes(of: sink.cachedSecondsText.1, toByteOffset: 8, as: UInt64.self)
            target.storeBytes(of: sink.cachedSecondsText.2, toByteOffset: 16, as: UInt32.self)
            position += sink.cachedSecondsLength
        } else {
            let start = position
            int(Int(seconds))
            let length = position - start
            if length <= 20 {
                var text: (UInt64, UInt64, UInt32) = (0, 0, 0)
                withUnsafeMutableBytes(of: &text) { $0.copyMemory(from: UnsafeRawBufferPointer(start: start, count: length)) }
                sink.cachedSeconds = seconds
                sink.cachedSecondsText = text
                sink.cachedSecondsLength = length
            }
        }
        append(UInt8(ascii: "."))
        // Nine digits, zero-padded, written from the back two at a time.
        var fraction = Int(ns % 1_000_000_000)
        reserve(9)
        let pairs = Self.digitPairs.utf8Start
        var i = 7
        while i > 0 {
            let r = fraction % 100
            fraction /= 100
            position[i] = pairs[2 * r]
            position[i + 1] = pairs[2 * r + 1]
            i -= 2
        }
        position[0] = UInt8(truncatingIfNeeded: fraction) + 48
        position += 9
    }

    /// `seconds.nnnnnnnnn` since the epoch.
    static func timeString(_ ns: Int64) -> String {
        let negative = ns < 0
        let m = ns.magnitude
        var fraction = String(m % 1_000_000_000)
        fraction = String(repeating: "0", count: 9 - fraction.count) + fraction
        return (negative ? "-" : "") + "\(m / 1_000_000_000).\(fraction)"
    }

    /// Nanoseconds as milliseconds with 3 decimals (`-1.500`), written straight into the buffer.
    mutating func milliseconds(_ ns: Int64) {
        if ns < 0 { append(UInt8(ascii: "-")) }
        let us = (ns.magnitude + 500) / 1000
        appendDecimal(us / 1000)
        let fraction = us % 1000
        reserve(4)
        appendUnchecked(UInt8(ascii: "."))
        appendUnchecked(UInt8(truncatingIfNeeded: fraction / 100) + 48)
        appendUnchecked(UInt8(truncatingIfNeeded: fraction / 10 % 10) + 48)
        appendUnchecked(UInt8(truncatingIfNeeded: fraction % 10) + 48)
    }

    /// A record type's mnemonic (`DNSType.description`) as a JSON string.
    mutating func dnsType(_ type: DNSType) {
        // the types of nearly every record as one literal each, quotes included
        switch type.rawValue {
        case 1: raw("\"A\"")
        case 28: raw("\"AAAA\"")
        default: quoted { $0.typeText(type) }
        }
    }

    /// A record type's mnemonic (`DNSType.description`); the common ones as literals (a test
    /// holds them to the descriptions, which are letters and digits: nothing to escape).
    mutating func typeText(_ type: DNSType) {
        switch type.rawValue {
        case 1: raw("A")
        case 28: raw("AAAA")
        case 5: raw("CNAME")
        case 6: raw("SOA")
        case 33: raw("SRV")
        case 12: raw("PTR")
        case 2: raw("NS")
        case 16: raw("TXT")
        case 15: raw("MX")
        case 65: raw("HTTPS")
        case 41: raw("OPT")
        default: rawText(type.description)
        }
    }

    /// A class's mnemonic (`DNSClass.description`) as a JSON string.
    @inline(__always)
    mutating func dnsClass(_ dnsClass: DNSClass) {
        if dnsClass.rawValue == 1 { raw("\"IN\"") } else { string(dnsClass.description) }
    }

    /// An RCODE's mnemonic (`DNSRCode.description`) as a JSON string.
    mutating func rcode(_ rcode: DNSRCode) {
        switch rcode.rawValue {
        case 0: raw("\"NOERROR\"")
        case 3: raw("\"NXDOMAIN\"")
        default: quoted { $0.rcodeText(rcode) }
        }
    }

    /// An RCODE's mnemonic (`DNSRCode.description`).
    mutating func rcodeText(_ rcode: DNSRCode) {
        switch rcode.rawValue {
        case 0: raw("NOERROR")
        case 3: raw("NXDOMAIN")
        case 2: raw("SERVFAIL")
        case 5: raw("REFUSED")
        default: rawText(rcode.description)
        }
    }

    /// An opcode's mnemonic (`DNSOpcode.description`) as a JSON string.
    @inline(__always)
    mutating func opcode(_ opcode: DNSOpcode) {
        if opcode.rawValue == 0 { raw("\"QUERY\"") } else { quoted { $0.opcodeText(opcode) } }
    }

    /// An opcode's mnemonic (`DNSOpcode.description`).
    @inline(__always)
    mutating func opcodeText(_ opcode: DNSOpcode) {
        if opcode.rawValue == 0 { raw("QUERY") } else { rawText(opcode.description) }
    }

    mutating func string(_ s: String) {
        var s = s
        s.withUTF8 { escaped($0) }
    }

    /// Octets that should be UTF-8 text (an HTTP body) as a JSON string: ASCII is written as it
    /// is (escaped); anything else goes through `String(decoding:as:)`, which replaces invalid
    /// sequences, as the text view does.
    mutating func text(_ octets: [UInt8]) {
        let ascii = octets.withUnsafeBufferPointer { Self.isASCII($0) }
        if ascii {
            octets.withUnsafeBufferPointer { escaped($0) }
        } else {
            string(String(decoding: octets, as: UTF8.self))
        }
    }

    /// True when no octet has its high bit set (eight at a time).
    static func isASCII(_ octets: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = octets.baseAddress else { return true }
        let raw = UnsafeRawPointer(base)
        var i = 0
        while i + 8 <= octets.count {
            if raw.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 != 0 { return false }
            i += 8
        }
        while i < octets.count {
            if octets[i] >= 0x80 { return false }
            i += 1
        }
        return true
    }

    /// UTF-8 octets as a JSON string: eight at a time while none needs escaping (no control
    /// character, quote or backslash), the others one by one.
    mutating func escaped(_ octets: UnsafeBufferPointer<UInt8>) {
        reserve(octets.count * 6 + 2)  // worst case: every octet as \\u00XX
        appendUnchecked(UInt8(ascii: "\""))
        guard let base = octets.baseAddress else {
            appendUnchecked(UInt8(ascii: "\""))
            return
        }
        let raw = UnsafeRawPointer(base)
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        var i = 0
        while i < octets.count {
            if i + 8 <= octets.count {
                let word = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                // an octet below 0x20, or equal to '"' or '\\' (exact tests of "some octet")
                let below = (word &- ones &* 0x20) & ~word & highs
                let quote = word ^ (ones &* 0x22)
                let backslash = word ^ (ones &* 0x5c)
                let hasQuote = (quote &- ones) & ~quote & highs
                let hasBackslash = (backslash &- ones) & ~backslash & highs
                if below | hasQuote | hasBackslash == 0 {
                    UnsafeMutableRawPointer(position).storeBytes(of: word, as: UInt64.self)
                    position += 8
                    i += 8
                    continue
                }
            }
            escapeOctet(octets[i])
            i += 1
        }
        appendUnchecked(UInt8(ascii: "\""))
    }

    /// One octet of a JSON string, escaped if it must be (capacity already reserved).
    @inline(__always)
    private mutating func escapeOctet(_ b: UInt8) {
        switch b {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"):
            appendUnchecked(UInt8(ascii: "\\"))
            appendUnchecked(b)
        case 0x0a:
            appendUnchecked(UInt8(ascii: "\\"))
            appendUnchecked(UInt8(ascii: "n"))
        case 0x0d:
            appendUnchecked(UInt8(ascii: "\\"))
            appendUnchecked(UInt8(ascii: "r"))
        case 0x09:
            appendUnchecked(UInt8(ascii: "\\"))
            appendUnchecked(UInt8(ascii: "t"))
        case 0..<0x20:
            appendUnchecked(UInt8(ascii: "\\"))
            appendUnchecked(UInt8(ascii: "u"))
            appendUnchecked(UInt8(ascii: "0"))
            appendUnchecked(UInt8(ascii: "0"))
            appendUnchecked(LineWriter.hexDigits[Int(b >> 4)])
            appendUnchecked(LineWriter.hexDigits[Int(b & 0xf)])
        default:
            appendUnchecked(b)
        }
    }
}
