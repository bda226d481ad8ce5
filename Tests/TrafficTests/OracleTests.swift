import DNSWire
import Foundation
import PacketCapture
import Testing
import Traffic

/// Every public capture is decoded, and every DNS and HTTP message tshark found in it (the
/// `*.dns.jsonl` / `*.http.jsonl` oracles) must be found by kubetape with the same content.
///
/// Representation mappings, each explicit:
/// - names: tshark prints labels unescaped without the trailing dot (root is `.`); kubetape's
///   names are compared through `oracleName` (labels decoded as UTF-8, joined by dots).
/// - rdata: tshark's `data` for A/AAAA is compared with kubetape's presentation text; for
///   NS/CNAME/PTR, MX, SRV and SOA the name fields are mapped as above; TXT is a list of strings.
///   For types tshark gives no `data` (RRSIG, DNSKEY, NSEC…), kubetape's RDATA length must equal
///   tshark's `rdlength`.
/// - `additional` in the oracle leaves out OPT, so kubetape's OPT record is compared with `edns`.
/// - `rcode` in the oracle is the 4-bit header field.
/// - A message tshark marks `malformed` or `short` must be a kubetape diagnostic for that frame
///   (DNSWire is strict; the snap length cut the message), never an event.
/// - HTTP: kubetape pairs a request with its response in one event; tshark has one line per
///   message. 1xx interim responses (100 Continue) are dropped by NIOHTTP1 and are not events;
///   a 101 ends HTTP on its connection. The reason phrase is NIOHTTP1's standard one for the code.
@Suite struct OracleTests {
    static let dnsPorts: Set<UInt16> = [53, 5353, 5355]

    static func oracleName(_ name: DNSName) -> String {
        if name.isRoot { return "." }
        return name.labels.map { String(decoding: $0, as: UTF8.self) }.joined(separator: ".")
    }

    static func expectedData(_ data: RecordData) -> Any? {
        switch data {
        case .a(let a): return a.description
        case .aaaa(let a): return a.description
        case .ns(let n), .cname(let n), .ptr(let n): return oracleName(n)
        case .mx(let p, let e): return "\(p) \(oracleName(e))"
        case .srv(let s): return "\(s.priority) \(s.weight) \(s.port) \(oracleName(s.target))"
        case .soa(let s): return "\(oracleName(s.mname)) \(oracleName(s.rname)) \(s.serial) \(s.refresh) \(s.retry) \(s.expire) \(s.minimum)"
        case .txt(let strings): return strings.map { String(decoding: $0, as: UTF8.self) }
        case .opt, .unknown: return nil
        }
    }

    static func rdlength(_ data: RecordData) -> Int? {
        if case .unknown(_, let rdata) = data { return rdata.count }
        return nil
    }

    static func compareRecords(_ ours: [ResourceRecord], _ theirs: [[String: Any]], _ location: String) {
        #expect(ours.count == theirs.count, "\(location): \(ours.count) records, oracle has \(theirs.count)")
        for (r, o) in zip(ours, theirs) {
            let at = "\(location) \(o["name"] ?? "?") \(o["type_name"] ?? "?")"
            #expect(oracleName(r.name) == o["name"] as? String, "\(at): name \(oracleName(r.name))")
            #expect(Int(r.type.rawValue) == o["type"] as? Int, "\(at): type \(r.type)")
            #expect(Int(r.rrClass.rawValue) == o["class"] as? Int, "\(at): class \(r.rrClass)")
            #expect(Int(r.ttl) == o["ttl"] as? Int, "\(at): ttl \(r.ttl)")
            if let expected = expectedData(r.data) {
                if let list = expected as? [String] {
                    #expect(list == o["data"] as? [String], "\(at): data \(list)")
                } else {
                    #expect(expected as? String == o["data"] as? String, "\(at): data \(expected)")
                }
            } else if let length = rdlength(r.data) {
                #expect(o["data"] is NSNull, "\(at): tshark decoded data kubetape keeps opaque")
                #expect(length == o["rdlength"] as? Int, "\(at): rdlength \(length)")
            }
        }
    }

    static func endpointString(_ o: [String: Any], _ ip: String, _ port: String) -> String {
        let address = o[ip] as? String ?? "?"
        let p = o[port] as? Int ?? -1
        return address.contains(":") ? "[\(address)]:\(p)" : "\(address):\(p)"
    }

    @Test(arguments: Fixtures.captures)
    func dnsMatchesTshark(capture: String) throws {
        let packets = try Fixtures.packets(capture)
        #expect(!packets.isEmpty)
        let decoded = decode(packets) { $0.dnsPorts = Self.dnsPorts }
        let oracle = try Fixtures.oracle(capture, "dns")
        var ours = decoded.dns
        var matched = 0
        for line in oracle {
            let frame = line["frame"] as! Int
            let at = "\(capture) frame \(frame) id \(line["id"] ?? "?")"
            if line["malformed"] as? Bool == true || line["short"] as? Bool == true {
                #expect(
                    decoded.diagnostics.contains { $0.frame == frame && ($0.code == .malformedDNS || $0.code == .truncatedPacket) },
                    "\(at): tshark marks it malformed/short, kubetape must report a diagnostic")
                #expect(!ours.contains { $0.frame == frame && Int($0.dns!.message.header.id) == line["id"] as? Int }, "\(at): must not be an event")
                continue
            }
            guard let index = ours.firstIndex(where: { $0.frame == frame && Int($0.dns!.message.header.id) == line["id"] as? Int }) else {
                Issue.record("\(at): no kubetape DNS event (diagnostics: \(decoded.diagnostics.filter { $0.frame == frame }))")
                continue
            }
            let event = ours.remove(at: index)
            let m = event.dns!.message
            let h = m.header
            matched += 1
            #expect(event.source.description == Self.endpointString(line, "src", "sport"), "\(at): src \(event.source)")
            #expect(event.destination.description == Self.endpointString(line, "dst", "dport"), "\(at): dst \(event.destination)")
            #expect(event.transport.rawValue == line["transport"] as? String, "\(at): transport")
            #expect(JSONWriterProbe.time(event) == line["time"] as? String, "\(at): time")
            #expect((h.isResponse ? 1 : 0) == line["qr"] as? Int, "\(at): qr")
            #expect(Int(h.opcode.rawValue) == line["opcode"] as? Int, "\(at): opcode")
            #expect((h.authoritative ? 1 : 0) == line["aa"] as? Int, "\(at): aa")
            #expect((h.truncated ? 1 : 0) == line["tc"] as? Int, "\(at): tc")
            #expect((h.recursionDesired ? 1 : 0) == line["rd"] as? Int, "\(at): rd")
            #expect((h.recursionAvailable ? 1 : 0) == line["ra"] as? Int, "\(at): ra")
            #expect(Int(h.rcodeLow) == line["rcode"] as? Int, "\(at): rcode")
            #expect(String(format: "0x%04x", h.flagBits) == line["flags"] as? String, "\(at): flags")
            #expect(m.questions.count == line["qdcount"] as? Int, "\(at): qdcount")
            #expect(m.answers.count == line["ancount"] as? Int, "\(at): ancount")
            #expect(m.authority.count == line["nscount"] as? Int, "\(at): nscount")
            #expect(m.additional.count == line["arcount"] as? Int, "\(at): arcount")
            if let q = m.question {
                #expect(Self.oracleName(q.name) == line["qname"] as? String, "\(at): qname \(q.name)")
                #expect(Int(q.type.rawValue) == line["qtype"] as? Int, "\(at): qtype")
                #expect(
                    q.type.description == line["qtype_name"] as? String || !(DNSType(mnemonic: line["qtype_name"] as? String ?? "") != nil),
                    "\(at): qtype name \(q.type)")
            }
            Self.compareRecords(m.answers, line["answers"] as? [[String: Any]] ?? [], "\(at) answers")
            Self.compareRecords(m.authority, line["authority"] as? [[String: Any]] ?? [], "\(at) authority")
            Self.compareRecords(m.additional.filter { $0.type != .opt }, line["additional"] as? [[String: Any]] ?? [], "\(at) additional")
            if let edns = line["edns"] as? [String: Any] {
                let e = try #require(m.edns, "\(at): oracle has EDNS")
                #expect(Int(e.udpPayloadSize) == edns["udp_payload_size"] as? Int, "\(at): udp size")
                #expect(Int(e.version) == edns["version"] as? Int, "\(at): edns version")
                #expect(e.dnssecOK == edns["do"] as? Bool, "\(at): DO")
                #expect(e.options.map { Int($0.code) } == edns["options"] as? [Int], "\(at): options")
            } else {
                #expect(m.edns == nil, "\(at): kubetape found EDNS, tshark did not")
            }
        }
        #expect(ours.isEmpty, "\(capture): kubetape has DNS events tshark does not: \(ours.map { "frame \($0.frame) id \($0.dns!.message.header.id)" })")
        #expect(matched + oracle.filter { $0["malformed"] as? Bool == true || $0["short"] as? Bool == true }.count == oracle.count)
    }

    @Test(arguments: Fixtures.captures)
    func httpMatchesTshark(capture: String) throws {
        let packets = try Fixtures.packets(capture)
        let decoded = decode(packets)
        let oracle = try Fixtures.oracle(capture, "http")
        let exchanges = decoded.http.map { $0.http! }
        var requestsSeen = 0
        var responsesSeen = 0
        var upgradedConnections: Set<String> = []
        for line in oracle {
            let frame = line["frame"] as! Int
            let at = "\(capture) frame \(frame)"
            let connection = [Self.endpointString(line, "src", "sport"), Self.endpointString(line, "dst", "dport")].sorted().joined(separator: "-")
            if upgradedConnections.contains(connection) { continue }
            if line["kind"] as? String == "request" {
                requestsSeen += 1
                guard let exchange = exchanges.first(where: { $0.request?.frame == frame }) else {
                    Issue.record("\(at): no kubetape exchange with this request (\(line["method"] ?? "") \(line["uri"] ?? ""))")
                    continue
                }
                let r = exchange.request!
                #expect(r.method == line["method"] as? String, "\(at): method")
                #expect(r.uri == line["uri"] as? String, "\(at): uri")
                #expect(r.host == line["host"] as? String, "\(at): host")
                #expect(r.version == line["version"] as? String, "\(at): version")
                #expect(exchange.client.description == Self.endpointString(line, "src", "sport"), "\(at): client")
                #expect(exchange.server.description == Self.endpointString(line, "dst", "dport"), "\(at): server")
                if let responseFrame = line["response_in"] as? Int {
                    #expect(
                        exchange.response?.frame == responseFrame,
                        "\(at): response frame \(String(describing: exchange.response?.frame)) vs tshark \(responseFrame)")
                }
            } else {
                let status = line["status"] as? Int ?? 0
                if (100..<200).contains(status) && status != 101 { continue }  // interim: not an event
                responsesSeen += 1
                guard let exchange = exchanges.first(where: { $0.response?.frame == frame }) else {
                    Issue.record("\(at): no kubetape exchange with this response (\(status))")
                    continue
                }
                let r = exchange.response!
                #expect(r.status == status, "\(at): status")
                // NIOHTTP1 reports the standard reason phrase for the code, not the wire text
                // (docker's 101 says "UPGRADED"): only standard phrases can match.
                if status != 101 { #expect(r.reason == line["reason"] as? String, "\(at): reason") }
                #expect(r.version == line["version"] as? String, "\(at): version")
                #expect(r.chunked == ((line["transfer_encoding"] as? String)?.lowercased().contains("chunked") ?? false), "\(at): chunked")
                if let length = line["content_length"] as? Int, !r.chunked, exchange.request?.method != "HEAD" {
                    #expect(r.bodyLength == length, "\(at): body length \(r.bodyLength) vs Content-Length \(length)")
                }
                if let chunks = line["chunk_sizes"] as? [Int] {
                    #expect(r.bodyLength == chunks.reduce(0, +), "\(at): de-chunked body length")
                }
                #expect(exchange.request?.frame == line["request_in"] as? Int, "\(at): request frame \(String(describing: exchange.request?.frame))")
                if status == 101 { upgradedConnections.insert(connection) }
            }
        }
        #expect(
            exchanges.filter { $0.request != nil }.count == requestsSeen,
            "\(capture): kubetape has \(exchanges.filter { $0.request != nil }.count) requests, tshark \(requestsSeen)")
        #expect(
            exchanges.filter { $0.response != nil }.count == responsesSeen,
            "\(capture): kubetape has \(exchanges.filter { $0.response != nil }.count) responses, tshark \(responsesSeen)")
    }
}

/// The time string exactly as the JSON Lines carry it.
enum JSONWriterProbe {
    static func time(_ event: Event) -> String? {
        let line = event.jsonLine
        guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { return nil }
        return object["time"] as? String
    }
}
