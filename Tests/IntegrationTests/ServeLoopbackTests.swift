import Foundation
import Testing

/// `kubetape serve` in the loopback plan, driven as a user would: start it, wait for `ready`,
/// query it with dig, fetch from the mapped addresses with curl, stop it with SIGTERM.
@Suite(.serialized) struct ServeLoopbackTests {
    static var manifests: String { ExecWithRealClientsTests.manifests }

    /// A running `kubetape serve` and what it printed up to `ready`.
    final class Server {
        let process = Process()
        let output = Pipe()
        var lines: [String] = []
        let port: Int

        init(port: Int, extra: [String] = []) throws {
            self.port = port
            process.executableURL = URL(fileURLWithPath: KubetapeBinary.path)
            // 127.21/16 and 127.22/16: apart from the FakeCluster tests' runtimes, which run in parallel
            // the netns plan takes neither: its DNS is at the cluster DNS IP inside its namespace
            let loopbackOnly = extra.contains("netns") ? [] : ["--listen", "127.0.0.1:\(port)", "--loopback-block", "21"]
            process.arguments = ["serve", "--manifests", ServeLoopbackTests.manifests] + loopbackOnly + extra
            process.standardOutput = output
            process.standardError = FileHandle.nullDevice
            try process.run()
            let reader = output.fileHandleForReading
            var buffer = Data()
            let deadline = Date().addingTimeInterval(20)
            while !lines.contains(where: { $0.contains("ready") }) && Date() < deadline {
                let chunk = reader.availableData
                if chunk.isEmpty { break }
                buffer.append(chunk)
                lines = String(decoding: buffer, as: UTF8.self).split(separator: "\n").map(String.init)
            }
        }

        var ready: Bool { lines.contains { $0.contains("ready") } }

        /// The loopback address printed for `what` (e.g. "service kiada/quote").
        func mapped(_ what: String) -> String? {
            lines.first { $0.contains(what + " ") }?.split(separator: " ").last.map(String.init)
        }

        func stop() -> Int32 {
            process.terminate()
            process.waitUntilExit()
            return process.terminationStatus
        }
    }

    /// A port that is free for UDP and TCP right now on 127.0.0.1.
    static func freePort() -> Int {
        for _ in 0..<50 {
            let candidate = Int.random(in: 20000...40000)
            if portIsFree(candidate, type: SOCK_DGRAM) && portIsFree(candidate, type: SOCK_STREAM) { return candidate }
        }
        return Int.random(in: 20000...40000)
    }

    static func portIsFree(_ port: Int, type: __socket_type) -> Bool {
        let fd = socket(AF_INET, Int32(type.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }

    @Test func digAndCurlAgainstTheLoopbackPlan() throws {
        let server = try Server(port: Self.freePort())
        defer { _ = server.stop() }
        try #require(server.ready, "serve printed: \(server.lines)")
        #expect(server.lines.contains { $0.hasPrefix("dns: 127.0.0.1:\(server.port)") })

        let (status, answer) = try runDig(["@127.0.0.1", "-p", "\(server.port)", "+short", "quote-headless.kiada.svc.cluster.local"])
        #expect(status == 0)
        #expect(Set(answer.split(separator: "\n").map(String.init)) == ExecWithRealClientsTests.podIPs, "DNS answers keep the cluster's addresses")
        let (_, vip) = try runDig(["@127.0.0.1", "-p", "\(server.port)", "+short", "+tcp", "quote.kiada.svc.cluster.local"])
        #expect(vip == "10.96.161.97\n")

        let service = try #require(server.mapped("service kiada/quote"))
        var bodies: [String] = []
        for _ in 0..<30 {
            let result = try runCurl(["-s", "--max-time", "3", "http://\(service)/"])
            bodies.append(result.output)
        }
        #expect(Set(bodies).count >= 3, "through the cluster IP: \(Set(bodies))")
        let pod = try #require(server.mapped("pod kiada/quote-002"))
        #expect(try runCurl(["-s", "--max-time", "3", "http://\(pod)/"]).output == "This is the quote service running in pod quote-002\n")
    }

    @Test func rewrittenAnswersPointAtTheLoopbackStandIns() throws {
        let server = try Server(port: Self.freePort(), extra: ["--rewrite-answers"])
        defer { _ = server.stop() }
        try #require(server.ready)
        let (_, answer) = try runDig(["@127.0.0.1", "-p", "\(server.port)", "+short", "quote-headless.kiada.svc.cluster.local"])
        let addresses = Set(answer.split(separator: "\n").map(String.init))
        let expected = Set(["quote-canary", "quote-001", "quote-002", "quote-003"].compactMap { server.mapped("pod kiada/\($0)") })
        #expect(addresses == expected)
        // and curl to an answered address reaches that pod
        let first = try #require(addresses.first)
        #expect(try runCurl(["-s", "--max-time", "3", "http://\(first)/"]).output.hasPrefix("This is the quote service running in pod quote-"))
    }

    @Test func sigtermStopsServeCleanly() throws {
        let server = try Server(port: Self.freePort(), extra: ["--dns-only"])
        try #require(server.ready)
        #expect(!server.lines.contains { $0.contains("address map") }, "--dns-only starts no pods")
        #expect(server.stop() == 0)
    }

    @Test func netnsPlanServesTheClusterAddressesInsideItsNamespaces() throws {
        try #require(getuid() == 0, "serve --plan netns needs root (network namespaces); CI runs as root")
        let server = try Server(port: Self.freePort(), extra: ["--plan", "netns"])
        let pid = server.process.processIdentifier
        let client = "kubetape-\(pid)-client"
        defer { if server.process.isRunning { _ = server.stop() } }
        try #require(server.ready, "serve printed: \(server.lines)")
        #expect(server.lines.contains("dns: 10.96.0.10:53 (udp+tcp) in namespace kubetape-\(pid)-cluster"))
        #expect(server.lines.contains("client pod namespace: \(client) (10.244.1.20)"))
        let dig = try KubetapeBinary.runProgram(
            "/usr/sbin/ip", ["netns", "exec", client, "dig", "+short", "+tries=1", "+time=2", "quote-headless.kiada.svc.cluster.local"])
        #expect(Set(dig.stdout.split(separator: "\n").map(String.init)) == ExecWithRealClientsTests.podIPs)
        let curl = try KubetapeBinary.runProgram("/usr/sbin/ip", ["netns", "exec", client, "curl", "-s", "--max-time", "3", "http://10.96.161.97/"])
        #expect(curl.stdout.hasPrefix("This is the quote service running in pod quote-"))
        #expect(server.stop() == 0)
        #expect(try ExecWithRealClientsTests.namespaces(of: pid).isEmpty, "serve left its namespaces behind")
    }

    @Test func loopbackOptionsAreRefusedInTheNetnsPlan() throws {
        for option in [["--listen", "127.0.0.1:10053"], ["--loopback-block", "5"]] {
            let result = try KubetapeBinary.run(["serve", "--manifests", ServeLoopbackTests.manifests, "--plan", "netns"] + option)
            #expect(result.status == 2, "serve --plan netns \(option[0]) should be a usage error")
            #expect(result.stderr.contains("--listen and --loopback-block apply to the loopback plan"), "stderr: \(result.stderr)")
        }
    }

    @Test func badManifestIsExitTwoWithFileAndLine() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kubetape-serve-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("bad.yaml")
        try "apiVersion: v1\nkind: Service\nmetadata:\n  name: x\nspec:\n  ports:\n  - port: abc\n".write(to: file, atomically: true, encoding: .utf8)
        let result = try KubetapeBinary.run(["serve", "--manifests", file.path, "--listen", "127.0.0.1:\(Self.freePort())"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("bad.yaml:7"), "\(result.stderr)")
    }

    func runDig(_ arguments: [String]) throws -> (Int32, String) {
        try runProgram("/usr/bin/dig", ["+tries=1", "+time=2"] + arguments)
    }

    func runCurl(_ arguments: [String]) throws -> (status: Int32, output: String) {
        try runProgram("/usr/bin/curl", arguments)
    }

    func runProgram(_ path: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        try #require(FileManager.default.isExecutableFile(atPath: path), "\(path) missing: run scripts/setup.sh")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
