import DNSWire
import Foundation
import PacketCapture
import Testing
import Traffic

/// The hand-written fast paths (JSON tokens, IPv6 and number formatting, name escaping, the
/// pending-query list, the shared HTTP decoder host) must say exactly what the plain versions say.
@Suite struct FastPathTests {
    static let client = Endpoint(address: .v4(IPv4Address(0x0af4_0304)), port: 40000)
    static let server = Endpoint(address: .v4(IPv4Address(0x0a60_000a)), port: 53)

    /// An event for `message`; the test messages all encode (a failure is a broken test).
    static func event(_ message: DNSMessage, source: Endpoint = client, destination: Endpoint = server, frame: Int = 1, latency: Int64? = nil) -> Event {
        let dns: DNSEvent
        do {
            dns = try DNSEvent(message: message, queryFrame: latency == nil ? nil : 1, latencyNanoseconds: latency)
        } catch {
            preconditionFailure("test message does not encode: \(error)")
        }
        return Event(
            timeNanoseconds: 1_700_000_000_000_000_000, frame: frame, frames: [frame], source: source, destination: destination, transport: .udp,
            kind: .dns(dns))
    }

    static func query(type: DNSType = .a) -> DNSMessage { DNSMessage.query(id: 7, name: "quote.kiada.svc.cluster.local", type: type) }

    @Test func everyTypeClassRCodeAndOpcodeIsWrittenAsItsDescription() {
        var mismatches: [String] = []
        for raw in 0...Int(UInt16.max) {
            var m = Self.query(type: DNSType(UInt16(raw)))
            m.questions[0].qClass = DNSClass(UInt16(raw))
            if raw < 4096 { m.rcode = DNSRCode(UInt16(raw)) }
            if raw < 16 { m.header.opcode = DNSOpcode(UInt8(raw)) }
            let line = Self.event(m).jsonLine
            let expected = [
                #""qtype":"\#(m.questions[0].type)""#, #""qclass":"\#(m.questions[0].qClass)""#, #""rcode":"\#(m.rcode)""#,
                #""opcode":"\#(m.header.opcode)""#,
            ]
            for text in expected where !line.contains(text) { mismatches.append("\(raw): \(text) not in \(line)") }
            if mismatches.count > 5 { break }
        }
        #expect(mismatches.isEmpty, "\(mismatches)")
    }

    /// A one-frame event keeps its frame inline; the list reads back as set, and JSON says the same.
    @Test func framesReadBackAsSet() {
        var event = Self.event(Self.query(), frame: 4)
        #expect(event.frames == [4])
        for frames in [[], [7], [1, 2, 3], [4]] as [[Int]] {
            event.frames = frames
            #expect(event.frames == frames)
            #expect(event.jsonLine.contains(#""frames":[\#(frames.map(String.init).joined(separator: ","))],"#), "\(event.jsonLine)")
        }
    }

    /// All 64 combinations of the six header flags.
    @Test func everyFlagCombinationIsWrittenAsItIs() throws {
        for bits in 0..<64 {
            var m = Self.query()
            m.header.authoritative = bits & 1 != 0
            m.header.truncated = bits & 2 != 0
            m.header.recursionDesired = bits & 4 != 0
            m.header.recursionAvailable = bits & 8 != 0
            m.header.authenticData = bits & 16 != 0
            m.header.checkingDisabled = bits & 32 != 0
            let line = Self.event(m).jsonLine
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
            let flags = try #require(object["flags"] as? [String: Bool], "\(line)")
            #expect(
                flags == [
                    "aa": m.header.authoritative, "tc": m.header.truncated, "rd": m.header.recursionDesired, "ra": m.header.recursionAvailable,
                    "ad": m.header.authenticData, "cd": m.header.checkingDisabled,
                ], "\(bits): \(line)")
            #expect(line.contains(#""flags":{"aa":"#) && line.contains(#"},"qname":"quote.kiada.svc.cluster.local.""#), "\(line)")
        }
    }

    static let ipv6Table: [String] = [
        "::", "::1", "1::", "::ffff:1.2.3.4", "::1.2.3.4", "::ffff:0:1", "fd00::a0a:0", "1:0:0:2:0:0:0:3", "2001:db8:0:0:1:0:0:1", "0:0:1:0:0:0:0:0",
        "1:2:3:4:5:6:7:8", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "1:0:2:0:3:0:4:0", "0:1:0:1:0:1:0:1", "::ffff:ffff:ffff", "0:0:0:0:0:1:0:0",
        "1:0:0:0:0:0:0:0", "::2:0:0:0", "fe80::1:2", "64:ff9b::a00:1",
    ]

    /// Addresses from the table, then seeded ones whose groups are zero half of the time (so
    /// that zero runs of every length and place occur), as endpoints and as AAAA data.
    @Test(arguments: [1, 2, 3] as [UInt64])
    func ipv6IsWrittenAsItsDescription(seed: UInt64) throws {
        var generator = SeededGenerator(seed: seed)
        var addresses = try Self.ipv6Table.map { try #require(IPv6Address($0), "\($0)") }
        for _ in 0..<5000 {
            var groups: [UInt64] = []
            for _ in 0..<8 {
                let r = generator.next()
                groups.append(r & 1 == 0 ? 0 : (r >> 8 & 3 == 0 ? r >> 16 & 0xf : r >> 16 & 0xffff))
            }
            addresses.append(IPv6Address(high: groups[0..<4].reduce(0) { $0 << 16 | $1 }, low: groups[4..<8].reduce(0) { $0 << 16 | $1 }))
        }
        var mismatches: [String] = []
        for address in addresses {
            var m = Self.query(type: .aaaa)
            m.header.isResponse = true
            m.answers = [ResourceRecord(name: m.questions[0].name, ttl: 5, data: .aaaa(address))]
            let source = Endpoint(address: .v6(address), port: 53)
            let line = Self.event(m, source: source, destination: source).jsonLine
            let expected = [#""src":"[\#(address)]:53""#, #""data":"\#(address)""#]
            for text in expected where !line.contains(text) { mismatches.append(text) }
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(3).map { $0.prefix(200) })")
    }

    /// Frame numbers, TTLs and latencies at every decimal length, and negative latencies.
    @Test func numbersAtEveryMagnitude() {
        var values: [Int] = [0, 1, 9, 10, 11, 99, 100, 101, 255, 256, 999, 1000]
        var power = 1000
        while power < Int.max / 10 {
            power *= 10
            values += [power - 1, power, power + 7]
        }
        values.append(Int.max)
        for value in values {
            let line = Self.event(Self.query(), frame: value).jsonLine
            #expect(line.contains(#""frame":\#(value),"frames":[\#(value)]"#), "\(line)")
        }
        for ttl: UInt32 in [0, 7, 10, 86400, UInt32.max] {
            var m = Self.query()
            m.header.isResponse = true
            m.answers = [ResourceRecord(name: m.questions[0].name, ttl: ttl, data: .a(IPv4Address(0x0a00_00ff)))]
            let line = Self.event(m).jsonLine
            #expect(line.contains(#""ttl":\#(ttl),"data":"10.0.0.255""#), "\(line)")
        }
        let latencies: [Int64] = [0, 1, 499, 500, 999, 1000, 1499, 1500, 999_499, 999_500, 12_345_678, 1_000_000_000_000, -1, -500, -501, -2_000_000]
        for latency in latencies {
            let us = (latency.magnitude + 500) / 1000
            let fraction = String(us % 1000)
            let expected = (latency < 0 ? "-" : "") + "\(us / 1000)." + String(repeating: "0", count: 3 - fraction.count) + fraction
            let line = Self.event(Self.query(), latency: latency).jsonLine
            #expect(line.contains(#""latencyMs":\#(expected),"#), "\(latency): \(line)")
        }
    }

    /// Every octet value in a label, alone and among plain octets, reads back as `DNSName.description`.
    @Test func everyNameOctetIsEscapedLikeDNSNameDescription() throws {
        for octet in 0...255 {
            let name = try DNSName(labels: [[UInt8(octet)], Array("ab".utf8) + [UInt8(octet)] + Array("cd".utf8), Array("plain-label".utf8)])
            let line = Self.event(DNSMessage.query(id: 1, name: name, type: .a)).jsonLine
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(octet): \(line)")
            #expect(object["qname"] as? String == name.description, "octet \(octet)")
        }
    }

    /// Plain labels of every length (the word-wise copy's short, overlapping and multi-word
    /// cases), in question, owner and RDATA names.
    @Test func plainLabelsOfEveryLengthAreCopiedWhole() throws {
        for length in 1...63 {
            let label = (0..<length).map { UInt8(ascii: "a") + UInt8($0 % 26) }
            let name = try DNSName(labels: [label, Array("kiada".utf8), label])
            var m = DNSMessage.query(id: 1, name: name, type: .cname)
            m.header.isResponse = true
            m.answers = [ResourceRecord(name: name, ttl: 5, data: .cname(try DNSName(labels: [label])))]
            let line = Self.event(m).jsonLine
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(length): \(line)")
            #expect(object["qname"] as? String == name.description, "length \(length)")
            let answer = try #require((object["answers"] as? [[String: Any]])?.first)
            #expect(answer["name"] as? String == name.description && answer["data"] as? String == "\(String(decoding: label, as: UTF8.self)).")
        }
    }

    /// Every IPv4 octet value, in every position of an endpoint and of A data.
    @Test func everyIPv4OctetIsWrittenInDecimal() {
        for value in 0...255 {
            let v = UInt32(value)
            let address = IPv4Address(v << 24 | (255 - v) << 16 | v << 8 | (v / 2))
            var m = Self.query()
            m.header.isResponse = true
            m.answers = [ResourceRecord(name: m.questions[0].name, ttl: 5, data: .a(address))]
            let line = Self.event(m, source: Endpoint(address: .v4(address), port: 53)).jsonLine
            let text = "\(value).\(255 - value).\(value).\(value / 2)"
            #expect(address.description == text)
            #expect(line.contains(#""src":"\#(text):53""#) && line.contains(#""data":"\#(text)""#), "\(line)")
        }
    }

    /// Lines written one after another reuse the seconds digits of the line before only when
    /// the second is the same.
    @Test func consecutiveTimesInTheSameAndOtherSeconds() {
        let writer = EventLinesWriter(format: .json)
        let times: [Int64] = [
            1_700_000_000_000_000_000, 1_700_000_000_999_999_999, 1_700_000_001_000_000_000, 1_700_000_000_000_000_001, 5, 999_999_999, 1_000_000_000,
            Int64.max,
        ]
        for time in times {
            var event = Self.event(Self.query())
            event.timeNanoseconds = time
            writer.write(event)
        }
        let lines = writer.withUnsafeBytes { String(decoding: $0, as: UTF8.self) }.split(separator: "\n")
        #expect(lines.count == times.count)
        for (line, time) in zip(lines, times) {
            let fraction = String(time % 1_000_000_000)
            let expected = "\(time / 1_000_000_000)." + String(repeating: "0", count: 9 - fraction.count) + fraction
            #expect(line.contains(#""time":"\#(expected)""#), "\(time): \(line)")
        }
    }

    /// Every octet that JSON must escape, at every position of a body preview and of a URI
    /// (the word-at-a-time scan's lanes and tail), plus non-ASCII and invalid UTF-8, reads back
    /// as the text it was.
    @Test func stringsEscapeEveryOctetAtEveryPosition() throws {
        let specials: [[UInt8]] = (0..<0x20).map { [UInt8($0)] } + [[0x22], [0x5c], [0x7f], Array("é".utf8), [0xff]]
        for special in specials {
            for position in 0...17 {
                var body = Array("abcdefghijklmnopq".utf8)
                body.insert(contentsOf: special, at: position)
                let uri = "/" + String(decoding: body, as: UTF8.self)
                let exchange = HTTPExchange(
                    client: Self.client, server: Self.server,
                    request: .init(method: "GET", uri: uri, version: "HTTP/1.1", host: nil, bodyPreview: [], bodyLength: 0, frame: 1, timeNanoseconds: 0),
                    response: .init(
                        status: 200, reason: "OK", version: "HTTP/1.1", contentType: nil, chunked: false, bodyPreview: body, bodyLength: body.count, frame: 2,
                        timeNanoseconds: 1))
                let event = Event(
                    timeNanoseconds: 1, frame: 2, frames: [1, 2], source: Self.client, destination: Self.server, transport: .tcp, kind: .http(exchange))
                let line = event.jsonLine
                let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(special) at \(position): \(line)")
                #expect(object["bodyPreview"] as? String == String(decoding: body, as: UTF8.self), "\(special) at \(position): \(line)")
                #expect(object["uri"] as? String == uri, "\(special) at \(position): \(line)")
            }
        }
    }

    /// At most 16 unanswered queries are remembered per question: a query followed by 16 more
    /// from another vantage point is forgotten, so its own response pairs with the latest query.
    @Test func theSeventeenthOldestQueryIsForgotten() throws {
        let q = Build.query("quote.kiada.svc.cluster.local", id: 9)
        var packets = [Build.udpDNS(1, "10.244.3.4", 40000, "10.96.0.10", 53, q, interface: 1)]
        for frame in 2...17 { packets.append(Build.udpDNS(frame, "10.244.3.4", 40000, "10.96.0.10", 53, q, interface: 0)) }
        packets.append(Build.udpDNS(18, "10.96.0.10", 53, "10.244.3.4", 40000, Build.response(to: q, answers: []), interface: 1))
        packets.append(Build.udpDNS(19, "10.96.0.10", 53, "10.244.3.4", 40000, Build.response(to: q, answers: []), interface: 0))
        let events = decode(packets).events
        #expect(events.map { $0.dns?.isRetransmission } == [false, false] + Array(repeating: true, count: 15) + [false, false])
        #expect(events[17].dns?.queryFrame == 17, "frame 1 was pushed out")
        #expect(events[18].dns?.queryFrame == 17)
    }

    /// Queries and responses for one question, from three vantage points, in a seeded order:
    /// retransmission flags and pairings must be those of a plain list of the unanswered queries
    /// (oldest first, at most 16).
    @Test(arguments: [11, 12, 13] as [UInt64])
    func pendingQueriesBehaveLikeAList(seed: UInt64) {
        var generator = SeededGenerator(seed: seed)
        let q = Build.query("quote.kiada.svc.cluster.local", id: 9)
        let r = Build.response(to: q, answers: [])
        var model: [(frame: Int, vantage: Int)] = []
        var packets: [CapturedPacket] = []
        var expectedRetransmission: [Int: Bool] = [:]
        var expectedQueryFrame: [Int: Int?] = [:]
        for index in 0..<3000 {
            let frame = index + 1
            let interface = Int(generator.next() % 3)
            let vantage = interface << 32
            let ms = Int64(index)
            if generator.next() % 3 != 0 {
                packets.append(Build.udpDNS(frame, "10.244.3.4", 40000, "10.96.0.10", 53, q, ms: ms, interface: interface))
                expectedRetransmission[frame] = model.contains { $0.vantage == vantage }
                model.append((frame, vantage))
                if model.count > 16 { model.removeFirst(model.count - 16) }
            } else {
                packets.append(Build.udpDNS(frame, "10.96.0.10", 53, "10.244.3.4", 40000, r, ms: ms, interface: interface))
                if let match = model.last(where: { $0.vantage == vantage }) {
                    expectedQueryFrame[frame] = match.frame
                    model.removeAll { $0.vantage == vantage }
                } else {
                    expectedQueryFrame[frame] = model.last?.frame
                }
            }
        }
        let events = decode(packets).events
        #expect(events.count == packets.count)
        var mismatches: [String] = []
        for event in events {
            guard let dns = event.dns else { continue }
            if dns.message.header.isResponse {
                if dns.queryFrame != expectedQueryFrame[event.frame] ?? nil {
                    mismatches.append(
                        "response \(event.frame): query \(String(describing: dns.queryFrame)), expected \(String(describing: expectedQueryFrame[event.frame]))")
                }
            } else if dns.isRetransmission != expectedRetransmission[event.frame] {
                mismatches.append("query \(event.frame): retransmission \(dns.isRetransmission)")
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(5))")
    }

    /// Everything an exchange says apart from its endpoints, frames and times.
    static func summary(_ h: HTTPExchange) -> String {
        let request = h.request.map { r in
            "\(r.method) \(r.uri) \(r.version) host=\(r.host ?? "-") body=\(r.bodyLength):\(String(decoding: r.bodyPreview, as: UTF8.self))"
        }
        let response = h.response.map { r in
            "\(r.status) \(r.reason) \(r.version) type=\(r.contentType ?? "-") chunked=\(r.chunked) body=\(r.bodyLength):\(String(decoding: r.bodyPreview, as: UTF8.self))"
        }
        return "\(request ?? "no request") → \(response ?? "no response")"
    }

    /// Three keep-alive connections whose segments interleave, with requests and responses split
    /// inside header names and values, decode exactly as each connection does alone: the
    /// decoders share one host but no state.
    @Test func interleavedConnectionsDecodeAsEachAlone() throws {
        let get = "GET /quote HTTP/1.1\r\nHost: quote\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n"
        let head = "HEAD /quote HTTP/1.1\r\nHost: quote\r\n\r\n"
        let post = "POST /quotes HTTP/1.1\r\nHost: quote\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n0\r\n\r\n"
        let ok = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n\r\nhello world"
        let headOK = "HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n"
        let chunked = "HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
        let untilClose = "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil close"
        let conversations = [
            HTTPTests.conversation([(get, ok), (head, headOK), (post, chunked)], serverPort: 80, split: 7),
            HTTPTests.conversation([(post, ok), (get, chunked), (get, "HTTP/1.1 abc\r\n\r\n"), (get, ok)], serverPort: 8080, split: 23),
            HTTPTests.conversation([("GET /old HTTP/1.0\r\nHost: quote\r\n\r\n", untilClose)], serverPort: 8081, split: 30),
        ]
        #expect(
            decode(conversations[0]).http.compactMap(\.http).map(Self.summary) == [
                "GET /quote HTTP/1.1 host=quote body=0: → 200 OK HTTP/1.1 type=text/plain chunked=false body=11:hello world",
                "HEAD /quote HTTP/1.1 host=quote body=0: → 200 OK HTTP/1.1 type=- chunked=false body=0:",
                "POST /quotes HTTP/1.1 host=quote body=4:abcd → 201 Created HTTP/1.1 type=- chunked=true body=5:hello",
            ])
        #expect(
            decode(conversations[2]).http.compactMap(\.http).map(Self.summary) == [
                "GET /old HTTP/1.0 host=quote body=0: → 200 OK HTTP/1.0 type=text/plain chunked=false body=11:until close"
            ])
        // Round-robin, renumbered, each connection on its own client port.
        var merged: [CapturedPacket] = []
        var origin: [Int: Int] = [:]
        var next = conversations.map { _ in 0 }
        while merged.count < conversations.map(\.count).reduce(0, +) {
            for (c, packets) in conversations.enumerated() where next[c] < packets.count {
                var packet = packets[next[c]]
                origin[merged.count + 1] = packet.frameNumber
                packet.frameNumber = merged.count + 1
                packet.timestampNanoseconds += Int64(merged.count)
                // The client's port, 51234 in every conversation, becomes 51234 + c: Ethernet and
                // IPv4 headers take 34 octets, then the TCP source and destination ports.
                let sourcePort = Int(packet.data[34]) << 8 | Int(packet.data[35])
                let offset = sourcePort == 51234 ? 34 : 36
                packet.data[offset] = UInt8((51234 + c) >> 8)
                packet.data[offset + 1] = UInt8((51234 + c) & 0xff)
                merged.append(packet)
                next[c] += 1
            }
        }
        let d = decode(merged)
        for (c, packets) in conversations.enumerated() {
            let events = d.http.filter { $0.http?.client.port == UInt16(51234 + c) }
            let alone = decode(packets).http
            let exchanges = events.compactMap(\.http)
            let single = alone.compactMap(\.http)
            #expect(exchanges.count == single.count, "connection \(c)")
            #expect(exchanges.map(Self.summary) == single.map(Self.summary), "connection \(c)")
            #expect(events.map { $0.frames.map { origin[$0] ?? 0 } } == alone.map(\.frames), "connection \(c)")
        }
        #expect(d.http.count == conversations.map { decode($0).http.count }.reduce(0, +))
        #expect(d.diagnostics.map(\.code) == [.malformedHTTP])
    }
}
