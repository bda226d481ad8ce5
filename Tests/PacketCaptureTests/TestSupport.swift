import Foundation
import PacketCapture
import Testing

/// The nineteen public captures in Fixtures/ with packet counts verified once with
/// `tshark -r F -T fields -e frame.number | wc -l` and `capinfos -c` (see Fixtures/MANIFEST.md).
let fixtureCounts: [String: Int] = [
    "100-continue.pcap": 66, "dns-badlabel.pcap": 1, "dns-edns-ecs.pcap": 89, "dns_srv.pcap": 2,
    "dns_tcp.pcap": 11, "dns_udp.pcap": 2, "dns_udp_2.pcap": 2, "dnso1tcp-midmiss.pcap": 19,
    "dnso1tcp.pcap": 212, "dnsotcp-many1pkt.pcap": 10, "docker-http-upgrade.pcap": 200,
    "edns-opts.pcap": 42, "four_ipv6_http_streams.pcap": 81, "http-packets2.pcap": 222,
    "sll.pcap": 518, "sll2.pcap": 2, "example.com-k8s-http.pcapng": 29,
    "many_interfaces-1.pcapng": 64, "pcapng-multi-interface.pcapng": 6,
]

func fixturePath(_ name: String) -> String {
    guard let url = Bundle.module.url(forResource: "Fixtures", withExtension: nil) else {
        Issue.record("Fixtures directory missing from the test bundle")
        return "/nonexistent/\(name)"
    }
    return url.appendingPathComponent(name).path
}

func fixtureBytes(_ name: String) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: URL(fileURLWithPath: fixturePath(name))))
}

/// A fresh directory under the system temporary directory, removed by the caller.
func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("kubetape-pc-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

func writeTemporary(_ bytes: [UInt8], in directory: URL, name: String) throws -> String {
    let url = directory.appendingPathComponent(name)
    try Data(bytes).write(to: url)
    return url.path
}

struct ToolResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Finds a tool on PATH or fails the test with a clear message.
func requireTool(_ name: String) throws -> String {
    for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin:/usr/sbin:/sbin").split(separator: ":") + ["/usr/sbin", "/usr/bin"] {
        let candidate = "\(dir)/\(name)"
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    struct MissingTool: Error, CustomStringConvertible { var description: String }
    throw MissingTool(description: "\(name) is required for this test but is not installed (apt-get install \(name == "tshark" ? "tshark" : name))")
}

/// Runs a tool to completion, capturing its output.
func run(_ tool: String, _ arguments: [String]) throws -> ToolResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: try requireTool(tool))
    process.arguments = arguments
    // Output goes to temporary files, not pipes: reading pipes with FileHandle traps on EINTR
    // when several tests run tools in parallel.
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let outURL = dir.appendingPathComponent("stdout")
    let errURL = dir.appendingPathComponent("stderr")
    FileManager.default.createFile(atPath: outURL.path, contents: nil)
    FileManager.default.createFile(atPath: errURL.path, contents: nil)
    let out = try FileHandle(forWritingTo: outURL)
    let err = try FileHandle(forWritingTo: errURL)
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    try? out.close()
    try? err.close()
    let outData = (try? Data(contentsOf: outURL)) ?? Data()
    let errData = (try? Data(contentsOf: errURL)) ?? Data()
    return ToolResult(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self), stderr: String(decoding: errData, as: UTF8.self))
}

/// tshark's view of a file: one line per frame with tab-separated fields.
func tsharkFields(_ path: String, _ fields: [String], options: [String] = []) throws -> [[String]] {
    var arguments = ["-n", "-r", path, "-T", "fields", "-E", "separator=/t"] + options
    for field in fields { arguments += ["-e", field] }
    let result = try run("tshark", arguments)
    #expect(result.status == 0, "tshark failed on \(path): \(result.stderr)")
    return result.stdout.split(separator: "\n", omittingEmptySubsequences: true).map {
        $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
    }
}

/// Reads packets until the end or an error, returning both.
func readUntilError(_ path: String) -> (packets: [CapturedPacket], error: PacketCaptureError?) {
    var packets: [CapturedPacket] = []
    do {
        let reader = try CaptureFileReader(path: path)
        while let packet = try reader.next() { packets.append(packet) }
        return (packets, nil)
    } catch let error as PacketCaptureError {
        return (packets, error)
    } catch {
        Issue.record("unexpected error type \(type(of: error)): \(error)")
        return (packets, nil)
    }
}

/// Formats nanoseconds since the epoch as tshark's `frame.time_epoch` (9 decimals).
func epochText(_ nanoseconds: Int64) -> String {
    let seconds = nanoseconds / 1_000_000_000
    let fraction = String(nanoseconds % 1_000_000_000)
    return "\(seconds)." + String(repeating: "0", count: 9 - fraction.count) + fraction
}

/// A small seeded generator (SplitMix64) so mutation tests are reproducible.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Builds pcapng files block by block in either byte order, for reader tests.
struct PcapngBuilder {
    var bigEndian: Bool
    var bytes: [UInt8] = []

    init(bigEndian: Bool = false) { self.bigEndian = bigEndian }

    func u16(_ v: UInt16) -> [UInt8] { bigEndian ? [UInt8(v >> 8), UInt8(v & 0xFF)] : [UInt8(v & 0xFF), UInt8(v >> 8)] }
    func u32(_ v: UInt32) -> [UInt8] {
        let le = [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF), UInt8((v >> 16) & 0xFF), UInt8(v >> 24)]
        return bigEndian ? le.reversed() : le
    }
    func padded(_ b: [UInt8]) -> [UInt8] { b + [UInt8](repeating: 0, count: (4 - b.count % 4) % 4) }
    func option(_ code: UInt16, _ value: [UInt8]) -> [UInt8] { u16(code) + u16(UInt16(value.count)) + padded(value) }

    mutating func block(_ type: UInt32, _ body: [UInt8]) {
        let total = UInt32(12 + body.count)
        bytes += u32(type) + u32(total) + body + u32(total)
    }

    mutating func sectionHeader(major: UInt16 = 1) {
        block(0x0A0D_0D0A, u32(0x1A2B_3C4D) + u16(major) + u16(0) + [UInt8](repeating: 0xFF, count: 8))
    }

    mutating func interface(linkType: UInt16, snapLength: UInt32 = 0, name: String? = nil, tsresol: UInt8? = nil, tsoffset: Int64? = nil) {
        var options: [UInt8] = []
        if let name { options += option(2, Array(name.utf8)) }
        if let tsresol { options += option(9, [tsresol]) }
        if let tsoffset {
            let v = UInt64(bitPattern: tsoffset)
            options += option(14, bigEndian ? u32(UInt32(v >> 32)) + u32(UInt32(v & 0xFFFF_FFFF)) : u32(UInt32(v & 0xFFFF_FFFF)) + u32(UInt32(v >> 32)))
        }
        if !options.isEmpty { options += u16(0) + u16(0) }
        block(1, u16(linkType) + u16(0) + u32(snapLength) + options)
    }

    mutating func enhancedPacket(interface: UInt32, units: UInt64, data: [UInt8], originalLength: Int? = nil) {
        block(
            6,
            u32(interface) + u32(UInt32(units >> 32)) + u32(UInt32(units & 0xFFFF_FFFF)) + u32(UInt32(data.count)) + u32(UInt32(originalLength ?? data.count))
                + padded(data))
    }

    mutating func simplePacket(data: [UInt8], originalLength: Int? = nil) {
        block(3, u32(UInt32(originalLength ?? data.count)) + padded(data))
    }

    mutating func obsoletePacket(interface: UInt16, units: UInt64, data: [UInt8]) {
        block(
            2,
            u16(interface) + u16(0) + u32(UInt32(units >> 32)) + u32(UInt32(units & 0xFFFF_FFFF)) + u32(UInt32(data.count)) + u32(UInt32(data.count))
                + padded(data))
    }
}

/// Compares packet lists and reports only the first difference (never whole arrays).
func expectSamePackets(_ actual: [CapturedPacket], _ expected: [CapturedPacket], _ context: String, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(actual.count == expected.count, "\(context): \(actual.count) packets, expected \(expected.count)", sourceLocation: sourceLocation)
    for (a, e) in zip(actual, expected) where a != e {
        func summary(_ p: CapturedPacket) -> String {
            "#\(p.frameNumber) t=\(p.timestampNanoseconds) \(p.linkType) caplen=\(p.data.count) len=\(p.originalLength) if=\(p.interfaceIndex)/\(p.interfaceName ?? "-") data=\(p.data.prefix(8))"
        }
        Issue.record(
            "\(context): frame \(e.frameNumber) differs: got \(summary(a)), expected \(summary(e))\(a.data != e.data ? " (octets differ)" : "")",
            sourceLocation: sourceLocation)
        return
    }
}
