import Foundation
import Testing

/// `kubetape resolve`, run as the built binary (`swift test` builds it; KUBETAPE_BIN overrides).
@Suite("kubetape resolve")
struct ResolveCommandTests {
    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static var binary: String {
        if let explicit = ProcessInfo.processInfo.environment["KUBETAPE_BIN"] { return explicit }
        return ChapterClusterTests.root + "/.build/debug/kubetape"
    }

    static func run(_ arguments: [String]) throws -> Run {
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            Issue.record("kubetape is not built at \(binary); run `swift build` first")
            throw POSIXError(.ENOENT)
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }

    static let kiada = ChapterClusterTests.root + "/scenarios/clusters/kiada"

    @Test("nslookup quote from the dns-test pod: walk line, then nslookup's output, exit 0")
    func quote() throws {
        let r = try Self.run(["resolve", "quote", "--from", "kiada/dns-test", "--manifests", Self.kiada, "--ttl", "30"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(
            r.stdout == """
                ;; quote.kiada.svc.cluster.local. A: NOERROR, 1 answer
                ;; quote.kiada.svc.cluster.local. AAAA: NOERROR (NODATA)
                ;; Got recursion not available from 10.96.0.10
                Server:\t\t10.96.0.10
                Address:\t10.96.0.10#53

                Name:\tquote.kiada.svc.cluster.local
                Address: 10.96.161.97
                ;; Got recursion not available from 10.96.0.10


                """)
    }

    @Test("quote-headless lists the four pods, in the order asked for")
    func headless() throws {
        let r = try Self.run(["resolve", "quote-headless", "--from", "kiada/dns-test", "--manifests", Self.kiada, "--order", "none"])
        #expect(r.status == 0)
        let addresses = r.stdout.split(separator: "\n").filter { $0.hasPrefix("Address: ") }.map { String($0.dropFirst(9)) }
        #expect(Set(addresses) == ChapterClusterTests.quotePods)
    }

    @Test("every candidate fails: exit 1, nslookup's last error")
    func miss() throws {
        let r = try Self.run(["resolve", "nosuch", "--from", "kiada/dns-test", "--manifests", Self.kiada])
        #expect(r.status == 1)
        #expect(
            r.stdout.hasPrefix(
                ";; nosuch.kiada.svc.cluster.local. A: NXDOMAIN\n;; nosuch.svc.cluster.local. A: NXDOMAIN\n;; nosuch.cluster.local. A: NXDOMAIN\n;; nosuch. A: REFUSED\n"
            ))
        #expect(r.stdout.hasSuffix("** server can't find nosuch: REFUSED\n\n"))
    }

    @Test("without --from the name is fully qualified; dig format")
    func digFormat() throws {
        let r = try Self.run(["resolve", "_http._tcp.quote.kiada.svc.cluster.local", "--type", "SRV", "--manifests", Self.kiada, "--format", "dig"])
        #expect(r.status == 0)
        #expect(r.stdout.hasPrefix(";; _http._tcp.quote.kiada.svc.cluster.local. SRV: NOERROR, 1 answer\n"))
        #expect(r.stdout.contains(";; flags: qr aa rd; QUERY: 1, ANSWER: 1, AUTHORITY: 0, ADDITIONAL: 2\n;; WARNING: recursion requested but not available\n"))
        #expect(r.stdout.contains("0 100 80 quote.kiada.svc.cluster.local."))
    }

    @Test("PTR of an address, NODATA exits 0")
    func ptrAndNoData() throws {
        let ptr = try Self.run(["resolve", "10.96.161.97", "--type", "PTR", "--manifests", Self.kiada])
        #expect(ptr.status == 0)
        #expect(ptr.stdout.contains("97.161.96.10.in-addr.arpa\tname = quote.kiada.svc.cluster.local.\n"))
        let nodata = try Self.run(["resolve", "kiada.svc.cluster.local", "--manifests", Self.kiada])
        #expect(nodata.status == 0)
        #expect(nodata.stdout.contains("*** Can't find kiada.svc.cluster.local: No answer\n"))
    }

    @Test("a pod missing from the manifests is assumed, with a note")
    func assumedPod() throws {
        let r = try Self.run(["resolve", "quote", "--from", "kiada/ghost", "--manifests", Self.kiada])
        #expect(r.status == 0)
        #expect(r.stderr.contains("note: pod kiada/ghost is not in the manifests"))
    }

    @Test("bad input exits 2: manifest errors with file:line, bad flags")
    func badInput() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kubetape-resolve-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("bad.yaml")
        try "apiVersion: v1\nkind: Service\nmetadata:\n  name: x\nspec:\n  ports: [{port: notanumber}]\n".write(to: file, atomically: true, encoding: .utf8)
        let r = try Self.run(["resolve", "x", "--manifests", file.path])
        #expect(r.status == 2)
        #expect(r.stderr.contains("bad.yaml:"), "\(r.stderr)")
        #expect(try Self.run(["resolve", "x", "--type", "NOPE", "--manifests", Self.kiada]).status == 2)
        #expect(try Self.run(["resolve", "x", "--from", "nopod", "--manifests", Self.kiada]).status == 2)
        #expect(try Self.run(["resolve", "x"]).status == 2)
        #expect(try Self.run(["resolve", "x", "--zone", "10.0.0.0/12", "--manifests", Self.kiada]).status == 2)
    }
}
