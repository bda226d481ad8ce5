import Foundation
import PacketCapture
import Testing
import Traffic

#if canImport(Glibc)
    import Glibc
#endif

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

    /// Runs `kubetape inspect` with `arguments`; `input`, when given, is written to its standard
    /// input (from another thread, so that a large input cannot block on a full pipe);
    /// `inputFile`, when given, is its standard input (`< file`).
    static func inspect(_ arguments: [String], input: Data? = nil, inputFile: String? = nil) throws -> Run {
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
        let stdin = Pipe()
        if input != nil { process.standardInput = stdin }
        if let inputFile { process.standardInput = FileHandle(forReadingAtPath: inputFile) }
        try process.run()
        if let input {
            let writer = stdin.fileHandleForWriting
            Thread.detachNewThread {
                try? writer.write(contentsOf: input)
                try? writer.close()
            }
        }
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

    /// `-` reads the capture from standard input, a pipe or a redirected file: pcap through
    /// libpcap and pcapng through the native reader give exactly what the file gives.
    @Test(arguments: ["dns_udp.pcap", "dns_tcp.pcap", "http-packets2.pcap", "many_interfaces-1.pcapng", "example.com-k8s-http.pcapng"])
    func standardInputReadsLikeTheFile(name: String) throws {
        let path = Fixtures.path(name)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        for mode in [[], ["--json"]] {
            let fromFile = try Self.inspect(mode + [path])
            let fromPipe = try Self.inspect(mode + ["-"], input: bytes)
            #expect(fromPipe.status == 0 && fromFile.status == 0, "\(name): \(fromPipe.stderr)")
            #expect(!fromPipe.stdout.isEmpty && fromPipe.stdout == fromFile.stdout, "\(name) \(mode)")
            // `- < file`: standard input is the file itself (a regular file, not a pipe)
            let redirected = try Self.inspect(mode + ["-"], inputFile: path)
            #expect(redirected.status == 0 && redirected.stdout == fromFile.stdout, "\(name) \(mode) < file: \(redirected.stderr)")
        }
    }

    @Test func aCutEmptyOrForeignStandardInputExits2() throws {
        let whole = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("dns_udp.pcap")))
        let cut = try Self.inspect(["-"], input: whole.dropLast(30))
        #expect(cut.status == 2)
        #expect(cut.lines.count == 1, "the query before the cut is printed")
        #expect(cut.stderr.contains("-: frame 2"), "\(cut.stderr)")
        let empty = try Self.inspect(["-"], input: Data())
        #expect(empty.status == 2 && empty.stderr.contains("empty"), "\(empty.stderr)")
        let text = try Self.inspect(["-"], input: Data("hello, not a capture\n".utf8))
        #expect(text.status == 2 && text.stderr.contains("not a pcap or pcapng file"), "\(text.stderr)")
    }

    /// A capture arriving on a pipe is shown as it arrives: the first query's line is out while
    /// the writer still holds the pipe open (as `tcpdump -U -w - | kubetape inspect -` needs).
    @Test(arguments: ["dns_udp.pcap", "many_interfaces-1.pcapng"])
    func eventsFromAPipeComeOutAsPacketsArrive(name: String) throws {
        guard FileManager.default.isExecutableFile(atPath: Self.binary) else { throw BinaryMissing(path: Self.binary) }
        let packets = try CaptureFileReader.readAll(path: Fixtures.path(name))
        let first = try #require(
            packets.firstIndex { packet in
                decode([packet]).events.contains { $0.dns != nil }
            })
        // the file's header and the packets up to the first DNS message, then nothing more
        let whole = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path(name)))
        let prefix = try Self.prefix(of: whole, name: name, packets: first + 1)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = ["inspect", "-"]
        let stdin = Pipe()
        let out = Pipe()
        process.standardInput = stdin
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer {
            try? stdin.fileHandleForWriting.close()
            process.waitUntilExit()
        }
        try stdin.fileHandleForWriting.write(contentsOf: prefix)
        var pollDescriptor = pollfd(fd: out.fileHandleForReading.fileDescriptor, events: Int16(POLLIN), revents: 0)
        let ready = poll(&pollDescriptor, 1, 10_000)
        #expect(ready == 1, "\(name): no line within 10 s while the pipe stayed open")
        if ready == 1 {
            let line = String(decoding: out.fileHandleForReading.availableData, as: UTF8.self)
            #expect(line.contains("dns/"), "\(name): \(line)")
        }
    }

    /// The first `packets` records of a capture file, with everything before them (header
    /// blocks), found by reading the file block by block.
    static func prefix(of data: Data, name: String, packets: Int) throws -> Data {
        let bytes = [UInt8](data)
        func le32(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 | Int(bytes[at + 2]) << 16 | Int(bytes[at + 3]) << 24 }
        var offset: Int
        var seen = 0
        if name.hasSuffix(".pcapng") {
            // little-endian files only (the fixtures used here): blocks of type 6, 3 or 2 are packets
            offset = 0
            while seen < packets {
                let type = le32(offset)
                offset += le32(offset + 4)
                if type == 6 || type == 3 || type == 2 { seen += 1 }
            }
        } else {
            offset = 24
            while seen < packets {
                offset += 16 + le32(offset + 8)
                seen += 1
            }
        }
        return Data(bytes[0..<offset])
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
