import Foundation
import PacketCapture
import Testing

@Suite("PcapWriter")
struct PcapWriterTests {
    static let samples: [CapturedPacket] = [
        CapturedPacket(
            frameNumber: 1, timestampNanoseconds: 1_764_165_600_123_456_789, linkType: .linuxSLL2, data: Array(repeating: 0xAB, count: 20) + [1, 2, 3],
            originalLength: 23),
        CapturedPacket(
            frameNumber: 2, timestampNanoseconds: 1_764_165_600_999_999_999, linkType: .linuxSLL2, data: Array(0..<200).map { UInt8($0) }, originalLength: 1500),
        CapturedPacket(frameNumber: 3, timestampNanoseconds: 0, linkType: .linuxSLL2, data: [], originalLength: 0),
    ]

    @Test("write then read round trip, nanosecond and microsecond magic", arguments: [PcapWriter.TimestampPrecision.nanoseconds, .microseconds])
    func roundTrip(precision: PcapWriter.TimestampPrecision) throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("rt.pcap").path
        let writer = try PcapWriter(path: path, linkType: .linuxSLL2, timestampPrecision: precision)
        for packet in Self.samples { try writer.write(packet) }
        try writer.close()
        try writer.close()  // idempotent
        #expect(writer.packetsWritten == 3)
        let reader = try CaptureFileReader(path: path)
        #expect(reader.format == (precision == .nanoseconds ? .pcapNanoseconds : .pcap))
        #expect(reader.fileLinkType == .linuxSLL2)
        var back: [CapturedPacket] = []
        while let packet = try reader.next() { back.append(packet) }
        var expected = Self.samples
        if precision == .microseconds {
            for i in expected.indices { expected[i].timestampNanoseconds -= expected[i].timestampNanoseconds % 1000 }
        }
        expectSamePackets(back, expected, "round trip")
        // Byte-exact header: little-endian magic, version 2.4, snaplen 262144, link type 276.
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let magic: [UInt8] = precision == .nanoseconds ? [0x4D, 0x3C, 0xB2, 0xA1] : [0xD4, 0xC3, 0xB2, 0xA1]
        #expect(Array(bytes.prefix(24)) == magic + [2, 0, 4, 0] + [0, 0, 0, 0, 0, 0, 0, 0] + [0, 0, 4, 0] + [0x14, 0x01, 0, 0])
    }

    @Test("tshark and tcpdump open the written file and see the same packets")
    func peersRead() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        // Real packets: the SLL2 DNS exchange, rewritten.
        let packets = try CaptureFileReader.readAll(path: fixturePath("sll2.pcap"))
        let path = dir.appendingPathComponent("peer.pcap").path
        let writer = try PcapWriter(path: path, linkType: .linuxSLL2)
        for packet in packets { try writer.write(packet) }
        try writer.close()
        let tshark = try run("tshark", ["-n", "-r", path, "-T", "fields", "-e", "frame.number", "-e", "dns.qry.name", "-e", "frame.time_epoch"])
        #expect(tshark.status == 0, "tshark: \(tshark.stderr)")
        let lines = tshark.stdout.split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines.first?.contains(",.") == true)
        #expect(lines.first?.hasSuffix(epochText(packets[0].timestampNanoseconds)) == true)
        let tcpdump = try run("tcpdump", ["-n", "-r", path])
        #expect(tcpdump.status == 0, "tcpdump: \(tcpdump.stderr)")
        #expect(tcpdump.stdout.split(separator: "\n").count == 2)
        #expect(tcpdump.stderr.contains("LINUX_SLL2"))
        let original = try run("tcpdump", ["-n", "-r", fixturePath("sll2.pcap")])
        #expect(tcpdump.stdout == original.stdout)
    }

    @Test("a packet of another link type is rejected; the writer stays usable")
    func linkTypeMismatch() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let writer = try PcapWriter(path: dir.appendingPathComponent("m.pcap").path, linkType: .ethernet)
        #expect {
            try writer.write(Self.samples[0])
        } throws: { ($0 as? PacketCaptureError)?.code == .linkTypeMismatch && ($0 as? PacketCaptureError)?.frameNumber == 1 }
        var ok = Self.samples[0]
        ok.linkType = .ethernet
        try writer.write(ok)
        try writer.close()
        #expect(try CaptureFileReader.readAll(path: writer.path).count == 1)
    }

    @Test("snap length cuts data but keeps the original length; timestamps before 1970 are refused")
    func snapAndRange() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let writer = try PcapWriter(path: dir.appendingPathComponent("s.pcap").path, linkType: .linuxSLL2, snapLength: 10)
        try writer.write(Self.samples[1])
        #expect(throws: PacketCaptureError.self) {
            var old = Self.samples[0]
            old.timestampNanoseconds = -5
            try writer.write(old)
        }
        try writer.close()
        let back = try CaptureFileReader.readAll(path: writer.path)
        #expect(back.count == 1)
        #expect(back[0].data == Array(Self.samples[1].data.prefix(10)))
        #expect(back[0].originalLength == 1500)
    }

    @Test("an unwritable path is writeFailed")
    func unwritable() {
        #expect {
            _ = try PcapWriter(path: "/nonexistent-dir/x.pcap", linkType: .ethernet)
        } throws: { ($0 as? PacketCaptureError)?.code == .writeFailed }
    }
}
