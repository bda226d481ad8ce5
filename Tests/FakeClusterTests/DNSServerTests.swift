import DNSWire
import FakeCluster
import Foundation
import NIOCore
import NIOPosix
import Testing

/// Answers from zone-file records: every record whose owner matches the question's name and type.
struct ZoneHandler: DNSQueryHandler {
    let records: [ResourceRecord]

    init(_ zone: String) throws {
        records = try ZoneFileParser(defaultTTL: 30).parse(zone)
    }

    func response(to query: DNSMessage, transport: DNSTransport) -> DNSMessage? {
        guard let question = query.question else { return nil }
        var reply = DNSMessage(
            header: DNSHeader(id: query.header.id, isResponse: true, authoritative: true, recursionDesired: query.header.recursionDesired),
            questions: query.questions)
        reply.answers = records.filter { $0.name == question.name && $0.type == question.type }
        if let edns = query.edns { reply.edns = EDNS(udpPayloadSize: edns.udpPayloadSize) }
        return reply
    }
}

/// Runs a command and returns its standard output; fails the test when the tool is missing.
func runTool(_ tool: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
    let candidates = ["/usr/bin/\(tool)", "/bin/\(tool)", "/usr/sbin/\(tool)"]
    guard let path = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
        throw ToolMissing(tool: tool)
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

struct ToolMissing: Error, CustomStringConvertible {
    var tool: String
    var description: String { "\(tool) is not installed: run scripts/setup.sh (apt-get install dnsutils)" }
}

@Suite(.serialized) struct DNSServerTests {
    static let headless = (1...4).map { "quote-headless.kiada.svc.cluster.local. 30 IN A 10.244.2.\($0)" }.joined(separator: "\n")
    static let big = (1...40).map { "big.kiada.svc.cluster.local. 30 IN A 10.244.3.\($0)" }.joined(separator: "\n")

    func withServer<T>(_ body: (Int) async throws -> T) async throws -> T {
        let server = DNSServer(
            configuration: DNSServerConfiguration(host: "127.0.0.1", port: 0, tcpIdleTimeout: .milliseconds(500)),
            handler: try ZoneHandler(Self.headless + "\n" + Self.big))
        try await server.start()
        let port = try #require(server.localAddress?.port)
        do {
            let result = try await body(port)
            await server.shutdown()
            return result
        } catch {
            await server.shutdown()
            throw error
        }
    }

    @Test func digOverUDPSeesEveryRecord() async throws {
        try await withServer { port in
            let (status, output) = try runTool(
                "dig", ["@127.0.0.1", "-p", "\(port)", "+short", "+tries=1", "+time=2", "quote-headless.kiada.svc.cluster.local", "A"])
            #expect(status == 0)
            #expect(Set(output.split(separator: "\n").map(String.init)) == ["10.244.2.1", "10.244.2.2", "10.244.2.3", "10.244.2.4"])
        }
    }

    @Test func digOverTCP() async throws {
        try await withServer { port in
            let (status, output) = try runTool(
                "dig", ["@127.0.0.1", "-p", "\(port)", "+tcp", "+short", "+tries=1", "+time=2", "quote-headless.kiada.svc.cluster.local"])
            #expect(status == 0)
            #expect(output.split(separator: "\n").count == 4)
        }
    }

    @Test func truncatedUDPAnswerMakesDigRetryOverTCP() async throws {
        try await withServer { port in
            // 40 A records do not fit 512 octets: without EDNS dig gets TC and retries over TCP
            let (_, truncated) = try runTool(
                "dig", ["@127.0.0.1", "-p", "\(port)", "+noedns", "+ignore", "+tries=1", "+time=2", "big.kiada.svc.cluster.local"])
            #expect(truncated.contains(" tc"))
            let (status, retried) = try runTool(
                "dig", ["@127.0.0.1", "-p", "\(port)", "+noedns", "+short", "+tries=1", "+time=2", "big.kiada.svc.cluster.local"])
            #expect(status == 0)
            #expect(retried.split(separator: "\n").count == 40)
        }
    }

    @Test func truncationKeepsAPrefixAndSetsTC() throws {
        let records = try ZoneFileParser(defaultTTL: 30).parse(Self.big)
        let query = DNSMessage.query(id: 7, name: "big.kiada.svc.cluster.local.", type: .a)
        let response = DNSMessage(header: DNSHeader(id: 7, isResponse: true), questions: query.questions, answers: records)
        let cut = try DNSMessage(wireFormat: try DNSExchange.fitted(response, limit: 512, transport: .udp))
        #expect(cut.header.truncated)
        #expect(cut.answers.count > 20 && cut.answers.count < 40)
        #expect(cut.answers == Array(records.prefix(cut.answers.count)))
        #expect(try cut.wireBytes().count <= 512)
        let whole = try DNSMessage(wireFormat: try DNSExchange.fitted(response, limit: 65535, transport: .tcp))
        #expect(!whole.header.truncated && whole.answers.count == 40)
    }

    @Test func garbageDatagramsNeverStopTheServer() async throws {
        try await withServer { port in
            let group = MultiThreadedEventLoopGroup.singleton
            let channel = try await DatagramBootstrap(group: group).bind(host: "127.0.0.1", port: 0).get()
            let target = try SocketAddress(ipAddress: "127.0.0.1", port: port)
            var generator = SeededGenerator(seed: 42)
            for index in 0..<10_000 {
                let length = Int(generator.next() % 300)
                var bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
                if index % 3 == 0 && bytes.count > 3 { bytes[2] &= 0x7f }  // many look like queries
                let buffer = channel.allocator.buffer(bytes: bytes)
                try await channel.writeAndFlush(AddressedEnvelope(remoteAddress: target, data: buffer))
            }
            try await channel.close()
            let (status, output) = try runTool(
                "dig", ["@127.0.0.1", "-p", "\(port)", "+short", "+tries=2", "+time=2", "quote-headless.kiada.svc.cluster.local"])
            #expect(status == 0)
            #expect(output.split(separator: "\n").count == 4)
        }
    }

    @Test func pipelinedTCPQueriesAreAnsweredInOrder() async throws {
        try await withServer { port in
            var request = ByteBufferAllocator().buffer(capacity: 256)
            for id in [11, 12, 13] as [UInt16] {
                let query = DNSMessage.query(id: id, name: "quote-headless.kiada.svc.cluster.local.", type: .a)
                var framed = try DNSTCPFrameDecoder.frame(try query.wireFormat())
                request.writeBuffer(&framed)
            }
            let replies = try await TCPExchange.send(request, to: port, expecting: 3)
            #expect(replies.map(\.header.id) == [11, 12, 13])
            #expect(replies.allSatisfy { $0.answers.count == 4 })
        }
    }

    @Test func truncatedAndGarbageTCPFramesNeverStopTheServer() async throws {
        try await withServer { port in
            var generator = SeededGenerator(seed: 7)
            for index in 0..<200 {
                var chunk = ByteBufferAllocator().buffer(capacity: 64)
                switch index % 4 {
                case 0:
                    // a length prefix promising more than ever arrives
                    chunk.writeInteger(UInt16(100))
                    chunk.writeBytes([0x12, 0x34, 0x01, 0x00])
                case 1:
                    // half a length prefix
                    chunk.writeInteger(UInt8(0))
                case 2:
                    // a zero-length frame
                    chunk.writeInteger(UInt16(0))
                default:
                    // a complete frame of garbage
                    let length = Int(generator.next() % 60) + 1
                    chunk.writeInteger(UInt16(length))
                    chunk.writeBytes((0..<length).map { _ in UInt8(truncatingIfNeeded: generator.next()) })
                }
                _ = try? await TCPExchange.send(chunk, to: port, expecting: 0)
            }
            let query = DNSMessage.query(id: 99, name: "quote-headless.kiada.svc.cluster.local.", type: .a)
            let replies = try await TCPExchange.send(try DNSTCPFrameDecoder.frame(try query.wireFormat()), to: port, expecting: 1)
            #expect(replies.first?.answers.count == 4)
        }
    }

    @Test func fiveHundredConcurrentTCPClients() async throws {
        try await withServer { port in
            let answered = try await withThrowingTaskGroup(of: Int.self) { group in
                for id in 0..<500 {
                    group.addTask {
                        let query = DNSMessage.query(id: UInt16(id), name: "quote-headless.kiada.svc.cluster.local.", type: .a)
                        let replies = try await TCPExchange.send(try DNSTCPFrameDecoder.frame(try query.wireFormat()), to: port, expecting: 1)
                        return replies.first.map { $0.header.id == UInt16(id) && $0.answers.count == 4 ? 1 : 0 } ?? 0
                    }
                }
                return try await group.reduce(0, +)
            }
            #expect(answered == 500)
            let (status, output) = try runTool(
                "dig", ["@127.0.0.1", "-p", "\(port)", "+short", "+tries=1", "+time=2", "quote-headless.kiada.svc.cluster.local"])
            #expect(status == 0 && output.split(separator: "\n").count == 4)
        }
    }

    @Test func malformedQueryGetsFORMERR() throws {
        // a header claiming one question, with the question cut off
        let request = ByteBuffer(bytes: [0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 3, 0x61])
        let reply = try #require(DNSExchange.reply(to: request, transport: .udp, handler: try ZoneHandler("")))
        let message = try DNSMessage(wireFormat: reply)
        #expect(message.header.id == 0x1234)
        #expect(message.header.isResponse)
        #expect(message.rcode == .formErr)
        // shorter than a header, or a response: silence
        #expect(DNSExchange.reply(to: ByteBuffer(bytes: [1, 2, 3]), transport: .udp, handler: try ZoneHandler("")) == nil)
    }
}

/// Sends raw bytes on a fresh TCP connection and reads `count` framed replies.
enum TCPExchange {
    static func send(_ request: ByteBuffer, to port: Int, expecting count: Int) async throws -> [DNSMessage] {
        let socket = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        return try await socket.executeThenClose { inbound, outbound in
            try await outbound.write(request)
            var decoder = DNSTCPFrameDecoder()
            var replies: [DNSMessage] = []
            guard count > 0 else { return replies }
            for try await chunk in inbound {
                decoder.append(chunk)
                while let frame = try decoder.nextFrame() {
                    replies.append(try DNSMessage(wireFormat: frame))
                }
                if replies.count >= count { break }
            }
            return replies
        }
    }
}
