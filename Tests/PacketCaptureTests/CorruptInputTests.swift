import Foundation
import PacketCapture
import Testing

/// Offsets at which each record of a little-endian classic pcap starts, plus the file end.
func classicRecordOffsets(_ bytes: [UInt8]) -> [Int] {
    var offsets: [Int] = []
    var at = 24
    while at + 16 <= bytes.count {
        offsets.append(at)
        let caplen = Int(bytes[at + 8]) | Int(bytes[at + 9]) << 8 | Int(bytes[at + 10]) << 16 | Int(bytes[at + 11]) << 24
        at += 16 + caplen
    }
    offsets.append(at)
    return offsets
}

/// Offsets at which each block of a little-endian pcapng starts, with the block type.
func pcapngBlocks(_ bytes: [UInt8]) -> [(offset: Int, type: UInt32)] {
    var blocks: [(Int, UInt32)] = []
    var at = 0
    func u32(_ i: Int) -> UInt32 { UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24 }
    while at + 8 <= bytes.count {
        blocks.append((at, u32(at)))
        at += Int(u32(at + 4))
    }
    return blocks
}

@Suite("Damaged and hostile capture files")
struct CorruptInputTests {
    @Test("classic pcap cut at every length: packets before the cut, then truncatedFile naming the cut frame")
    func classicTruncationSweep() throws {
        let bytes = try fixtureBytes("dns_tcp.pcap")
        let records = classicRecordOffsets(bytes)
        #expect(records.count == 12 && records.last == bytes.count)
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        for cut in 24..<bytes.count {
            let path = try writeTemporary(Array(bytes.prefix(cut)), in: dir, name: "cut.pcap")
            let (packets, error) = readUntilError(path)
            let complete = records.dropLast().filter { $0 < cut && records[records.firstIndex(of: $0)! + 1] <= cut }.count
            #expect(packets.count == complete, "cut at \(cut)")
            #expect(packets.map(\.frameNumber) == Array(0..<complete).map { $0 + 1 })
            if records.contains(cut) {
                #expect(error == nil, "cut at record boundary \(cut) should be a clean end")
            } else {
                let error = try #require(error, "cut at \(cut) inside frame \(complete + 1) was taken for end of file")
                #expect(error.code == .truncatedFile, "cut at \(cut): \(error)")
                #expect(error.frameNumber == complete + 1)
                #expect(error.path == path)
                #expect(error.description.contains("frame \(complete + 1)"))
            }
        }
    }

    @Test("classic pcap cut in the middle of frame 5's data reports frame 5 after delivering 1–4")
    func classicMidRecord() throws {
        let bytes = try fixtureBytes("dns_tcp.pcap")
        let records = classicRecordOffsets(bytes)
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = try writeTemporary(Array(bytes.prefix(records[4] + 16 + 10)), in: dir, name: "mid.pcap")
        let reader = try CaptureFileReader(path: path)
        for n in 1...4 { #expect(try reader.next()?.frameNumber == n) }
        #expect(throws: PacketCaptureError.self) { _ = try reader.next() }
        #expect(try reader.next() == nil)
        let (_, error) = readUntilError(path)
        #expect(error?.code == .truncatedFile)
        #expect(error?.frameNumber == 5)
        #expect(error?.reason.contains("truncated dump file") == true)
    }

    @Test("pcapng cut at every length: packets before the cut, then truncatedFile")
    func pcapngTruncationSweep() throws {
        let bytes = try fixtureBytes("example.com-k8s-http.pcapng")
        let blocks = pcapngBlocks(bytes)
        let boundaries = Set(blocks.map(\.offset) + [bytes.count])
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        for cut in 4..<bytes.count {
            let path = try writeTemporary(Array(bytes.prefix(cut)), in: dir, name: "cut.pcapng")
            let (packets, error) = readUntilError(path)
            let ends = zip(blocks, blocks.dropFirst().map(\.offset) + [bytes.count])
            let complete = ends.filter { $0.0.type == 6 && $0.1 <= cut }.count
            #expect(packets.count == complete, "cut at \(cut)")
            if boundaries.contains(cut) {
                #expect(error == nil, "cut at \(cut)")
            } else {
                #expect(error?.code == .truncatedFile, "cut at \(cut): \(String(describing: error))")
                #expect(error?.frameNumber == complete + 1)
            }
        }
    }

    @Test("pcapng bad block lengths are malformedFile with the frame number, never a crash", arguments: [13, 4, 0, 0xFFFF_FFF0, 0x0100_0004] as [UInt32])
    func pcapngBadBlockLength(length: UInt32) throws {
        var bytes = try fixtureBytes("example.com-k8s-http.pcapng")
        let blocks = pcapngBlocks(bytes)
        let epbs = blocks.filter { $0.type == 6 }
        let target = epbs[3].offset  // the 4th packet
        bytes.replaceSubrange(
            (target + 4)..<(target + 8), with: [UInt8(length & 0xFF), UInt8((length >> 8) & 0xFF), UInt8((length >> 16) & 0xFF), UInt8(length >> 24)])
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = try writeTemporary(bytes, in: dir, name: "bad.pcapng")
        let (packets, error) = readUntilError(path)
        #expect(packets.count == 3)
        let e = try #require(error)
        #expect(e.code == .malformedFile || e.code == .truncatedFile, "\(e)")
        #expect(e.frameNumber == 4)
    }

    @Test("pcapng trailing block length disagreeing with the leading one is malformedFile")
    func pcapngTrailerMismatch() throws {
        var bytes = try fixtureBytes("example.com-k8s-http.pcapng")
        let epbs = pcapngBlocks(bytes).filter { $0.type == 6 }
        let next = pcapngBlocks(bytes).first { $0.offset > epbs[1].offset }!.offset
        bytes[next - 4] ^= 0x40
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (packets, error) = readUntilError(try writeTemporary(bytes, in: dir, name: "t.pcapng"))
        #expect(packets.count == 1)
        #expect(error?.code == .malformedFile)
        #expect(error?.frameNumber == 2)
        #expect(error?.reason.contains("trailing length") == true)
    }

    @Test("random bytes after a valid header never crash (classic and pcapng)", arguments: [UInt64(1), 2, 3, 4, 5, 6, 7, 8])
    func randomAfterHeader(seed: UInt64) throws {
        var rng = SeededGenerator(seed: seed)
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let classicHeader = Array(try fixtureBytes("dns_udp.pcap").prefix(24))
        let ngHeader = Array(try fixtureBytes("example.com-k8s-http.pcapng").prefix(pcapngBlocks(try fixtureBytes("example.com-k8s-http.pcapng"))[2].offset))
        for (header, ext) in [(classicHeader, "pcap"), (ngHeader, "pcapng")] {
            let noise = (0..<Int.random(in: 1...4096, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let path = try writeTemporary(header + noise, in: dir, name: "noise.\(ext)")
            let (packets, error) = readUntilError(path)
            if let error {
                #expect([.truncatedFile, .malformedFile, .unsupportedFormat].contains(error.code), "\(error)")
                #expect(error.frameNumber == packets.count + 1)
            }
        }
    }

    @Test(
        "seeded mutations of real captures never crash and errors name the next frame",
        arguments: ["dns_tcp.pcap", "example.com-k8s-http.pcapng", "many_interfaces-1.pcapng"])
    func mutations(name: String) throws {
        let original = try fixtureBytes(name)
        var rng = SeededGenerator(seed: 0x6B75_6265)
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        for round in 0..<150 {
            var bytes = original
            for _ in 0..<Int.random(in: 1...8, using: &rng) {
                let at = Int.random(in: 0..<bytes.count, using: &rng)
                bytes[at] = UInt8.random(in: 0...255, using: &rng)
            }
            if round % 5 == 0 { bytes = Array(bytes.prefix(Int.random(in: 0..<bytes.count, using: &rng))) }
            let path = try writeTemporary(bytes, in: dir, name: "m\(round)-\(name)")
            let (packets, error) = readUntilError(path)
            #expect(packets.map(\.frameNumber) == Array(0..<packets.count).map { $0 + 1 })
            if let error, let frame = error.frameNumber { #expect(frame == packets.count + 1) }
        }
    }

    @Test("a bogus link type is passed through as LinkType(raw)")
    func bogusLinkType() throws {
        var bytes = try fixtureBytes("dns_udp.pcap")
        bytes.replaceSubrange(20..<24, with: [0xEF, 0xBE, 0, 0])
        var ng = PcapngBuilder()
        ng.sectionHeader()
        ng.interface(linkType: 0xBEEF)
        ng.enhancedPacket(interface: 0, units: 1, data: [1, 2, 3])
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        for path in [try writeTemporary(bytes, in: dir, name: "bogus.pcap"), try writeTemporary(ng.bytes, in: dir, name: "bogus.pcapng")] {
            let packets = try CaptureFileReader.readAll(path: path)
            #expect(!packets.isEmpty)
            #expect(packets.allSatisfy { $0.linkType == LinkType(0xBEEF) })
            #expect(packets[0].linkType.description == "LINKTYPE_48879")
        }
    }

    @Test(
        "not a capture file, empty, missing, directory",
        arguments: [
            ("text", Array("hello, this is not a capture\n".utf8), PacketCaptureError.Code.notACaptureFile),
            ("empty", [], .notACaptureFile),
            ("short", [0xD4, 0xC3], .notACaptureFile),
            ("pcap-header-cut", [0xD4, 0xC3, 0xB2, 0xA1, 2, 0, 4, 0, 0, 0], .truncatedFile),
        ])
    func notCaptures(label: String, bytes: [UInt8], code: PacketCaptureError.Code) throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = try writeTemporary(bytes, in: dir, name: label)
        #expect {
            _ = try CaptureFileReader(path: path)
        } throws: { error in
            (error as? PacketCaptureError)?.code == code && (error as? PacketCaptureError)?.path == path
        }
    }

    @Test("missing file and directory are unreadableFile")
    func unreadable() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        for path in [dir.appendingPathComponent("missing.pcap").path, dir.path] {
            #expect {
                _ = try CaptureFileReader(path: path)
            } throws: { error in
                (error as? PacketCaptureError)?.code == .unreadableFile
            }
        }
    }

    @Test("pcapng: a packet naming an undescribed interface, and version 2, are errors")
    func pcapngStructuralErrors() throws {
        var a = PcapngBuilder()
        a.sectionHeader()
        a.interface(linkType: 1)
        a.enhancedPacket(interface: 0, units: 0, data: [0])
        a.enhancedPacket(interface: 3, units: 0, data: [0])
        var b = PcapngBuilder()
        b.sectionHeader(major: 2)
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (packets, error) = readUntilError(try writeTemporary(a.bytes, in: dir, name: "a.pcapng"))
        #expect(packets.count == 1)
        #expect(error?.code == .malformedFile)
        #expect(error?.frameNumber == 2)
        let (_, error2) = readUntilError(try writeTemporary(b.bytes, in: dir, name: "b.pcapng"))
        #expect(error2?.code == .unsupportedFormat)
    }
}
