import Foundation
import PacketCapture
import Testing

@Suite("CaptureFileReader on public captures")
struct CaptureFileReaderFixtureTests {
    static let names = fixtureCounts.keys.sorted()

    @Test("every public capture yields tshark's frames: count, time, lengths, interface", arguments: names)
    func matchesTshark(name: String) throws {
        let path = fixturePath(name)
        let (packets, error) = readUntilError(path)
        #expect(error == nil, "\(name): \(String(describing: error))")
        #expect(packets.count == fixtureCounts[name], "\(name): \(packets.count) packets")
        let oracle = try tsharkFields(path, ["frame.number", "frame.time_epoch", "frame.cap_len", "frame.len", "frame.interface_name"])
        #expect(oracle.count == packets.count, "\(name): tshark sees \(oracle.count) frames")
        for (packet, row) in zip(packets, oracle) {
            let mine = [
                "\(packet.frameNumber)", epochText(packet.timestampNanoseconds), "\(packet.data.count)", "\(packet.originalLength)", packet.interfaceName ?? "",
            ]
            #expect(mine == row, "\(name) frame \(packet.frameNumber)")
            if mine != row { break }
        }
    }

    @Test("packet octets survive: tshark MD5 of each frame equals the MD5 after rewriting with PcapWriter", arguments: names)
    func octetsMatchTsharkAfterRewrite(name: String) throws {
        let path = fixturePath(name)
        let packets = try CaptureFileReader.readAll(path: path)
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let md5 = ["-o", "frame.generate_md5_hash:TRUE"]
        let original = try tsharkFields(path, ["frame.number", "frame.md5_hash"], options: md5)
        #expect(original.count == packets.count)
        // Classic pcap has one link type per file: write one file per link type.
        for linkType in Set(packets.map(\.linkType)) {
            let group = packets.filter { $0.linkType == linkType }
            let out = dir.appendingPathComponent("\(linkType.rawValue).pcap").path
            let writer = try PcapWriter(path: out, linkType: linkType)
            for packet in group { try writer.write(packet) }
            try writer.close()
            let rewritten = try tsharkFields(out, ["frame.md5_hash", "frame.time_epoch"], options: md5)
            #expect(rewritten.count == group.count)
            for (packet, row) in zip(group, rewritten) {
                let expected = original.first { $0.first == "\(packet.frameNumber)" }?.last
                #expect(row.first == expected, "\(name) frame \(packet.frameNumber) octets differ after rewrite")
                #expect(row.last == epochText(packet.timestampNanoseconds))
            }
        }
    }

    @Test("many_interfaces-1.pcapng decodes entirely with per-packet interface names and link types")
    func manyInterfaces() throws {
        let reader = try CaptureFileReader(path: fixturePath("many_interfaces-1.pcapng"))
        #expect(reader.format == .pcapng)
        #expect(reader.fileLinkType == nil)
        var packets: [CapturedPacket] = []
        while let packet = try reader.next() { packets.append(packet) }
        #expect(packets.count == 64)
        #expect(packets.map(\.frameNumber) == Array(1...64))
        let en0 = packets.filter { $0.interfaceName == "en0" }
        let lo0 = packets.filter { $0.interfaceName == "lo0" }
        #expect(en0.count == 62)
        #expect(lo0.count == 2)
        #expect(en0.allSatisfy { $0.linkType == .ethernet })
        #expect(lo0.allSatisfy { $0.linkType == .null })
        // BSD loopback header: address family 2 (AF_INET) in the capturing host's byte order.
        #expect(lo0.allSatisfy { Array($0.data.prefix(4)) == [2, 0, 0, 0] })
        // Interface indices agree with tshark.
        let oracle = try tsharkFields(fixturePath("many_interfaces-1.pcapng"), ["frame.interface_id"])
        #expect(packets.map { "\($0.interfaceIndex)" } == oracle.map { $0.first ?? "" })
        // All 11 IDBs, mixed link types: 8 Ethernet, 2 NULL, 1 raw (12).
        let links = reader.interfaces.map(\.linkType.rawValue)
        #expect(reader.interfaces.count == 11)
        #expect(links.filter { $0 == 1 }.count == 8)
        #expect(links.filter { $0 == 0 }.count == 2)
        #expect(links.filter { $0 == 12 }.count == 1)
    }

    @Test("pcapng-multi-interface.pcapng keeps nanosecond and microsecond interfaces apart")
    func twoResolutions() throws {
        let reader = try CaptureFileReader(path: fixturePath("pcapng-multi-interface.pcapng"))
        let packets = try CaptureFileReader.readAll(path: fixturePath("pcapng-multi-interface.pcapng"))
        _ = try reader.next()
        #expect(reader.interfaces.map(\.timestampResolution) == [9, 6])
        #expect(Set(packets.map(\.interfaceIndex)) == [0, 1])
        // Microsecond interface: timestamps are whole microseconds.
        #expect(packets.filter { $0.interfaceIndex == 1 }.allSatisfy { $0.timestampNanoseconds % 1000 == 0 })
    }

    @Test(
        "classic pcap link types come from the file header, unmapped",
        arguments: [
            ("sll.pcap", LinkType.linuxSLL), ("sll2.pcap", .linuxSLL2), ("four_ipv6_http_streams.pcap", LinkType(12)), ("dns_udp.pcap", .ethernet),
        ])
    func classicLinkTypes(name: String, linkType: LinkType) throws {
        let reader = try CaptureFileReader(path: fixturePath(name))
        #expect(reader.format == .pcap)
        #expect(reader.fileLinkType == linkType)
        let first = try #require(try reader.next())
        #expect(first.linkType == linkType)
        #expect(first.interfaceName == nil)
        #expect(first.interfaceIndex == 0)
    }

    @Test("dns_udp_2.pcap: frame 2 is cut by the snap length (caplen 98, wire 266)")
    func snaplenTruncated() throws {
        let packets = try CaptureFileReader.readAll(path: fixturePath("dns_udp_2.pcap"))
        #expect(packets[1].data.count == 98)
        #expect(packets[1].originalLength == 266)
        #expect(packets[1].isTruncated)
        #expect(!packets[0].isTruncated)
    }
}

@Suite("CaptureFileReader.next(into:)")
struct CaptureFileReaderReuseTests {
    /// Reading into one variable yields the same packets as ``CaptureFileReader/next()``, and a
    /// packet the caller kept is not changed by the reads after it (the storage is reused only
    /// when nothing else holds it).
    @Test("reading into one variable gives next()'s packets; kept packets stay intact", arguments: CaptureFileReaderFixtureTests.names)
    func reuseMatchesNext(name: String) throws {
        let path = fixturePath(name)
        let expected = try CaptureFileReader.readAll(path: path)
        let reader = try CaptureFileReader(path: path)
        var packet = CapturedPacket(frameNumber: 0, timestampNanoseconds: 0, linkType: .ethernet, data: [], originalLength: 0)
        var kept: [CapturedPacket] = []
        var count = 0
        while try reader.next(into: &packet) {
            #expect(packet == expected[count], "\(name) frame \(count + 1)")
            // every third packet is kept, so the next read meets a shared buffer
            if count % 3 == 0 { kept.append(packet) }
            count += 1
        }
        #expect(count == expected.count)
        #expect(try reader.next(into: &packet) == false)
        for packet in kept { #expect(packet == expected[packet.frameNumber - 1], "\(name) kept frame \(packet.frameNumber) changed") }
    }
}

@Suite("CaptureFileReader on a pipe")
struct CaptureFileReaderStreamTests {
    /// A capture written into a pipe a few octets at a time (so that reads come back short,
    /// headers and records split anywhere) reads exactly as the file does: classic pcap through
    /// libpcap over a stdio stream, pcapng through the native reader, the header looked at
    /// without being consumed.
    @Test("a capture trickling through a pipe reads as the file does", arguments: CaptureFileReaderFixtureTests.names)
    func trickle(name: String) throws {
        let path = fixturePath(name)
        let (expected, expectedError) = readUntilError(path)
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        var ends: [Int32] = [0, 0]
        try #require(pipe(&ends) == 0)
        let (readEnd, writeEnd) = (ends[0], ends[1])
        let writer = Thread {
            var rng = SystemRandomNumberGenerator()
            var offset = 0
            while offset < bytes.count {
                let chunk = min(bytes.count - offset, Int.random(in: 1...13, using: &rng))
                let written = bytes[offset..<(offset + chunk)].withUnsafeBytes { write(writeEnd, $0.baseAddress, chunk) }
                if written <= 0 { break }
                offset += written
                if offset % 5 == 0 { sched_yield() }
            }
            close(writeEnd)
        }
        writer.start()
        defer {
            // whatever the reader left is read here, so the writer never meets a closed pipe
            var sink = [UInt8](repeating: 0, count: 4096)
            while sink.withUnsafeMutableBytes({ read(readEnd, $0.baseAddress, $0.count) }) > 0 {}
            close(readEnd)
        }
        var packets: [CapturedPacket] = []
        var failure: Error?
        do {
            let reader = try CaptureFileReader(path: "/dev/fd/\(readEnd)")
            defer { reader.close() }
            #expect(reader.isStream)
            while let packet = try reader.next() { packets.append(packet) }
        } catch {
            failure = error
        }
        #expect(packets == expected, "\(name): \(packets.count) packets from the pipe, \(expected.count) from the file")
        #expect((failure == nil) == (expectedError == nil), "\(name): \(String(describing: failure)) vs \(String(describing: expectedError))")
    }
}

@Suite("CaptureFileReader.close")
struct CaptureFileReaderCloseTests {
    /// How many of this process's descriptors are open on `path`.
    static func descriptors(on path: String) throws -> Int {
        let fds = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")
        return fds.filter { (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\($0)")) == path }.count
    }

    /// close() gives the file back at once, while the reader object still exists, for both
    /// formats; reading after it returns nothing. (A private copy of the capture, so that no
    /// other test holds the same file open.)
    @Test("close() releases the file while the reader lives", arguments: ["dns_udp.pcap", "many_interfaces-1.pcapng"])
    func closeReleasesTheFile(name: String) throws {
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("kubetape-close-\(getpid())-\(name)").path
        try? FileManager.default.removeItem(atPath: copy)
        try FileManager.default.copyItem(atPath: fixturePath(name), toPath: copy)
        defer { try? FileManager.default.removeItem(atPath: copy) }
        let reader = try CaptureFileReader(path: copy)
        #expect(try reader.next() != nil)
        #expect(try Self.descriptors(on: copy) >= 1)
        reader.close()
        #expect(try Self.descriptors(on: copy) == 0, "\(name): a descriptor is still open after close()")
        #expect(try reader.next() == nil)
    }
}
