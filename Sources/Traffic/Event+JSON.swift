import DNSWire

/// Renders events as JSON Lines (schema in docs/events.md) and as one-line text, straight into a
/// byte buffer: keys always in the same order, absent values written as `null`.
extension Event {
    /// Appends this event as one JSON object and a newline.
    public func writeJSONLine(into out: inout [UInt8]) {
        let sink = ByteSink()
        writeJSONLine(to: sink)
        sink.withUnsafeBytes { out.append(contentsOf: $0) }
    }

    func writeJSONLine(to sink: ByteSink) {
        var w = JSONWriter(out: sink)
        w.raw("{\"kind\":")
        switch kind {
        case .dns: w.string("dns")
        case .http: w.string("http")
        }
        w.raw(",\"frame\":")
        w.int(frame)
        w.raw(",\"frames\":[")
        for (i, f) in frames.enumerated() {
            if i > 0 { w.raw(",") }
            w.int(f)
        }
        w.raw("],\"time\":")
        w.time(timeNanoseconds)
        switch kind {
        case .dns(let dns):
            w.raw(",\"src\":")
            w.endpoint(source)
            w.raw(",\"dst\":")
            w.endpoint(destination)
            w.raw(",\"transport\":")
            w.string(transport.rawValue)
            w.raw(",\"vantage\":")
            w.int(vantage)
            dns.writeJSONFields(&w)
        case .http(let http):
            w.raw(",\"client\":")
            w.endpoint(http.client)
            w.raw(",\"server\":")
            w.endpoint(http.server)
            w.raw(",\"transport\":\"tcp\",\"vantage\":")
            w.int(vantage)
            http.writeJSONFields(&w)
        }
        w.raw("}\n")
    }

    /// This event as one JSON object (no newline).
    public var jsonLine: String {
        let sink = ByteSink()
        writeJSONLine(to: sink)
        return sink.withUnsafeBytes { String(decoding: $0.dropLast(), as: UTF8.self) }
    }

    /// One human-readable line, as `kubetape inspect` prints it.
    public var textLine: String {
        var line = "\(frame)\t\(JSONWriter.timeString(timeNanoseconds))\t"
        switch kind {
        case .dns(let dns):
            let m = dns.message
            line += "dns/\(transport.rawValue) \(source) → \(destination) "
            line += m.header.isResponse ? "response" : "query"
            line += " id=\(m.header.id)"
            if m.header.opcode != .query { line += " opcode=\(m.header.opcode)" }
            if m.header.isResponse { line += " \(m.rcode)" }
            var flags: [String] = []
            if m.header.authoritative { flags.append("aa") }
            if m.header.truncated { flags.append("tc") }
            if m.header.recursionDesired { flags.append("rd") }
            if m.header.recursionAvailable { flags.append("ra") }
            if !flags.isEmpty { line += " [\(flags.joined(separator: " "))]" }
            if let q = m.question { line += " \(q.name) \(q.type)" }
            if m.header.isResponse {
                if !m.answers.isEmpty {
                    line += " → " + m.answers.map { "\($0.type) \($0.data.presentation)" }.joined(separator: ", ")
                }
                let authority = m.authority.count
                let additional = m.additional.filter { $0.type != .opt }.count
                if authority > 0 { line += " +\(authority) authority" }
                if additional > 0 { line += " +\(additional) additional" }
                if let q = dns.queryFrame, let latency = dns.latencyNanoseconds {
                    line += " (query frame \(q), \(JSONWriter.milliseconds(latency)) ms)"
                } else {
                    line += " (query not seen)"
                }
            } else if dns.isRetransmission {
                line += " (retransmission)"
            }
        case .http(let h):
            line += "http client \(h.client) → \(h.server)"
            if let r = h.request {
                line += " \(r.method) \(r.uri)"
            } else {
                line += " (request not seen)"
            }
            if let r = h.response {
                line += " → \(r.status)"
                let preview = HTTPExchange.previewText(r.bodyPreview, limit: 80)
                if !preview.isEmpty { line += " '\(preview)'" }
            } else {
                line += " → (no response)"
            }
            var notes: [String] = []
            if let host = h.request?.host { notes.append("host \(host)") }
            if let q = h.request?.frame { notes.append("request frame \(q)") }
            if let latency = h.latencyNanoseconds { notes.append("\(JSONWriter.milliseconds(latency)) ms") }
            if !notes.isEmpty { line += " (\(notes.joined(separator: ", ")))" }
        }
        return line
    }
}

extension HTTPExchange {
    /// A body preview as text: UTF-8 with invalid sequences replaced, control characters shown as
    /// spaces, trailing white space trimmed, cut to `limit` characters.
    public static func previewText(_ bytes: [UInt8], limit: Int) -> String {
        var text = String(decoding: bytes, as: UTF8.self)
        text = String(text.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7f ? " " : Character($0) })
        while text.last == " " { text.removeLast() }
        if text.count > limit { text = String(text.prefix(limit)) + "…" }
        return text
    }

    fileprivate func writeJSONFields(_ w: inout JSONWriter) {
        w.raw(",\"method\":")
        w.optionalString(request?.method)
        w.raw(",\"uri\":")
        w.optionalString(request?.uri)
        w.raw(",\"host\":")
        w.optionalString(request?.host)
        w.raw(",\"version\":")
        w.optionalString(request?.version ?? response?.version)
        w.raw(",\"requestFrame\":")
        w.optionalInt(request?.frame)
        w.raw(",\"requestTime\":")
        if let r = request { w.time(r.timeNanoseconds) } else { w.raw("null") }
        w.raw(",\"requestBodyLength\":")
        w.optionalInt(request?.bodyLength)
        w.raw(",\"status\":")
        w.optionalInt(response?.status)
        w.raw(",\"reason\":")
        w.optionalString(response?.reason)
        w.raw(",\"responseFrame\":")
        w.optionalInt(response?.frame)
        w.raw(",\"contentType\":")
        w.optionalString(response?.contentType)
        w.raw(",\"chunked\":")
        if let r = response { w.raw(r.chunked ? "true" : "false") } else { w.raw("null") }
        w.raw(",\"responseBodyLength\":")
        w.optionalInt(response?.bodyLength)
        w.raw(",\"bodyPreview\":")
        if let r = response { w.string(String(decoding: r.bodyPreview, as: UTF8.self)) } else { w.raw("null") }
        w.raw(",\"latencyMs\":")
        if let l = latencyNanoseconds { w.raw(JSONWriter.milliseconds(l)) } else { w.raw("null") }
    }
}

extension DNSEvent {
    fileprivate func writeJSONFields(_ w: inout JSONWriter) {
        let m = message
        let h = m.header
        w.raw(",\"id\":")
        w.int(Int(h.id))
        w.raw(h.isResponse ? ",\"qr\":true" : ",\"qr\":false")
        let edns = m.edns
        w.raw(",\"opcode\":")
        w.string(h.opcode.description)
        w.raw(",\"rcode\":")
        w.string(DNSRCode(UInt16(edns?.extendedRCode ?? 0) << 4 | UInt16(h.rcodeLow)).description)
        w.raw(",\"flags\":{\"aa\":")
        w.bool(h.authoritative)
        w.raw(",\"tc\":")
        w.bool(h.truncated)
        w.raw(",\"rd\":")
        w.bool(h.recursionDesired)
        w.raw(",\"ra\":")
        w.bool(h.recursionAvailable)
        w.raw(",\"ad\":")
        w.bool(h.authenticData)
        w.raw(",\"cd\":")
        w.bool(h.checkingDisabled)
        w.raw("},\"qname\":")
        if let q = m.question {
            w.name(q.name)
            w.raw(",\"qtype\":")
            w.string(q.type.description)
            w.raw(",\"qclass\":")
            w.string(q.qClass.description)
        } else {
            w.raw("null,\"qtype\":null,\"qclass\":null")
        }
        w.raw(",\"questions\":")
        w.int(m.questions.count)
        w.raw(",\"answers\":")
        Self.records(m.answers, &w)
        w.raw(",\"authority\":")
        Self.records(m.authority, &w)
        w.raw(",\"additional\":")
        Self.records(m.additional, &w)
        w.raw(",\"edns\":")
        if let e = edns {
            w.raw("{\"udpSize\":")
            w.int(Int(e.udpPayloadSize))
            w.raw(",\"version\":")
            w.int(Int(e.version))
            w.raw(",\"do\":")
            w.bool(e.dnssecOK)
            w.raw(",\"options\":[")
            for (i, o) in e.options.enumerated() {
                if i > 0 { w.raw(",") }
                w.int(Int(o.code))
            }
            w.raw("]}")
        } else {
            w.raw("null")
        }
        w.raw(",\"size\":")
        w.int(size)
        w.raw(",\"queryFrame\":")
        w.optionalInt(queryFrame)
        w.raw(",\"latencyMs\":")
        if let l = latencyNanoseconds { w.raw(JSONWriter.milliseconds(l)) } else { w.raw("null") }
        w.raw(",\"retransmission\":")
        w.bool(isRetransmission)
    }

    private static func records(_ records: [ResourceRecord], _ w: inout JSONWriter) {
        w.raw("[")
        var first = true
        for r in records where r.type != .opt {
            if !first { w.raw(",") }
            first = false
            w.raw("{\"name\":")
            w.name(r.name)
            w.raw(",\"type\":")
            w.string(r.type.description)
            w.raw(",\"class\":")
            if r.rrClass == .in { w.raw("\"IN\"") } else { w.string(r.rrClass.description) }
            w.raw(",\"ttl\":")
            w.int(Int(r.ttl))
            w.raw(",\"data\":")
            w.rdata(r.data)
            w.raw("}")
        }
        w.raw("]")
    }
}

/// A minimal JSON writer into bytes.
/// Writes events as JSON Lines into one growing buffer, for output of millions of lines without
/// per-line allocations.
public final class JSONLinesWriter {
    let sink = ByteSink()

    public init() {}

    /// Appends one event as a JSON object and a newline.
    public func write(_ event: Event) { event.writeJSONLine(to: sink) }

    /// Octets written since the last ``removeAll()``.
    public var byteCount: Int { sink.count }

    /// The octets written so far.
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try sink.withUnsafeBytes(body)
    }

    /// Forgets the octets written, keeping the memory.
    public func removeAll() { sink.count = 0 }
}

/// A growable octet buffer with unchecked appends after one capacity check.
final class ByteSink {
    private(set) var base: UnsafeMutablePointer<UInt8>
    var count = 0
    private var capacity: Int

    init(capacity: Int = 4096) {
        self.capacity = capacity
        base = .allocate(capacity: capacity)
    }

    deinit { base.deallocate() }

    @inline(__always)
    func reserve(_ n: Int) {
        if count + n > capacity { grow(count + n) }
    }

    private func grow(_ needed: Int) {
        var newCapacity = capacity * 2
        while newCapacity < needed { newCapacity *= 2 }
        let new = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        new.update(from: base, count: count)
        base.deallocate()
        base = new
        capacity = newCapacity
    }

    @inline(__always)
    func append(_ b: UInt8) {
        reserve(1)
        base[count] = b
        count += 1
    }

    /// Appends without a capacity check: only after ``reserve(_:)``.
    @inline(__always)
    func appendUnchecked(_ b: UInt8) {
        base[count] = b
        count += 1
    }

    /// Appends `value` in decimal.
    @inline(__always)
    func appendDecimal(_ value: UInt64) {
        var digits = 1
        var probe = value
        while probe >= 10 {
            probe /= 10
            digits += 1
        }
        reserve(digits)
        var v = value
        var i = count + digits - 1
        while i >= count {
            base[i] = UInt8(truncatingIfNeeded: v % 10) + 48
            v /= 10
            i -= 1
        }
        count += digits
    }

    /// Appends a short literal byte by byte (cheaper than memmove for a few octets).
    @inline(__always)
    func append(literal s: StaticString) {
        guard s.hasPointerRepresentation else {
            s.withUTF8Buffer { append(contentsOf: $0) }
            return
        }
        let n = s.utf8CodeUnitCount
        reserve(n)
        let source = s.utf8Start
        for i in 0..<n { base[count + i] = source[i] }
        count += n
    }

    @inline(__always)
    func append(contentsOf bytes: UnsafeBufferPointer<UInt8>) {
        guard let source = bytes.baseAddress, bytes.count > 0 else { return }
        reserve(bytes.count)
        (base + count).update(from: source, count: bytes.count)
        count += bytes.count
    }

    func append(contentsOf bytes: UnsafeMutableRawBufferPointer) {
        append(contentsOf: UnsafeRawBufferPointer(bytes).bindMemory(to: UInt8.self))
    }

    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(start: base, count: count))
    }
}

struct JSONWriter {
    let out: ByteSink

    @inline(__always)
    mutating func raw(_ s: StaticString) {
        out.append(literal: s)
    }

    mutating func raw(_ s: String) {
        var s = s
        s.withUTF8 { out.append(contentsOf: $0) }
    }

    /// `address:port` (IPv6 as `[address]:port`) as a JSON string.
    mutating func endpoint(_ e: Endpoint) {
        out.append(UInt8(ascii: "\""))
        switch e.address {
        case .v4(let a): ipv4(a)
        case .v6(let a):
            out.append(UInt8(ascii: "["))
            raw(a.description)
            out.append(UInt8(ascii: "]"))
        }
        out.append(UInt8(ascii: ":"))
        int(Int(e.port))
        out.append(UInt8(ascii: "\""))
    }

    mutating func ipv4(_ a: IPv4Address) {
        let v = a.value
        int(Int(v >> 24))
        out.append(UInt8(ascii: "."))
        int(Int(v >> 16 & 0xff))
        out.append(UInt8(ascii: "."))
        int(Int(v >> 8 & 0xff))
        out.append(UInt8(ascii: "."))
        int(Int(v & 0xff))
    }

    /// A domain name in presentation form (as `DNSName.description` writes it) as a JSON string,
    /// straight from the wire octets.
    mutating func name(_ name: DNSName) {
        out.append(UInt8(ascii: "\""))
        nameBody(name)
        out.append(UInt8(ascii: "\""))
    }

    /// The presentation form of `name`, JSON-escaped, without quotes.
    mutating func nameBody(_ name: DNSName) {
        let wire = name.wire
        out.reserve(wire.count * 5 + 1)  // worst case: every octet as \\DDD
        if wire.count <= 1 {
            out.appendUnchecked(UInt8(ascii: "."))
        } else {
            var i = 0
            while i < wire.count {
                let length = Int(wire[i])
                if length == 0 { break }
                var j = i + 1
                let end = min(i + 1 + length, wire.count)
                while j < end {
                    let b = wire[j]
                    switch b {
                    case UInt8(ascii: "."), UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: ";"), UInt8(ascii: "$"), UInt8(ascii: "@"):
                        out.appendUnchecked(UInt8(ascii: "\\"))  // JSON-escaped presentation backslash
                        out.appendUnchecked(UInt8(ascii: "\\"))
                        out.appendUnchecked(b)
                    case UInt8(ascii: "\\"), UInt8(ascii: "\""):
                        out.appendUnchecked(UInt8(ascii: "\\"))
                        out.appendUnchecked(UInt8(ascii: "\\"))
                        out.appendUnchecked(UInt8(ascii: "\\"))
                        out.appendUnchecked(b)
                    case 0x21...0x7e:
                        out.appendUnchecked(b)
                    default:
                        out.appendUnchecked(UInt8(ascii: "\\"))
                        out.appendUnchecked(UInt8(ascii: "\\"))
                        out.appendUnchecked(48 + b / 100)
                        out.appendUnchecked(48 + b / 10 % 10)
                        out.appendUnchecked(48 + b % 10)
                    }
                    j += 1
                }
                out.appendUnchecked(UInt8(ascii: "."))
                i = end
            }
        }
    }

    /// RDATA in presentation form as a JSON string; the common types without building a String.
    mutating func rdata(_ data: RecordData) {
        switch data {
        case .a(let a):
            out.append(UInt8(ascii: "\""))
            ipv4(a)
            out.append(UInt8(ascii: "\""))
        case .ns(let n), .cname(let n), .ptr(let n):
            name(n)
        case .soa(let soa):
            out.append(UInt8(ascii: "\""))
            nameBody(soa.mname)
            out.append(UInt8(ascii: " "))
            nameBody(soa.rname)
            for value in [soa.serial, soa.refresh, soa.retry, soa.expire, soa.minimum] {
                out.append(UInt8(ascii: " "))
                int(Int(value))
            }
            out.append(UInt8(ascii: "\""))
        case .srv(let srv):
            out.append(UInt8(ascii: "\""))
            int(Int(srv.priority))
            out.append(UInt8(ascii: " "))
            int(Int(srv.weight))
            out.append(UInt8(ascii: " "))
            int(Int(srv.port))
            out.append(UInt8(ascii: " "))
            nameBody(srv.target)
            out.append(UInt8(ascii: "\""))
        case .mx(let preference, let exchange):
            out.append(UInt8(ascii: "\""))
            int(Int(preference))
            out.append(UInt8(ascii: " "))
            nameBody(exchange)
            out.append(UInt8(ascii: "\""))
        default:
            string(data.presentation)
        }
    }

    mutating func bool(_ b: Bool) {
        raw(b ? "true" : "false")
    }

    mutating func int(_ value: Int) {
        if value < 0 { out.append(UInt8(ascii: "-")) }
        out.appendDecimal(UInt64(value.magnitude))
    }

    mutating func optionalInt(_ value: Int?) {
        if let value { int(value) } else { raw("null") }
    }

    mutating func optionalString(_ value: String?) {
        if let value { string(value) } else { raw("null") }
    }

    mutating func time(_ ns: Int64) {
        guard ns >= 0 else {
            string(Self.timeString(ns))
            return
        }
        out.append(UInt8(ascii: "\""))
        int(Int(ns / 1_000_000_000))
        out.append(UInt8(ascii: "."))
        var fraction = Int(ns % 1_000_000_000)
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (48, 48, 48, 48, 48, 48, 48, 48, 48)
        withUnsafeMutableBytes(of: &digits) { buffer in
            var i = 8
            while fraction > 0 {
                buffer[i] = UInt8(fraction % 10) + 48
                fraction /= 10
                i -= 1
            }
            out.append(contentsOf: buffer)
        }
        out.append(UInt8(ascii: "\""))
    }

    /// `seconds.nnnnnnnnn` since the epoch.
    static func timeString(_ ns: Int64) -> String {
        let negative = ns < 0
        let m = ns.magnitude
        var fraction = String(m % 1_000_000_000)
        fraction = String(repeating: "0", count: 9 - fraction.count) + fraction
        return (negative ? "-" : "") + "\(m / 1_000_000_000).\(fraction)"
    }

    /// Nanoseconds as milliseconds with 3 decimals.
    static func milliseconds(_ ns: Int64) -> String {
        let negative = ns < 0
        let us = (ns.magnitude + 500) / 1000
        var fraction = String(us % 1000)
        fraction = String(repeating: "0", count: 3 - fraction.count) + fraction
        return (negative ? "-" : "") + "\(us / 1000).\(fraction)"
    }

    mutating func string(_ s: String) {
        out.append(UInt8(ascii: "\""))
        var s = s
        let plain = s.withUTF8 { bytes -> Bool in
            for b in bytes where b < 0x20 || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") { return false }
            out.append(contentsOf: bytes)
            return true
        }
        if plain {
            out.append(UInt8(ascii: "\""))
            return
        }
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\""): raw("\\\"")
            case UInt8(ascii: "\\"): raw("\\\\")
            case 0x0a: raw("\\n")
            case 0x0d: raw("\\r")
            case 0x09: raw("\\t")
            case 0..<0x20:
                let hex: [UInt8] = Array("0123456789abcdef".utf8)
                raw("\\u00")
                out.append(hex[Int(b >> 4)])
                out.append(hex[Int(b & 0xf)])
            default: out.append(b)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
