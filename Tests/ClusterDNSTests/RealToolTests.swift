import ClusterDNS
import ClusterModel
import DNSWire
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A loopback UDP server answering with a ClusterDNSResponder, so that the real BIND `nslookup`
/// and `dig` can be compared with kubetape's transcripts. Bound to 127.0.0.1 on an ephemeral port.
final class LoopbackDNSServer: @unchecked Sendable {
    let fd: Int32
    let port: UInt16
    private var responder: ClusterDNSResponder
    private let lock = NSLock()
    private var running = true
    private let done = DispatchSemaphore(value: 0)

    init(responder: ClusterDNSResponder) throws {
        self.responder = responder
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else {
            close(fd)
            throw POSIXError(.EADDRINUSE)
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        self.fd = fd
        port = UInt16(bigEndian: address.sin_port)
        let thread = Thread { [self] in self.serve() }
        thread.start()
    }

    private func serve() {
        var buffer = [UInt8](repeating: 0, count: 65535)
        // bounded: at most 60 s of serving even if nobody stops it
        let deadline = Date().addingTimeInterval(60)
        while lock.withLock({ running }) && Date() < deadline {
            var peer = sockaddr_storage()
            var peerLength = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let n = buffer.withUnsafeMutableBytes { raw in
                withUnsafeMutablePointer(to: &peer) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(fd, raw.baseAddress, raw.count, 0, $0, &peerLength) }
                }
            }
            guard n > 0, let query = try? DNSMessage(wireFormat: buffer[0..<n]), !query.header.isResponse else { continue }
            let reply = lock.withLock { responder.respond(to: query) }
            guard let (fitted, compress) = try? ReplyTruncation.fit(reply, limit: ReplyTruncation.limit(for: query)),
                let bytes = try? fitted.wireBytes(compress: compress)
            else { continue }
            _ = bytes.withUnsafeBytes { raw in
                withUnsafePointer(to: &peer) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(fd, raw.baseAddress, raw.count, 0, $0, peerLength) }
                }
            }
        }
        done.signal()
    }

    func stop() {
        lock.withLock { running = false }
        done.wait()
        close(fd)
    }
}

/// Runs a tool with a time limit; returns stdout and the exit status.
func runTool(_ path: String, _ arguments: [String]) throws -> (String, Int32) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = FileHandle.nullDevice
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (String(decoding: data, as: UTF8.self), process.terminationStatus)
}

@Suite("Transcripts against the real BIND nslookup and dig", .serialized)
struct RealToolTests {
    static func tool(_ name: String) throws -> String {
        for dir in ["/usr/bin", "/bin", "/usr/local/bin"] where FileManager.default.isExecutableFile(atPath: "\(dir)/\(name)") {
            return "\(dir)/\(name)"
        }
        Issue.record("\(name) is not installed (Debian: apt-get install dnsutils); the comparison cannot run")
        throw POSIXError(.ENOENT)
    }

    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        var type: DNSType? = nil
        var domain = "kiada.svc.cluster.local"
        var testCluster = false
        var testDescription: String { "\(name) \(type.map(\.description) ?? "default") (search \(domain))" }
    }

    static let cases: [Case] = [
        Case(name: "quote-headless"),
        Case(name: "quote"),
        Case(name: "quote.kiada"),
        Case(name: "nosuch"),
        Case(name: "kiada.svc.cluster.local."),
        Case(name: "_http._tcp.quote-headless", type: .srv),
        Case(name: "97.161.96.10.in-addr.arpa.", type: .ptr),
        Case(name: "dns-version.cluster.local.", type: .txt),
        Case(name: "quote", type: .aaaa),
        Case(name: "cluster.local.", type: .soa),
        Case(name: "cluster.local.", type: .ns),
        Case(name: "external-to-service", domain: "testns.svc.cluster.local", testCluster: true),
        Case(name: "external", domain: "testns.svc.cluster.local", testCluster: true),
        Case(name: "hdls-dual", domain: "testns.svc.cluster.local", testCluster: true),
    ]

    static func responder(_ c: Case) throws -> ClusterDNSResponder {
        let cluster = c.testCluster ? TestCluster.cluster : try ChapterClusterTests.cluster()
        return ClusterDNSResponder(cluster: cluster, options: ClusterDNSOptions(ttl: 30, answerOrder: .none))
    }

    static func conf(_ c: Case) -> ResolvConf {
        ResolvConf(nameservers: ["127.0.0.1"], searches: [c.domain], options: [.init(name: "ndots", value: "5")])
    }

    @Test("nslookup prints what kubetape says it prints", arguments: cases)
    func nslookup(_ c: Case) throws {
        let path = try Self.tool("nslookup")
        var model = try Self.responder(c)
        // the server is given on nslookup's command line here, as in `nslookup NAME 127.0.0.1`
        let expected = try ToolTranscript.run(.nslookup, name: c.name, type: c.type, resolvConf: Self.conf(c), serverOnCommandLine: true) {
            model.respond(to: $0)
        }
        let server = try LoopbackDNSServer(responder: try Self.responder(c))
        defer { server.stop() }
        var arguments = ["-port=\(server.port)", "-domain=\(c.domain)", "-ndots=5", "-timeout=2", "-retry=1"]
        if let type = c.type { arguments.append("-type=\(type)") }
        arguments += [c.name, "127.0.0.1"]
        let (output, status) = try runTool(path, arguments)
        let real = output.replacingOccurrences(of: "127.0.0.1#\(server.port)", with: "127.0.0.1#53")
        #expect(real == expected.output)
        #expect(status == expected.exitStatus)
    }

    static let digCases: [Case] = cases.filter { $0.type != nil || $0.name == "quote-headless" || $0.name == "nosuch" }

    @Test("dig +search prints the same header, flags and sections", arguments: digCases)
    func dig(_ c: Case) throws {
        let path = try Self.tool("dig")
        var model = try Self.responder(c)
        let expected = try ToolTranscript.run(.dig, name: c.name, type: c.type, resolvConf: Self.conf(c)) { model.respond(to: $0) }
        let server = try LoopbackDNSServer(responder: try Self.responder(c))
        defer { server.stop() }
        var arguments = ["-p", "\(server.port)", "@127.0.0.1", "+search", "+ndots=5", "+domain=\(c.domain)", "+nocookie", "+time=2", "+tries=1", c.name]
        if let type = c.type { arguments.append("\(type)") }
        let (output, _) = try runTool(path, arguments)
        func core(_ text: String) -> [String] {
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            guard let start = lines.firstIndex(where: { $0.hasPrefix(";; ->>HEADER<<-") }) else { return lines }
            var out: [String] = []
            for line in lines[start...] {
                if line.hasPrefix(";; Query time") || line.hasPrefix(";; SERVER") { break }
                out.append(line.replacingOccurrences(of: #"id: \d+"#, with: "id: N", options: .regularExpression))
            }
            while out.last == "" { out.removeLast() }
            return out
        }
        // byte for byte, tabs included: DNSWire lays out columns as BIND's indent() does
        #expect(core(output) == core(expected.output))
        let size = output.split(separator: "\n").first { $0.hasPrefix(";; MSG SIZE") }
        let mine = expected.output.split(separator: "\n").first { $0.hasPrefix(";; MSG SIZE") }
        #expect(size == mine)
    }
}
