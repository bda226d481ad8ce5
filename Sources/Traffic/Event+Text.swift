import DNSWire

/// Renders events as the one-line text `kubetape inspect` prints, straight into a byte buffer
/// from the wire octets, as the JSON lines are:
///
///     12\t1700000000.000150000\tdns/udp 10.96.0.10:53 → 10.244.3.4:40000 response id=7 NOERROR [aa rd ra] quote.kiada.svc.cluster.local A → A 10.244.2.8 (query frame 11, 0.150 ms)
///     14\t1700000000.001000000\thttp client 10.244.3.4:51234 → 10.244.2.8:80 GET / → 200 'This is the quote service' (host quote, request frame 13, 1.000 ms)
extension Event {
    /// One human-readable line, as `kubetape inspect` prints it (no newline).
    public var textLine: String {
        let sink = ByteSink()
        writeTextLine(to: sink)
        return sink.withUnsafeBytes { String(decoding: $0.dropLast(), as: UTF8.self) }
    }

    /// Appends ``textLine`` and a newline.
    func writeTextLine(to sink: ByteSink) {
        var w = LineWriter(out: sink)
        w.int(frame)
        w.append(UInt8(ascii: "\t"))
        w.timeText(timeNanoseconds)
        switch kind {
        case .dns(let dns):
            switch transport {
            case .udp: w.raw("\tdns/udp ")
            case .tcp: w.raw("\tdns/tcp ")
            }
            w.endpointText(source)
            w.raw(" → ")
            w.endpointText(destination)
            dns.writeTextFields(&w)
        case .http(let http):
            w.raw("\thttp client ")
            w.endpointText(http.client)
            w.raw(" → ")
            w.endpointText(http.server)
            http.writeTextFields(&w)
        }
        w.append(10)
        w.commit()
    }
}

extension DNSEvent {
    /// The DNS part of a text line, read in place from the checked wire octets.
    fileprivate func writeTextFields(_ w: inout LineWriter) {
        let m = wire
        let h = m.header
        if h.isResponse { w.raw(" response id=") } else { w.raw(" query id=") }
        w.int(Int(h.id))
        if h.opcode != .query {
            w.raw(" opcode=")
            w.opcodeText(h.opcode)
        }
        // the OPT record only matters to a response (its RCODE and its count of additional records)
        let opt = h.isResponse ? m.optRecord : nil
        if h.isResponse {
            w.append(UInt8(ascii: " "))
            w.rcodeText(m.rcode(opt: opt))
        }
        // " [aa tc rd ra]" with the flags that are set
        var opened = false
        if h.authoritative {
            w.raw(" [aa")
            opened = true
        }
        if h.truncated {
            w.raw(opened ? " tc" : " [tc")
            opened = true
        }
        if h.recursionDesired {
            w.raw(opened ? " rd" : " [rd")
            opened = true
        }
        if h.recursionAvailable {
            w.raw(opened ? " ra" : " [ra")
            opened = true
        }
        if opened { w.append(UInt8(ascii: "]")) }
        if let q = m.firstQuestion {
            w.append(UInt8(ascii: " "))
            w.nameBody(m, at: q.nameOffset, json: false)
            w.append(UInt8(ascii: " "))
            w.typeText(q.type)
        }
        guard h.isResponse else {
            if isRetransmission { w.raw(" (retransmission)") }
            return
        }
        if m.answerCount > 0 {
            w.raw(" → ")
            var cursor = m.records(in: .answer)
            var first = true
            while let r = cursor.next(in: m) {
                if !first { w.raw(", ") }
                first = false
                w.typeText(r.type)
                w.append(UInt8(ascii: " "))
                w.rdataText(m, r)
            }
        }
        if m.authorityCount > 0 {
            w.raw(" +")
            w.int(m.authorityCount)
            w.raw(" authority")
        }
        let additional = m.additionalCount - (opt == nil ? 0 : 1)
        if additional > 0 {
            w.raw(" +")
            w.int(additional)
            w.raw(" additional")
        }
        if let q = queryFrame, let latency = latencyNanoseconds {
            w.raw(" (query frame ")
            w.int(q)
            w.raw(", ")
            w.milliseconds(latency)
            w.raw(" ms)")
        } else {
            w.raw(" (query not seen)")
        }
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

    /// The HTTP part of a text line: request line, status and body preview, then notes.
    fileprivate func writeTextFields(_ w: inout LineWriter) {
        if let r = request {
            w.append(UInt8(ascii: " "))
            w.rawText(r.method)
            w.append(UInt8(ascii: " "))
            w.rawText(r.uri)
        } else {
            w.raw(" (request not seen)")
        }
        if let r = response {
            w.raw(" → ")
            w.int(r.status)
            w.preview(r.bodyPreview, limit: 80)
        } else {
            w.raw(" → (no response)")
        }
        // " (host H, request frame F, L ms)" with the notes that apply
        var noted = request?.host != nil
        if let host = request?.host {
            w.raw(" (host ")
            w.rawText(host)
        }
        if let frame = request?.frame {
            w.raw(noted ? ", request frame " : " (request frame ")
            w.int(frame)
            noted = true
        }
        if let latency = latencyNanoseconds {
            w.raw(noted ? ", " : " (")
            w.milliseconds(latency)
            w.raw(" ms")
            noted = true
        }
        if noted { w.append(UInt8(ascii: ")")) }
    }
}
