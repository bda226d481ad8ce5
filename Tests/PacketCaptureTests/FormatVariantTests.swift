import Foundation
import PacketCapture
import Testing

/// Rewrites a little-endian microsecond classic pcap in big-endian byte order.
func byteSwappedClassic(_ bytes: [UInt8]) -> [UInt8] {
    var out = bytes
    func swap(_ at: Int, _ width: Int) { out.replaceSubrange(at..<(at + width), with: out[at..<(at + width)].reversed()) }
    swap(0, 4)
    swap(4, 2)
    swap(6, 2)
    for field in stride(from: 8, to: 24, by: 4) { swap(field, 4) }
    for record in classicRecordOffsets(bytes).dropLast() {
        for field in stride(from: record, to: record + 16, by: 4) { swap(field, 4) }
    }
    return out
}

@Suite("Capture file format variants")
struct FormatVariantTests {
    @Test(
        "big-endian, nanosecond (editcap) and pcapng (editcap) versions of a pcap read the same packets",
        arguments: ["dns_tcp.pcap", "sll.pcap", "four_ipv6_http_streams.pcap"])
    func variants(name: String) throws {
        let original = try CaptureFileReader.readAll(path: fixturePath(name))
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let big = try writeTemporary(byteSwappedClassic(try fixtureBytes(name)), in: dir, name: "big.pcap")
        let nsec = dir.appendingPathComponent("nsec.pcap").path
        let ng = dir.appendingPathComponent("x.pcapng").path
        #expect(try run("editcap", ["-F", "nsecpcap", fixturePath(name), nsec]).status == 0)
        #expect(try run("editcap", ["-F", "pcapng", fixturePath(name), ng]).status == 0)
        for (path, format) in [(big, CaptureFileFormat.pcap), (nsec, .pcapNanoseconds), (ng, .pcapng)] {
            let reader = try CaptureFileReader(path: path)
            #expect(reader.format == format)
            var packets: [CapturedPacket] = []
            while let packet = try reader.next() { packets.append(packet) }
            #expect(packets.count == original.count, "\(path)")
            // editcap writes LINKTYPE_RAW (101) for the DLT_RAW value 12 in the original header.
            var expected = original
            if path != big {
                for i in expected.indices where expected[i].linkType == LinkType(12) { expected[i].linkType = .raw }
            }
            expectSamePackets(packets, expected, "\(name) as \(format)")
        }
    }

    @Test("native pcapng: two sections of opposite byte order, binary if_tsresol, tsoffset, simple and obsolete packet blocks, unknown blocks skipped")
    func syntheticPcapng() throws {
        var le = PcapngBuilder(bigEndian: false)
        le.sectionHeader()
        le.interface(linkType: 1, snapLength: 0, name: "eth0", tsresol: 9)
        le.block(0x0000_0099, [1, 2, 3, 4])  // unassigned block type
        le.interface(linkType: 276, name: "any", tsresol: 0x80 | 10, tsoffset: 100)  // 2^-10 s
        le.enhancedPacket(interface: 0, units: 1_700_000_000_123_456_789, data: [0xAA, 0xBB, 0xCC], originalLength: 60)
        le.enhancedPacket(interface: 1, units: (5 << 10) | 512, data: [1, 2, 3, 4, 5])  // 5.5 s + 100 s offset
        le.block(5, [UInt8](repeating: 0, count: 16))  // interface statistics
        var be = PcapngBuilder(bigEndian: true)
        be.sectionHeader()
        be.interface(linkType: 101, snapLength: 4, name: "tun0")
        be.simplePacket(data: [9, 8, 7, 6], originalLength: 6)  // cut to the IDB snap length
        be.obsoletePacket(interface: 0, units: 2_000_001, data: [0x45])
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = try writeTemporary(le.bytes + be.bytes, in: dir, name: "two.pcapng")
        let reader = try CaptureFileReader(path: path)
        var packets: [CapturedPacket] = []
        while let packet = try reader.next() { packets.append(packet) }
        expectSamePackets(
            packets,
            [
                CapturedPacket(
                    frameNumber: 1, timestampNanoseconds: 1_700_000_000_123_456_789, linkType: .ethernet, data: [0xAA, 0xBB, 0xCC], originalLength: 60,
                    interfaceName: "eth0", interfaceIndex: 0),
                CapturedPacket(
                    frameNumber: 2, timestampNanoseconds: 105_500_000_000, linkType: .linuxSLL2, data: [1, 2, 3, 4, 5], originalLength: 5, interfaceName: "any",
                    interfaceIndex: 1),
                CapturedPacket(
                    frameNumber: 3, timestampNanoseconds: 0, linkType: .raw, data: [9, 8, 7, 6], originalLength: 6, interfaceName: "tun0", interfaceIndex: 0),
                CapturedPacket(
                    frameNumber: 4, timestampNanoseconds: 2_000_001_000, linkType: .raw, data: [0x45], originalLength: 1, interfaceName: "tun0",
                    interfaceIndex: 0),
            ], "synthetic two-section pcapng")
        #expect(reader.interfaces.map(\.section) == [0, 0, 1])
        #expect(reader.interfaces.map(\.name) == ["eth0", "any", "tun0"])
        // tshark agrees on the frame count and the timestamps of this hand-built file.
        let oracle = try tsharkFields(path, ["frame.number", "frame.time_epoch", "frame.interface_name"])
        #expect(oracle.map { $0.first ?? "" } == ["1", "2", "3", "4"])
        // (TShark 4.0 names second-section interfaces after the first section's, so only the
        // first section's names are compared.)
        #expect(oracle.prefix(2).map { $0.count > 2 ? $0[2] : "?" } == ["eth0", "any"])
        if oracle.count == 4 {
            for i in [0, 1, 3] { #expect(oracle[i][1] == epochText(packets[i].timestampNanoseconds)) }
        }
    }
}
