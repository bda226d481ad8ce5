import DNSWire
import Foundation
import NIOCore
import Testing

/// Hex helpers and fixture loading shared by the DNSWire tests.
enum Hex {
    /// Parses hex, ignoring whitespace and `#` comment lines; traps on bad test data.
    static func bytes(_ text: String) -> [UInt8] {
        var digits: [UInt8] = []
        for line in text.split(whereSeparator: \.isNewline) where !line.hasPrefix("#") {
            for c in line.utf8 where c != 0x20 && c != 0x09 { digits.append(c) }
        }
        precondition(digits.count % 2 == 0, "odd hex digit count")
        func value(_ c: UInt8) -> UInt8 {
            switch c {
            case 48...57: return c - 48
            case 97...102: return c - 87
            case 65...70: return c - 55
            default: preconditionFailure("bad hex digit \(c)")
            }
        }
        return stride(from: 0, to: digits.count, by: 2).map { value(digits[$0]) << 4 | value(digits[$0 + 1]) }
    }

    static func string(_ bytes: some Sequence<UInt8>) -> String {
        bytes.map { String(format: "%02x", $0) }.joined()
    }
}

/// The peer fixtures in `Fixtures/` (see its README).
enum PeerFixtures {
    static var directory: URL {
        Bundle.module.url(forResource: "Fixtures", withExtension: nil)!
    }

    /// Every `*.hex` file name, sorted.
    static var hexFiles: [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.hasSuffix(".hex") }.sorted()
    }

    /// Cases that have a dig printout.
    static var digCases: [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.hasSuffix(".dig") }.map { String($0.dropLast(4)) }.sorted()
    }

    static func text(_ file: String) throws -> String {
        try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
    }

    static func bytes(_ file: String) throws -> [UInt8] {
        Hex.bytes(try text(file))
    }
}

/// Asserts that `body` throws a `DNSWireError` with `code` at `offset`.
func expectWireError(
    _ code: DNSWireError.Code, at offset: Int?, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void
) {
    do {
        try body()
        Issue.record("expected \(code) at \(offset.map(String.init) ?? "nil"), but nothing was thrown", sourceLocation: sourceLocation)
    } catch let error as DNSWireError {
        #expect(error.code == code, "wrong code: \(error)", sourceLocation: sourceLocation)
        #expect(error.offset == offset, "wrong offset: \(error)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("expected DNSWireError, got \(error)", sourceLocation: sourceLocation)
    }
}

/// Typical cluster messages used by several tests (and mirrored by the benchmark).
enum Samples {
    static let headlessName: DNSName = "quote-headless.kiada.svc.cluster.local."

    /// The 4-record headless answer CoreDNS gives for quote-headless.
    static var headlessAnswer: DNSMessage {
        var message = DNSMessage(
            header: DNSHeader(id: 0x4b1d, isResponse: true, authoritative: true, recursionDesired: true),
            questions: [DNSQuestion(name: headlessName, type: .a)])
        for address in ["10.244.2.9", "10.244.2.10", "10.244.2.8", "10.244.1.10"] {
            message.answers.append(ResourceRecord(name: headlessName, ttl: 5, data: .a(IPv4Address(address)!)))
        }
        return message
    }

    /// NXDOMAIN with the CoreDNS SOA in the authority section.
    static var nxdomain: DNSMessage {
        var message = DNSMessage(
            header: DNSHeader(id: 0x1234, isResponse: true, authoritative: true, recursionDesired: true, rcodeLow: 3),
            questions: [DNSQuestion(name: "nope.kiada.svc.cluster.local.", type: .a)])
        message.authority.append(
            ResourceRecord(
                name: "cluster.local.", ttl: 5,
                data: .soa(
                    SOA(
                        mname: "ns.dns.cluster.local.", rname: "hostmaster.cluster.local.", serial: 1_700_000_000, refresh: 7200,
                        retry: 1800, expire: 86400, minimum: 5))))
        return message
    }

    /// One record of every modelled type plus an opaque one and OPT, in one message.
    static var everyType: DNSMessage {
        let zone = """
            $ORIGIN kiada.svc.cluster.local.
            quote 30 IN A 10.96.161.97
            quote 30 IN AAAA fd00:10:96::a1
            cluster.local. 5 IN NS ns.dns.cluster.local.
            alias 30 IN CNAME quote
            9.2.244.10.in-addr.arpa. 5 IN PTR 10-244-2-9.quote-headless
            cluster.local. 5 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. 1700000000 7200 1800 86400 5
            _http._tcp.quote-headless 5 IN SRV 0 50 80 10-244-2-9.quote-headless
            txt 60 IN TXT "v=kubetape1" "hello world" "" "\\200\\001"
            mx 60 IN MX 10 mail
            opaque 5 IN TYPE65280 \\# 6 0102DEADBEEF
            """
        var message = DNSMessage(header: DNSHeader(id: 7, isResponse: true, authoritative: true))
        message.questions = [DNSQuestion(name: "quote.kiada.svc.cluster.local.", type: .any)]
        message.answers = try! ZoneFileParser().parse(zone)
        message.edns = EDNS(
            udpPayloadSize: 1232, extendedRCode: 0, version: 0, dnssecOK: true,
            options: [EDNSOption(code: EDNSOption.nsid, data: Array("kubetape".utf8)), EDNSOption(code: EDNSOption.cookie, data: Array(0..<8))])
        return message
    }
}
