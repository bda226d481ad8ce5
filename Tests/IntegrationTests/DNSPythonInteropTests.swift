import DNSWire
import Foundation
import Testing

/// What kubetape encodes, dnspython decodes with identical fields: header, question, every
/// record's owner, TTL, class, type and RDATA text, and the EDNS0 fields and options.
struct DNSPythonInteropTests {
    static func record(_ text: String) -> ResourceRecord {
        do {
            return try ZoneFileParser.record(text)
        } catch {
            preconditionFailure("bad test record \(text): \(error)")
        }
    }

    static var messages: [(String, DNSMessage)] {
        var out: [(String, DNSMessage)] = []
        let headless: DNSName = "quote-headless.kiada.svc.cluster.local."
        var answer = DNSMessage(
            header: DNSHeader(id: 0x4b1d, isResponse: true, authoritative: true, recursionDesired: true),
            questions: [DNSQuestion(name: headless, type: .a)])
        answer.answers = ["10.244.2.9", "10.244.2.10", "10.244.2.8", "10.244.1.10"].map {
            record("quote-headless.kiada.svc.cluster.local. 5 IN A \($0)")
        }
        answer.edns = EDNS(udpPayloadSize: 1232)
        out.append(("headless answer", answer))

        var nx = DNSMessage(
            header: DNSHeader(id: 2, isResponse: true, authoritative: true, recursionDesired: true, recursionAvailable: true),
            questions: [DNSQuestion(name: "quote.default.svc.cluster.local.", type: .aaaa)])
        nx.rcode = .nxDomain
        nx.authority = [record("cluster.local. 5 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. 1700000000 7200 1800 86400 5")]
        out.append(("nxdomain", nx))

        var every = DNSMessage(header: DNSHeader(id: 3, isResponse: true, authoritative: true, checkingDisabled: true))
        // not ANY: dig asks for ANY over TCP, and the dig test serves UDP
        every.questions = [DNSQuestion(name: "quote.kiada.svc.cluster.local.", type: .a)]
        every.answers = [
            "quote.kiada.svc.cluster.local. 30 IN A 10.96.161.97",
            "quote.kiada.svc.cluster.local. 30 IN AAAA fd00:10:96::a1",
            "mapped.kiada.svc.cluster.local. 30 IN AAAA ::ffff:10.96.161.97",
            "cluster.local. 5 IN NS ns.dns.cluster.local.",
            "alias.kiada.svc.cluster.local. 30 IN CNAME quote.kiada.svc.cluster.local.",
            "9.2.244.10.in-addr.arpa. 5 IN PTR 10-244-2-9.quote-headless.kiada.svc.cluster.local.",
            "cluster.local. 5 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. 1700000000 7200 1800 86400 5",
            "_http._tcp.quote-headless.kiada.svc.cluster.local. 5 IN SRV 0 50 80 10-244-2-9.quote-headless.kiada.svc.cluster.local.",
            #"txt.kiada.svc.cluster.local. 60 IN TXT "v=kubetape1" "hello world" "" "say \"hi\" \\ ;" "\200\001""#,
            "mx.kiada.svc.cluster.local. 60 IN MX 10 mail.kiada.svc.cluster.local.",
            ##"opaque.kiada.svc.cluster.local. 5 IN TYPE65280 \# 6 0102DEADBEEF"##,
            #"We\.Ird\032Label.Kiada.svc.cluster.local. 5 IN A 10.244.0.1"#,
        ].map(record)
        every.additional = [record("10-244-2-9.quote-headless.kiada.svc.cluster.local. 5 IN A 10.244.2.9")]
        every.edns = EDNS(
            udpPayloadSize: 4096, extendedRCode: 0, version: 0, dnssecOK: true,
            options: [
                EDNSOption(code: EDNSOption.nsid, data: Array("kubetape".utf8)),
                EDNSOption(code: EDNSOption.cookie, data: [1, 2, 3, 4, 5, 6, 7, 8]),
                EDNSOption(code: 65001, data: [0xfe, 0xed]),
            ])
        out.append(("every type, compression into an SRV target, escapes and case", every))

        var badvers = DNSMessage(header: DNSHeader(id: 4, isResponse: true), questions: [DNSQuestion(name: "QuOtE.kiada.svc.cluster.local.", type: .a)])
        badvers.edns = EDNS(udpPayloadSize: 1232)
        badvers.rcode = .badVers
        out.append(("BADVERS, an extended rcode", badvers))

        var query = DNSMessage.query(id: 5, name: "_http._tcp.quote-headless.kiada.svc.cluster.local.", type: .srv)
        query.edns = EDNS(udpPayloadSize: 1232, options: [EDNSOption(code: EDNSOption.clientSubnet, data: [0, 1, 24, 0, 10, 244, 2])])
        query.header.authenticData = true
        out.append(("query with ECS", query))
        return out
    }

    /// dnspython reads hex lines on stdin and prints one JSON object per message.
    static let script = #"""
        import json, sys
        try:
            import dns.message, dns.rdatatype
        except ImportError:
            print("DNSPYTHON-MISSING")
            sys.exit(3)

        def rrs(section):
            out = []
            for rrset in section:
                for rdata in rrset:
                    out.append([rrset.name.to_text(), rrset.ttl, rrset.rdclass, rrset.rdtype, rdata.to_text()])
            return out

        for line in sys.stdin:
            wire = bytes.fromhex(line.strip())
            m = dns.message.from_wire(wire, one_rr_per_rrset=True)
            print(json.dumps({
                "id": m.id, "flags": int(m.flags), "rcode": int(m.rcode()), "opcode": int(m.opcode()),
                "question": [[q.name.to_text(), q.rdtype, q.rdclass] for q in m.question],
                "answer": rrs(m.answer), "authority": rrs(m.authority), "additional": rrs(m.additional),
                "edns": m.edns, "payload": m.payload, "ednsflags": int(m.ednsflags),
                "options": [[int(o.otype), o.to_wire().hex()] for o in m.options],
            }))
        """#

    static func runDNSPython(hexLines: [String]) throws -> [[String: Any]] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script]
        let input = Pipe()
        let output = Pipe()
        let errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        do {
            try process.run()
        } catch {
            Issue.record("python3 could not be started (\(error)): run scripts/setup.sh")
            return []
        }
        input.fileHandleForWriting.write(Data((hexLines.joined(separator: "\n") + "\n").utf8))
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        if text.contains("DNSPYTHON-MISSING") {
            Issue.record("dnspython is not installed for python3: run scripts/setup.sh")
            return []
        }
        guard process.terminationStatus == 0 else {
            Issue.record("dnspython failed (exit \(process.terminationStatus)): \(stderr)")
            return []
        }
        return try text.split(separator: "\n").map {
            guard let object = try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] else {
                throw CocoaError(.coderReadCorrupt)
            }
            return object
        }
    }

    /// Our view of a record in dnspython's terms; opaque RDATA hex compared without case.
    static func fields(_ record: ResourceRecord) -> [String] {
        var rdata = record.data.presentation
        if case .unknown = record.data { rdata = rdata.lowercased() }
        return [record.name.description, String(record.ttl), String(record.rrClass.rawValue), String(record.type.rawValue), rdata]
    }

    static func fields(_ decoded: Any?) -> [[String]] {
        guard let rows = decoded as? [[Any]] else { return [] }
        return rows.map { row in
            row.enumerated().map { index, value in
                let text = "\(value)"
                return index == 4 && text.hasPrefix("\\# ") ? text.lowercased() : text
            }
        }
    }

    @Test func dnspythonDecodesWhatKubetapeEncodes() throws {
        let cases = Self.messages
        var hexLines: [String] = []
        for (_, message) in cases {
            hexLines.append(try message.wireBytes().map { String(format: "%02x", $0) }.joined())
        }
        let decoded = try Self.runDNSPython(hexLines: hexLines)
        try #require(decoded.count == cases.count, "dnspython returned \(decoded.count) of \(cases.count) messages")
        for ((label, message), peer) in zip(cases, decoded) {
            #expect(peer["id"] as? Int == Int(message.header.id), "\(label)")
            #expect(peer["flags"] as? Int == Int(message.header.flagBits), "\(label)")
            #expect(peer["rcode"] as? Int == Int(message.rcode.rawValue), "\(label)")
            #expect(peer["opcode"] as? Int == Int(message.header.opcode.rawValue), "\(label)")
            let questions = (peer["question"] as? [[Any]] ?? []).map { $0.map { "\($0)" } }
            #expect(questions == message.questions.map { [$0.name.description, String($0.type.rawValue), String($0.qClass.rawValue)] }, "\(label)")
            #expect(Self.fields(peer["answer"]) == message.answers.map(Self.fields), "\(label)")
            #expect(Self.fields(peer["authority"]) == message.authority.map(Self.fields), "\(label)")
            #expect(Self.fields(peer["additional"]) == message.additional.filter { $0.type != .opt }.map(Self.fields), "\(label)")
            if let edns = message.edns {
                #expect(peer["edns"] as? Int == Int(edns.version), "\(label)")
                #expect(peer["payload"] as? Int == Int(edns.udpPayloadSize), "\(label)")
                // dnspython's ednsflags is the OPT TTL without the version octet: extended
                // rcode, DO and the other flag bits
                #expect(peer["ednsflags"] as? Int == Int(edns.record.ttl & 0xFF00_FFFF), "\(label)")
                #expect(peer["ednsflags"] as? Int == Int(edns.extendedRCode) << 24 | (edns.dnssecOK ? 0x8000 : 0) | Int(edns.otherFlags), "\(label)")
                let options = (peer["options"] as? [[Any]] ?? []).map { $0.map { "\($0)" } }
                #expect(options == edns.options.map { [String($0.code), $0.data.map { String(format: "%02x", $0) }.joined()] }, "\(label)")
            } else {
                #expect(peer["edns"] as? Int == -1, "\(label)")
            }
        }
    }
}
