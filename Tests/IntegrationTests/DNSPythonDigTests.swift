import DNSWire
import Foundation
import Testing

/// Live comparison with dig: a tiny loopback responder (python3, authoritative-only, no
/// recursion) answers dig's queries with the octets kubetape encoded, and dig's printout of each
/// response must match `DNSMessage.description` line for line, modulo whitespace.
struct DNSPythonDigTests {
    /// Serves the given responses in order, one per query, with the query's ID patched in; prints
    /// its port first; stops after the last one or 30 seconds.
    static let responder = #"""
        import select, socket, sys, time
        responses = [bytes.fromhex(line.strip()) for line in sys.stdin if line.strip()]
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind(("127.0.0.1", 0))
        print(sock.getsockname()[1], flush=True)
        deadline = time.time() + 30
        served = 0
        while served < len(responses) and time.time() < deadline:
            ready, _, _ = select.select([sock], [], [], 0.5)
            if not ready:
                continue
            query, peer = sock.recvfrom(65535)
            if len(query) < 12:
                continue
            sock.sendto(query[:2] + responses[served][2:], peer)
            served += 1
        """#

    static func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [executable] + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    static func normalized(_ line: Substring) -> String {
        line.split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ")
    }

    @Test func digPrintsKubetapeResponsesAsKubetapeDoes() throws {
        guard (try? Self.run("dig", ["-v"]).status) == 0 else {
            Issue.record("dig is not installed: run scripts/setup.sh")
            return
        }
        let responses = DNSPythonInteropTests.messages.map(\.1).filter(\.header.isResponse)
        #expect(responses.count >= 4)
        let hex = try responses.map { try $0.wireBytes().map { String(format: "%02x", $0) }.joined() }

        let server = Process()
        server.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        server.arguments = ["python3", "-c", Self.responder]
        let input = Pipe()
        let output = Pipe()
        server.standardInput = input
        server.standardOutput = output
        try server.run()
        defer {
            if server.isRunning { server.terminate() }
            server.waitUntilExit()
        }
        input.fileHandleForWriting.write(Data((hex.joined(separator: "\n") + "\n").utf8))
        try input.fileHandleForWriting.close()
        var portText = ""
        while !portText.contains("\n") {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            portText += String(decoding: chunk, as: UTF8.self)
        }
        let port = try #require(Int(portText.trimmingCharacters(in: .whitespacesAndNewlines)), "responder did not start: \(portText)")

        for var message in responses {
            let question = try #require(message.question)
            let (status, printed) = try Self.run(
                "dig",
                ["@127.0.0.1", "-p", String(port), "+norecurse", "+nocookie", "+tries=1", "+time=3", question.name.description, question.type.description])
            try #require(status == 0, "dig failed: \(printed)")
            // the responder patched dig's query ID in
            let idField = try #require(printed.firstRange(of: "id: ").map { printed[$0.upperBound...].prefix { $0.isNumber } })
            message.header.id = try #require(UInt16(idField))
            var digLines: [String] = []
            var inside = false
            for line in printed.split(separator: "\n") {
                if line.hasPrefix(";; ->>HEADER<<-") { inside = true }
                if line.hasPrefix(";; Query time:") { break }
                // dig's own remarks on what it received are not part of the message's text
                // (ClusterDNS's dig transcript adds this one itself)
                if line.hasPrefix(";; WARNING: recursion requested but not available") { continue }
                if inside { digLines.append(Self.normalized(line)) }
            }
            let ours = message.description.split(separator: "\n").map(Self.normalized)
            #expect(ours == digLines, "for \(question.name) \(question.type):\n\(printed)")
        }
    }
}
