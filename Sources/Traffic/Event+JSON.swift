import DNSWire

/// Renders events as JSON Lines (schema in docs/events.md) straight into a byte buffer: keys
/// always in the same order, absent values written as `null`.
extension Event {
    /// Appends this event as one JSON object and a newline.
    public func writeJSONLine(into out: inout [UInt8]) {
        let sink = ByteSink()
        writeJSONLine(to: sink)
        sink.withUnsafeBytes { out.append(contentsOf: $0) }
    }

    func writeJSONLine(to sink: ByteSink) {
        var w = LineWriter(out: sink)
        switch kind {
        case .dns: w.raw("{\"kind\":\"dns\",\"frame\":")
        case .http: w.raw("{\"kind\":\"http\",\"frame\":")
        }
        let frameStart = w.offset
        w.int(frame)
        let frameLength = w.offset - frameStart
        w.raw(",\"frames\":[")
        switch frameList {
        case .one(let f) where f == frame:
            w.repeatOctets(from: frameStart, count: frameLength)
        case .one(let f):
            w.int(f)
        case .many(let list):
            for (i, f) in list.enumerated() {
                if i > 0 { w.raw(",") }
                w.int(f)
            }
        }
        w.raw("],\"time\":")
        w.time(timeNanoseconds)
        switch kind {
        case .dns(let dns):
            w.raw(",\"src\":")
            w.endpoint(source)
            w.raw(",\"dst\":")
            w.endpoint(destination)
            switch transport {
            case .udp: w.raw(",\"transport\":\"udp\",\"vantage\":")
            case .tcp: w.raw(",\"transport\":\"tcp\",\"vantage\":")
            }
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
        w.commit()
    }

    /// This event as one JSON object (no newline).
    public var jsonLine: String {
        let sink = ByteSink()
        writeJSONLine(to: sink)
        return sink.withUnsafeBytes { String(decoding: $0.dropLast(), as: UTF8.self) }
    }
}

extension HTTPExchange {
    fileprivate func writeJSONFields(_ w: inout LineWriter) {
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
        if let r = response { w.bool(r.chunked) } else { w.raw("null") }
        w.raw(",\"responseBodyLength\":")
        w.optionalInt(response?.bodyLength)
        w.raw(",\"bodyPreview\":")
        if let r = response { w.text(r.bodyPreview) } else { w.raw("null") }
        w.raw(",\"latencyMs\":")
        if let l = latencyNanoseconds { w.milliseconds(l) } else { w.raw("null") }
    }
}

extension DNSEvent {
    /// The DNS fields, read in place from the checked wire octets (no ``DNSMessage`` is built).
    fileprivate func writeJSONFields(_ w: inout LineWriter) {
        let m = wire
        let h = m.header
        w.raw(",\"id\":")
        w.int(Int(h.id))
        if h.isResponse { w.raw(",\"qr\":true") } else { w.raw(",\"qr\":false") }
        let opt = m.optRecord
        w.raw(",\"opcode\":")
        w.opcode(h.opcode)
        w.raw(",\"rcode\":")
        w.rcode(m.rcode(opt: opt))
        // The six flags as two literals of three each.
        switch (h.authoritative, h.truncated, h.recursionDesired) {
        case (false, false, false): w.raw(",\"flags\":{\"aa\":false,\"tc\":false,\"rd\":false")
        case (false, false, true): w.raw(",\"flags\":{\"aa\":false,\"tc\":false,\"rd\":true")
        case (false, true, false): w.raw(",\"flags\":{\"aa\":false,\"tc\":true,\"rd\":false")
        case (false, true, true): w.raw(",\"flags\":{\"aa\":false,\"tc\":true,\"rd\":true")
        case (true, false, false): w.raw(",\"flags\":{\"aa\":true,\"tc\":false,\"rd\":false")
        case (true, false, true): w.raw(",\"flags\":{\"aa\":true,\"tc\":false,\"rd\":true")
        case (true, true, false): w.raw(",\"flags\":{\"aa\":true,\"tc\":true,\"rd\":false")
        case (true, true, true): w.raw(",\"flags\":{\"aa\":true,\"tc\":true,\"rd\":true")
        }
        switch (h.recursionAvailable, h.authenticData, h.checkingDisabled) {
        case (false, false, false): w.raw(",\"ra\":false,\"ad\":false,\"cd\":false},\"qname\":")
        case (false, false, true): w.raw(",\"ra\":false,\"ad\":false,\"cd\":true},\"qname\":")
        case (false, true, false): w.raw(",\"ra\":false,\"ad\":true,\"cd\":false},\"qname\":")
        case (false, true, true): w.raw(",\"ra\":false,\"ad\":true,\"cd\":true},\"qname\":")
        case (true, false, false): w.raw(",\"ra\":true,\"ad\":false,\"cd\":false},\"qname\":")
        case (true, false, true): w.raw(",\"ra\":true,\"ad\":false,\"cd\":true},\"qname\":")
        case (true, true, false): w.raw(",\"ra\":true,\"ad\":true,\"cd\":false},\"qname\":")
        case (true, true, true): w.raw(",\"ra\":true,\"ad\":true,\"cd\":true},\"qname\":")
        }
        if let q = m.firstQuestion {
            w.name(m, at: q.nameOffset)
            w.raw(",\"qtype\":")
            w.dnsType(q.type)
            w.raw(",\"qclass\":")
            w.dnsClass(q.qClass)
        } else {
            w.raw("null,\"qtype\":null,\"qclass\":null")
        }
        w.raw(",\"questions\":")
        w.int(m.questionCount)
        w.raw(",\"answers\":")
        Self.records(m, .answer, &w)
        w.raw(",\"authority\":")
        Self.records(m, .authority, &w)
        w.raw(",\"additional\":")
        Self.records(m, .additional, &w)
        w.raw(",\"edns\":")
        if let opt {
            w.raw("{\"udpSize\":")
            w.int(Int(opt.rrClass.rawValue))
            w.raw(",\"version\":")
            w.int(Int(opt.ttl >> 16 & 0xff))
            w.raw(",\"do\":")
            w.bool(opt.ttl & 0x8000 != 0)
            w.raw(",\"options\":[")
            var offset = opt.rdataOffset
            let end = opt.rdataOffset + opt.rdataLength
            while offset + 4 <= end {
                if offset > opt.rdataOffset { w.raw(",") }
                w.int(Int(m.u16(at: offset)))
                offset += 4 + Int(m.u16(at: offset + 2))
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
        if let l = latencyNanoseconds { w.milliseconds(l) } else { w.raw("null") }
        w.raw(",\"retransmission\":")
        w.bool(isRetransmission)
    }

    private static func records(_ m: DNSWireMessage, _ section: DNSWireMessage.Section, _ w: inout LineWriter) {
        w.raw("[")
        var first = true
        var cursor = m.records(in: section)
        while let r = cursor.next(in: m) {
            guard r.type != .opt else { continue }
            if !first { w.raw(",") }
            first = false
            w.raw("{\"name\":")
            w.name(m, at: r.nameOffset)
            w.raw(",\"type\":")
            w.dnsType(r.type)
            w.raw(",\"class\":")
            w.dnsClass(r.rrClass)
            w.raw(",\"ttl\":")
            w.int(Int(r.ttl))
            w.raw(",\"data\":")
            w.rdata(m, r)
            w.raw("}")
        }
        w.raw("]")
    }
}

/// Writes events as lines, JSON Lines or the text `kubetape inspect` prints, into one growing
/// buffer, for output of millions of lines without per-line allocations.
public final class EventLinesWriter {
    /// How each event is written.
    public enum Format: Sendable {
        /// One JSON object per line (``Event/jsonLine``, schema in docs/events.md).
        case json
        /// One human-readable line (``Event/textLine``).
        case text
    }

    public let format: Format
    let sink = ByteSink()

    public init(format: Format) { self.format = format }

    /// Appends one event as a line, with its newline.
    public func write(_ event: Event) {
        switch format {
        case .json: event.writeJSONLine(to: sink)
        case .text: event.writeTextLine(to: sink)
        }
    }

    /// Octets written since the last ``removeAll()``.
    public var byteCount: Int { sink.count }

    /// The octets written so far.
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try sink.withUnsafeBytes(body)
    }

    /// Forgets the octets written, keeping the memory.
    public func removeAll() { sink.count = 0 }
}
