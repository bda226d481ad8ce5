import DNSWire
import PacketCapture
import Testing
import Traffic

/// The text lines `kubetape inspect` prints are written straight from the wire octets; they must
/// say exactly what a plain rendering of the decoded message says (``TextLineTests/reference(_:)``),
/// on every fixture capture, on mutated packets and on every type, RCODE, opcode, flag and
/// name octet.
@Suite struct TextLineTests {
    /// The text line built with strings from the decoded `DNSMessage`: the definition the fast
    /// writer is held to.
    static func reference(_ event: Event) -> String {
        var line = "\(event.frame)\t\(time(event.timeNanoseconds))\t"
        switch event.kind {
        case .dns(let dns):
            let m = dns.message
            line += "dns/\(event.transport.rawValue) \(event.source) → \(event.destination) "
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
                    line += " (query frame \(q), \(milliseconds(latency)) ms)"
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
            if let latency = h.latencyNanoseconds { notes.append("\(milliseconds(latency)) ms") }
            if !notes.isEmpty { line += " (\(notes.joined(separator: ", ")))" }
        }
        return line
    }

    static func time(_ ns: Int64) -> String {
        let fraction = String(ns.magnitude % 1_000_000_000)
        return (ns < 0 ? "-" : "") + "\(ns.magnitude / 1_000_000_000)." + String(repeating: "0", count: 9 - fraction.count) + fraction
    }

    static func milliseconds(_ ns: Int64) -> String {
        let us = (ns.magnitude + 500) / 1000
        let fraction = String(us % 1000)
        return (ns < 0 ? "-" : "") + "\(us / 1000)." + String(repeating: "0", count: 3 - fraction.count) + fraction
    }

    /// Events through ``EventLinesWriter`` in text form, one after another (so that the seconds
    /// digits reused from the line before are exercised), against the reference.
    static func mismatches(_ events: [Event], limit: Int = 5) -> [String] {
        let writer = EventLinesWriter(format: .text)
        for event in events { writer.write(event) }
        let written = writer.withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
        let expected = events.map { reference($0) + "\n" }.joined()
        guard written != expected else { return [] }
        let lines = written.split(separator: "\n", omittingEmptySubsequences: false)
        var found: [String] = []
        for (index, event) in events.enumerated() where found.count < limit {
            let line = index < lines.count ? String(lines[index]) : "<missing>"
            let want = reference(event)
            if line != want { found.append("written:  \(line)\nexpected: \(want)") }
        }
        if found.isEmpty { found.append("same lines, different octets: \(written.utf8.count) vs \(expected.utf8.count)") }
        return found
    }

    @Test(arguments: Fixtures.captures)
    func everyFixtureEventReadsLikeTheReference(capture: String) throws {
        let events = decode(try Fixtures.packets(capture)).events
        #expect(Self.mismatches(events).isEmpty, "\(capture): \(Self.mismatches(events))")
        for event in events.prefix(50) { #expect(event.textLine == Self.reference(event)) }
    }

    /// The DNS messages of the fixture captures with seeded mutations (bit flips, octets
    /// overwritten): every mutant the check accepts reads the same. Mutated types, counts and
    /// lengths reach record kinds and sections the captures do not have.
    @Test func mutatedMessagesReadLikeTheReference() throws {
        var messages: [[UInt8]] = []
        for capture in Fixtures.captures {
            for event in decode(try Fixtures.packets(capture)).events {
                if case .dns(let dns) = event.kind { messages.append(dns.wire.octets) }
            }
        }
        try #require(messages.count > 100)
        var rng = SeededGenerator(seed: 20_261_206)
        var events: [Event] = []
        var attempts = 0
        while events.count < 20_000, attempts < 400_000 {
            attempts += 1
            var octets = messages[Int(rng.next() % UInt64(messages.count))]
            for _ in 0..<(1 + Int(rng.next() % 3)) {
                let index = Int(rng.next() % UInt64(octets.count))
                if rng.next() % 2 == 0 {
                    octets[index] ^= UInt8(1 << (rng.next() % 8))
                } else {
                    octets[index] = UInt8(truncatingIfNeeded: rng.next())
                }
            }
            guard let wire = try? DNSWireMessage(validating: octets) else { continue }
            let dns = DNSEvent(
                wire: wire, queryFrame: attempts % 2 == 0 ? attempts / 2 : nil, latencyNanoseconds: attempts % 2 == 0 ? Int64(attempts) * 1013 : nil)
            events.append(
                Event(
                    timeNanoseconds: 1_700_000_000_000_000_000 + Int64(attempts) * 7_777_777, frame: attempts, frames: [attempts], source: FastPathTests.client,
                    destination: FastPathTests.server, transport: attempts % 3 == 0 ? .tcp : .udp, kind: .dns(dns)))
        }
        #expect(events.count == 20_000, "\(events.count) valid mutants in \(attempts) attempts")
        #expect(Self.mismatches(events).isEmpty, "\(Self.mismatches(events))")
    }

    /// Every type and class, every RCODE (the high bits through OPT), every opcode, in queries
    /// and responses.
    @Test func everyTypeRCodeAndOpcodeReadsLikeTheReference() {
        var events: [Event] = []
        for raw in 0...Int(UInt16.max) {
            var m = FastPathTests.query(type: DNSType(UInt16(raw)))
            m.questions[0].qClass = DNSClass(UInt16(raw))
            m.header.isResponse = raw % 2 == 1
            if raw < 4096 { m.rcode = DNSRCode(UInt16(raw)) }
            if raw < 16 { m.header.opcode = DNSOpcode(UInt8(raw)) }
            events.append(FastPathTests.event(m, latency: raw % 3 == 0 ? Int64(raw) * 997 : nil))
        }
        #expect(Self.mismatches(events).isEmpty, "\(Self.mismatches(events))")
    }

    /// All 16 combinations of the four flags the line shows, and a retransmitted query.
    @Test func everyFlagCombinationReadsLikeTheReference() throws {
        var events: [Event] = []
        for bits in 0..<64 {
            var m = FastPathTests.query()
            m.header.authoritative = bits & 1 != 0
            m.header.truncated = bits & 2 != 0
            m.header.recursionDesired = bits & 4 != 0
            m.header.recursionAvailable = bits & 8 != 0
            m.header.isResponse = bits & 16 != 0
            var event = FastPathTests.event(m)
            if bits & 32 != 0, case .dns(var dns) = event.kind {
                dns.isRetransmission = true
                event.kind = .dns(dns)
            }
            events.append(event)
        }
        #expect(Self.mismatches(events).isEmpty, "\(Self.mismatches(events))")
        #expect(events[4].textLine.hasSuffix("query id=7 [rd] quote.kiada.svc.cluster.local. A"), "\(events[4].textLine)")
    }

    /// Every octet value in a label of the question and of answer data, as `DNSName.description`.
    @Test func everyNameOctetIsEscapedLikeDNSNameDescription() throws {
        var events: [Event] = []
        for octet in 0...255 {
            let name = try DNSName(labels: [[UInt8(octet)], Array("ab".utf8) + [UInt8(octet)] + Array("cd".utf8), Array("plain-label".utf8)])
            var m = DNSMessage.query(id: 1, name: name, type: .srv)
            m.header.isResponse = true
            m.answers = [
                ResourceRecord(name: name, ttl: 5, data: .srv(SRV(priority: 0, weight: 1, port: 80, target: name))),
                ResourceRecord(name: name, ttl: 5, data: .cname(name)),
                ResourceRecord(name: name, ttl: 5, data: .mx(preference: 10, exchange: name)),
            ]
            events.append(FastPathTests.event(m))
            #expect(events.last!.textLine.contains(" \(name.description) SRV → SRV 0 1 80 \(name.description), CNAME \(name.description), MX 10 "))
        }
        #expect(Self.mismatches(events).isEmpty, "\(Self.mismatches(events))")
    }

    /// HTTP body previews: every octet that is not printable ASCII at the start, middle and
    /// end, trailing white space, lengths around the 80-character cut, non-ASCII and invalid
    /// UTF-8; requests and responses missing, with and without host and latency.
    @Test func httpPreviewsAndNotesReadLikeTheReference() {
        var bodies: [[UInt8]] = [[], Array("   ".utf8), Array("\r\n".utf8), Array("é".utf8), [0xff, 0x41], Array("ok \u{7f}".utf8)]
        for octet in [0, 9, 10, 13, 0x1f, 0x20, 0x7f] as [UInt8] {
            bodies.append([octet] + Array("body".utf8))
            bodies.append(Array("bo".utf8) + [octet] + Array("dy".utf8))
            bodies.append(Array("body".utf8) + [octet])
        }
        for length in [78, 79, 80, 81, 82, 200] {
            bodies.append((0..<length).map { UInt8(ascii: "a") + UInt8($0 % 26) })
            bodies.append((0..<length).map { $0 == 79 ? 0x20 : UInt8(ascii: "b") })
            bodies.append((0..<length).flatMap { $0 % 7 == 0 ? Array("é".utf8) : [UInt8(ascii: "c")] })
        }
        var events: [Event] = []
        for (index, body) in bodies.enumerated() {
            let request = HTTPExchange.Request(
                method: "GET", uri: "/q?n=\(index)", version: "HTTP/1.1", host: index % 3 == 0 ? nil : "quote", bodyPreview: [], bodyLength: 0, frame: 1,
                timeNanoseconds: 0)
            let response = HTTPExchange.Response(
                status: 200, reason: "OK", version: "HTTP/1.1", contentType: nil, chunked: false, bodyPreview: body, bodyLength: body.count, frame: 2,
                timeNanoseconds: index % 2 == 0 ? 1_500_000 : 0)
            for (r, s) in [(request, response), (nil, response), (request, nil)] as [(HTTPExchange.Request?, HTTPExchange.Response?)] {
                let exchange = HTTPExchange(client: FastPathTests.client, server: FastPathTests.server, request: r, response: s)
                events.append(
                    Event(
                        timeNanoseconds: 1, frame: 2, frames: [1, 2], source: FastPathTests.client, destination: FastPathTests.server, transport: .tcp,
                        kind: .http(exchange)))
            }
        }
        #expect(Self.mismatches(events).isEmpty, "\(Self.mismatches(events))")
    }

    /// Records of every kind the line reads in place (and some it decodes), with authority and
    /// additional records and EDNS, over IPv4 and IPv6, at negative and extreme times.
    @Test func recordsSectionsAndTimesReadLikeTheReference() throws {
        let name = try DNSName("quote.kiada.svc.cluster.local")
        let target = try DNSName("quote-002.quote.kiada.svc.cluster.local")
        var m = DNSMessage.query(id: 4242, name: name, type: .any, edns: EDNS(udpPayloadSize: 1232))
        m.header.isResponse = true
        m.answers = [
            ResourceRecord(name: name, ttl: 5, data: .a(IPv4Address(0x0af4_0208))),
            ResourceRecord(name: name, ttl: 5, data: .aaaa(try #require(IPv6Address("fd00::a0a:8")))),
            ResourceRecord(name: name, ttl: 5, data: .ptr(target)),
            ResourceRecord(name: name, ttl: 5, data: .ns(target)),
            ResourceRecord(name: name, ttl: 5, data: .txt([Array("k8s \"quoted\" text".utf8), [0, 0xff]])),
            ResourceRecord(name: name, ttl: 5, data: .unknown(type: DNSType(65280), rdata: [1, 2, 3])),
        ]
        m.authority = [
            ResourceRecord(
                name: try DNSName("cluster.local"), ttl: 30,
                data: .soa(
                    SOA(
                        mname: try DNSName("ns.dns.cluster.local"), rname: try DNSName("hostmaster.cluster.local"), serial: 1_700_000_000, refresh: 7200,
                        retry: 1800, expire: 86400, minimum: 30)))
        ]
        m.additional += [ResourceRecord(name: target, ttl: 5, data: .a(IPv4Address(0x0af4_0208)))]
        m.rcode = DNSRCode(16)  // BADVERS: the high bits live in OPT
        var events: [Event] = []
        let v6 = Endpoint(address: .v6(try #require(IPv6Address("fd00::10"))), port: 53)
        for time in [0, 1, -1, -1_500_000_000, 999_999_999, Int64.max, Int64.min] as [Int64] {
            var event = FastPathTests.event(m, source: v6, latency: time == 0 ? -2_500_000 : 1_234_567)
            event.timeNanoseconds = time
            events.append(event)
        }
        #expect(Self.mismatches(events).isEmpty, "\(Self.mismatches(events))")
        let line = events[0].textLine
        #expect(line.contains("BADVERS"), "\(line)")
        #expect(line.contains(" +1 authority +1 additional (query frame 1, -2.500 ms)"), "\(line)")
    }
}
