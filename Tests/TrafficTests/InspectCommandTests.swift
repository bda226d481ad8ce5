import Foundation
import Testing

/// `kubetape inspect` through the built binary: output lines, filters, exit codes.
@Suite(.serialized) struct InspectCommandTests {
    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
        var lines: [Substring] { stdout.split(separator: "\n") }
    }

    /// The kubetape binary: $KUBETAPE_BIN, else .build/debug/kubetape beside this package.
    static var binary: String {
        if let path = ProcessInfo.processInfo.environment["KUBETAPE_BIN"] { return path }
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.appendingPathComponent(".build/debug/kubetape").path
    }

    static func inspect(_ arguments: [String]) throws -> Run {
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw BinaryMissing(path: binary)
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["inspect"] + arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self))
    }

    struct BinaryMissing: Error, CustomStringConvertible {
        var path: String
        var description: String { "kubetape binary not found at \(path): run `scripts/swift-locked build` first, or set KUBETAPE_BIN" }
    }

    static func temporary(_ name: String, _ bytes: [UInt8]) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("kubetape-inspect-\(ProcessInfo.processInfo.processIdentifier)-\(name)").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// A classic little-endian microsecond pcap.
    static func pcap(linkType: UInt32, _ frames: [[UInt8]]) -> [UInt8] {
        func le32(_ v: UInt32) -> [UInt8] { [UInt8(v & 0xff), UInt8(v >> 8 & 0xff), UInt8(v >> 16 & 0xff), UInt8(v >> 24)] }
        var out = le32(0xA1B2_C3D4) + [2, 0, 4, 0] + le32(0) + le32(0) + le32(262_144) + le32(linkType)
        for (i, f) in frames.enumerated() {
            out += le32(1_700_000_000) + le32(UInt32(i * 10)) + le32(UInt32(f.count)) + le32(UInt32(f.count)) + f
        }
        return out
    }

    @Test func printsOneLinePerDNSMessageWithPairing() throws {
        let run = try Self.inspect([Fixtures.path("dns_udp.pcap")])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.lines.count == 2)
        #expect(run.lines.first?.hasPrefix("1\t1591780794.740079000\tdns/udp 192.168.1.11:43966 → 209.87.249.18:53 query id=22836") == true)
        #expect(
            run.lines.last?.contains(
                "response id=22836 NOERROR [aa rd] www.tcpdump.org. A → A 192.139.46.66, A 198.199.88.104 +2 authority +4 additional (query frame 1, 130.282 ms)"
            ) == true)
    }

    @Test func jsonLinesAndFilters() throws {
        let capture = Fixtures.path("example.com-k8s-http.pcapng")
        let all = try Self.inspect([capture, "--json"])
        #expect(all.status == 0)
        #expect(all.lines.count == 17)
        for line in all.lines {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object?["kind"] as? String == "dns" || object?["kind"] as? String == "http")
        }
        #expect(try Self.inspect([capture, "--dns-only"]).lines.count == 16)
        let http = try Self.inspect([capture, "--http-only", "--json"])
        #expect(http.lines.count == 1)
        #expect(http.stdout.contains(#""method":"GET","uri":"/","host":"example.com""#))
        #expect(try Self.inspect([capture, "--dns-only", "--http-only"]).status == 2)
    }

    @Test func extraDNSPorts() throws {
        let capture = Fixtures.path("sll.pcap")
        let plain = try Self.inspect([capture, "--dns-only"])
        let mdns = try Self.inspect([capture, "--dns-only", "--dns-port", "5353"])
        #expect(plain.status == 0 && mdns.status == 0)
        #expect(plain.lines.count == 20)
        #expect(mdns.lines.count == 22)
    }

    @Test func malformedPacketsGoToStandardErrorWithTheirFrame() throws {
        let run = try Self.inspect([Fixtures.path("dns-badlabel.pcap")])
        #expect(run.status == 0)
        #expect(run.stdout.isEmpty)
        #expect(run.stderr.contains("dns-badlabel.pcap: frame 1: DNS message 156.118.17.235:53 → 156.118.27.229:500 over udp: nameTooLong"))
    }

    @Test func aFileCutInARecordPrintsWhatCameBeforeAndExits2() throws {
        let whole = try [UInt8](Data(contentsOf: URL(fileURLWithPath: Fixtures.path("dns_udp.pcap"))))
        let path = try Self.temporary("cut.pcap", Array(whole.dropLast(30)))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let run = try Self.inspect([path])
        #expect(run.status == 2)
        #expect(run.lines.count == 1, "the query before the cut is printed")
        #expect(run.stderr.contains("frame 2"), "the error names packet 2: \(run.stderr)")
    }

    @Test func unsupportedLinkTypeAndUnreadableFilesExit2() throws {
        let path = try Self.temporary("linktype147.pcap", Self.pcap(linkType: 147, [[1, 2, 3, 4]]))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let run = try Self.inspect([path])
        #expect(run.status == 2)
        #expect(run.stderr.contains("147"))
        #expect(try Self.inspect(["/nonexistent/capture.pcap"]).status == 2)
        let notCapture = try Self.temporary("text.pcap", Array("hello, not a capture\n".utf8))
        defer { try? FileManager.default.removeItem(atPath: notCapture) }
        #expect(try Self.inspect([notCapture]).status == 2)
    }

    @Test func aPacketSeenOnTwoInterfacesIsShownTwiceUnlessFolded() throws {
        // `-i any` (SLL2): the same query on interface 5 (pod veth) and 7 (host side).
        let ip = Build.ipv4(
            "10.244.3.4", "10.96.0.10", proto: 17, payload: Build.udp(51234, 53, Build.wire(Build.query("quote.kiada.svc.cluster.local", id: 9))))
        func sll2(_ interface: UInt32) -> [UInt8] { [0x08, 0x00, 0, 0] + Build.be32(interface) + [0, 1, 4, 6, 1, 2, 3, 4, 5, 6, 0, 0] + ip }
        let path = try Self.temporary("any.pcap", Self.pcap(linkType: 276, [sll2(5), sll2(7)]))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let shown = try Self.inspect([path])
        #expect(shown.status == 0, "\(shown.stderr)")
        #expect(shown.lines.count == 2)
        let folded = try Self.inspect([path, "--fold-duplicates"])
        #expect(folded.lines.count == 1)
    }

    @Test func arpAndOtherNonIPFramesAreSkipped() throws {
        let run = try Self.inspect([Fixtures.path("sll.pcap")])
        #expect(run.status == 0)
        #expect(run.stderr.isEmpty, "\(run.stderr)")
        #expect(run.lines.count == 22)
    }
}
