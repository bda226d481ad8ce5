import Foundation
import PacketCapture
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A UDP socket bound to 127.0.0.1 on a kernel-chosen port; datagrams are sent to it only.
final class LoopbackUDPReceiver: Sendable {
    let fd: Int32
    let port: UInt16

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        struct SocketError: Error {}
        guard fd >= 0, bound == 0, named == 0 else {
            close(fd)
            throw SocketError()
        }
        self.fd = fd
        port = UInt16(bigEndian: address.sin_port)
    }

    deinit { close(fd) }

    /// Sends `payload` from an ephemeral socket to 127.0.0.1:`port`.
    func send(_ payload: [UInt8]) {
        let sender = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(sender) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = port.bigEndian
        _ = payload.withUnsafeBytes { raw in
            withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(sender, raw.baseAddress, raw.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
    }
}

func requireRoot() throws {
    try #require(geteuid() == 0, "live capture tests need root (CAP_NET_RAW and CAP_NET_ADMIN); run `swift test` as root — the CI script does")
}

func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
    guard needle.count <= haystack.count else { return false }
    return (0...(haystack.count - needle.count)).contains { Array(haystack[$0..<($0 + needle.count)]) == needle }
}

@Suite("LiveCapture (needs root)")
struct LiveCaptureTests {
    @Test("capture on lo with filter `udp port P` sees the datagrams the test sends; tshark reads the written file")
    func loopbackUDP() throws {
        try requireRoot()
        let receiver = try LoopbackUDPReceiver()
        var configuration = LiveCaptureConfiguration(interface: "lo", filter: "udp port \(receiver.port)")
        configuration.snapLength = 65535
        let capture = try LiveCapture(configuration: configuration)
        defer { capture.close() }
        #expect(capture.linkType == .ethernet)
        let payloads = (1...5).map { Array("kubetape-live-\($0)-\(receiver.port)".utf8) }
        for payload in payloads { receiver.send(payload) }
        var captured: [CapturedPacket] = []
        let start = ContinuousClock.now
        let stats = try capture.run(duration: .seconds(5), count: 5) { captured.append($0) }
        #expect(ContinuousClock.now - start < .seconds(4), "count limit should stop the capture early")
        #expect(captured.count == 5)
        #expect(captured.map(\.frameNumber) == [1, 2, 3, 4, 5])
        for (packet, payload) in zip(captured, payloads) {
            #expect(contains(packet.data, payload), "frame \(packet.frameNumber) lacks its payload")
            #expect(packet.linkType == .ethernet)
            #expect(packet.originalLength == packet.data.count)
            #expect(abs(packet.timestampNanoseconds / 1_000_000_000 - Int64(Date().timeIntervalSince1970)) < 60)
        }
        #expect(stats.delivered == 5)
        #expect(stats.received >= 5)
        #expect(stats.dropped == 0)

        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("live.pcap").path
        let writer = try PcapWriter(path: path, linkType: capture.linkType)
        for packet in captured { try writer.write(packet) }
        try writer.close()
        let rows = try tsharkFields(path, ["udp.dstport", "ip.dst"])
        #expect(rows == Array(repeating: ["\(receiver.port)", "127.0.0.1"], count: 5))
    }

    @Test("a burst of 5,000 loopback datagrams is captured without drops in the default buffered mode")
    func burst() throws {
        try requireRoot()
        let receiver = try LoopbackUDPReceiver()
        // All datagrams are sent before reading starts: 5,000 × 2 copies on lo (outgoing and
        // incoming) of ~224 octets each fit an 8 MiB buffer in buffered (TPACKET_V3) mode, while
        // immediate mode's ring of snap-length-sized frames would overflow.
        var configuration = LiveCaptureConfiguration(interface: "lo", filter: "udp dst port \(receiver.port)")
        configuration.bufferSize = 8 << 20
        let capture = try LiveCapture(configuration: configuration)
        defer { capture.close() }
        #expect(!capture.configuration.immediateMode)
        let payload = [UInt8](repeating: 0x6B, count: 100)
        for _ in 0..<5_000 { receiver.send(payload) }
        var delivered = 0
        let stats = try capture.run(duration: .seconds(10), count: 5_000) { _ in delivered += 1 }
        #expect(delivered == 5_000)
        #expect(stats.dropped == 0)
    }

    @Test("-i any selects LINUX_SLL2 like tcpdump; LINUX_SLL on request", arguments: [nil, LinkType.linuxSLL])
    func anyInterface(requested: LinkType?) throws {
        try requireRoot()
        let receiver = try LoopbackUDPReceiver()
        var configuration = LiveCaptureConfiguration(interface: "any", filter: "udp dst port \(receiver.port)")
        configuration.linkType = requested
        let capture = try LiveCapture(configuration: configuration)
        defer { capture.close() }
        let expected = requested ?? .linuxSLL2
        #expect(capture.linkType == expected)
        receiver.send(Array("any-\(receiver.port)".utf8))
        var captured: [CapturedPacket] = []
        _ = try capture.run(duration: .seconds(5), count: 1) { captured.append($0) }
        let packet = try #require(captured.first)
        #expect(packet.linkType == expected)
        #expect(contains(packet.data, Array("any-\(receiver.port)".utf8)))
        // Protocol type 0x0800 (IPv4): first two octets of SLL2, octets 14–15 of SLL.
        let protocolOffset = expected == .linuxSLL2 ? 0 : 14
        #expect(Array(packet.data[protocolOffset..<(protocolOffset + 2)]) == [0x08, 0x00])
        if expected == .linuxSLL2 {
            // SLL2 carries the interface index of lo.
            let index = packet.data[4..<8].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            #expect(index == if_nametoindex("lo"))
        }
    }

    @Test("a bad filter is badFilter with libpcap's message and the filter text")
    func badFilter() throws {
        try requireRoot()
        #expect {
            _ = try LiveCapture(configuration: LiveCaptureConfiguration(interface: "lo", filter: "udp port banana"))
        } throws: { error in
            guard let error = error as? PacketCaptureError else { return false }
            return error.code == .badFilter && error.reason.contains("udp port banana") && error.reason.contains("banana") && error.interface == "lo"
                && error.reason.count > "bad capture filter \"udp port banana\": ".count
        }
    }

    @Test("an unknown interface is noSuchInterface listing the available ones")
    func unknownInterface() throws {
        try requireRoot()
        let available = try LiveCapture.availableInterfaces()
        #expect(available.contains("lo"))
        #expect(available.contains("any"))
        #expect {
            _ = try LiveCapture(configuration: LiveCaptureConfiguration(interface: "kubetape-nope0"))
        } throws: { error in
            guard let error = error as? PacketCaptureError else { return false }
            return error.code == .noSuchInterface && error.reason.contains("kubetape-nope0") && error.reason.contains("lo")
        }
    }

    @Test("an unsupported link type is refused with the offered list")
    func unsupportedLinkType() throws {
        try requireRoot()
        var configuration = LiveCaptureConfiguration(interface: "lo")
        configuration.linkType = LinkType(147)
        #expect {
            _ = try LiveCapture(configuration: configuration)
        } throws: { ($0 as? PacketCaptureError)?.code == .unsupportedLinkType && ($0 as? PacketCaptureError)?.reason.contains("EN10MB") == true }
    }

    @Test("requestStop from another thread ends run within a few read timeouts; duration limit also ends it")
    func stopping() throws {
        try requireRoot()
        let receiver = try LoopbackUDPReceiver()
        let capture = try LiveCapture(configuration: LiveCaptureConfiguration(interface: "lo", filter: "udp port \(receiver.port)"))
        defer { capture.close() }
        // A plain thread (Dispatch's pool may be busy with other tests).
        Thread.detachNewThread {
            usleep(300_000)
            capture.requestStop()
        }
        let start = ContinuousClock.now
        var idles = 0
        let stats = try capture.run(onIdle: { idles += 1 }, handler: { _ in })
        let elapsed = ContinuousClock.now - start
        #expect(elapsed >= .milliseconds(250))
        #expect(elapsed < .seconds(2))
        #expect(idles >= 1)
        #expect(stats.delivered == 0)
        #expect(capture.isStopRequested)

        let timed = try LiveCapture(configuration: LiveCaptureConfiguration(interface: "lo", filter: "udp port \(receiver.port)"))
        defer { timed.close() }
        let t0 = ContinuousClock.now
        _ = try timed.run(duration: .milliseconds(400)) { _ in }
        let spent = ContinuousClock.now - t0
        #expect(spent >= .milliseconds(400) && spent < .seconds(2))
    }
}
