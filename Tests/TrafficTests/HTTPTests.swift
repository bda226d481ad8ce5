import DNSWire
import PacketCapture
import Testing
import Traffic

/// HTTP/1.x exchanges on reassembled streams, read by NIOHTTP1's decoders.
@Suite struct HTTPTests {
    static let client = "10.244.3.4"
    static let server = "10.244.2.8"

    /// A conversation: handshake, then each (request, response) pair as single segments with ACKs.
    static func conversation(_ pairs: [(String, String)], serverPort: Int = 80, split: Int? = nil, close: Bool = true) -> [CapturedPacket] {
        var frames: [CapturedPacket] = []
        var c: UInt32 = 1000
        var s: UInt32 = 5000
        var ms: Int64 = 0
        func add(_ fromClient: Bool, _ flags: UInt8, _ bytes: [UInt8] = []) {
            ms += 1
            let f = frames.count + 1
            if fromClient {
                frames.append(Build.tcpFrame(f, client, 51234, server, serverPort, seq: c, ack: s, flags: flags, bytes, ms: ms))
                c &+= UInt32(bytes.count) + (flags & (Build.syn | Build.fin) != 0 ? 1 : 0)
            } else {
                frames.append(Build.tcpFrame(f, server, serverPort, client, 51234, seq: s, ack: c, flags: flags, bytes, ms: ms))
                s &+= UInt32(bytes.count) + (flags & (Build.syn | Build.fin) != 0 ? 1 : 0)
            }
        }
        c -= 1
        s -= 1
        add(true, Build.syn)
        add(false, Build.syn | Build.ack)
        add(true, Build.ack)
        for (request, response) in pairs {
            add(true, Build.ack | Build.psh, Array(request.utf8))
            let bytes = Array(response.utf8)
            if let split, bytes.count > split {
                add(false, Build.ack, Array(bytes[0..<split]))
                add(false, Build.ack | Build.psh, Array(bytes[split...]))
            } else if !bytes.isEmpty {
                add(false, Build.ack | Build.psh, bytes)
            }
        }
        if close {
            add(true, Build.fin | Build.ack)
            add(false, Build.fin | Build.ack)
            add(true, Build.ack)
        }
        return frames
    }

    static let quoteBody = "This is the quote service running in pod quote-002\n"
    static let get = "GET / HTTP/1.1\r\nHost: quote\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n"
    static var ok: String { "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: \(quoteBody.utf8.count)\r\n\r\n\(quoteBody)" }

    @Test func theQuoteServiceExchangeReadsAsOneLine() throws {
        let d = decode(Self.conversation([(Self.get, Self.ok)]))
        #expect(d.diagnostics.isEmpty, "\(d.diagnostics)")
        let event = try #require(d.events.first)
        #expect(d.events.count == 1)
        let h = try #require(event.http)
        #expect(h.client.description == "10.244.3.4:51234")
        #expect(h.server.description == "10.244.2.8:80")
        #expect(h.request?.method == "GET")
        #expect(h.request?.uri == "/")
        #expect(h.request?.host == "quote")
        #expect(h.response?.status == 200)
        #expect(event.frame == 5)
        #expect(h.request?.frame == 4)
        #expect(
            event.textLine.hasSuffix(
                "http client 10.244.3.4:51234 → 10.244.2.8:80 GET / → 200 'This is the quote service running in pod quote-002' (host quote, request frame 4, 1.000 ms)"
            ))
        #expect(event.jsonLine.contains(#""bodyPreview":"This is the quote service running in pod quote-002\n""#))
    }

    @Test func keepAliveChunkedAndContentLengthBodies() throws {
        let chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
        let notFound = "HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found"
        let post = "POST /quotes HTTP/1.1\r\nHost: quote\r\nContent-Length: 4\r\n\r\nabcd"
        let d = decode(Self.conversation([(Self.get, chunked), ("GET /missing HTTP/1.1\r\nHost: quote\r\n\r\n", notFound), (post, Self.ok)], split: 20))
        #expect(d.diagnostics.isEmpty, "\(d.diagnostics)")
        let exchanges = d.http.map { $0.http! }
        #expect(exchanges.map { $0.request!.uri } == ["/", "/missing", "/quotes"])
        #expect(exchanges.map { $0.response!.status } == [200, 404, 200])
        #expect(exchanges[0].response?.chunked == true)
        #expect(exchanges[0].response?.bodyPreview == Array("hello world".utf8))
        #expect(exchanges[1].response?.bodyLength == 9)
        #expect(exchanges[2].request?.bodyPreview == Array("abcd".utf8))
        #expect(exchanges[2].request?.method == "POST")
        // Split responses take the frame of their last segment.
        #expect(d.http.map(\.frame) == [6, 9, 12])
    }

    @Test func chunkedIsFoundAmongCodingsInAnyCaseAndSpacing() throws {
        // `chunked` is the last coding; names and codings are case-insensitive (RFC 9112 §6.1).
        let listed = "HTTP/1.1 200 OK\r\ntransfer-ENCODING: gzip ,\t CHUNKED\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
        let repeated = "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: Chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n"
        let plain = "HTTP/1.1 200 OK\r\nX-Transfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\nok"
        let d = decode(Self.conversation([(Self.get, listed), (Self.get, repeated), (Self.get, plain)]))
        #expect(d.diagnostics.isEmpty, "\(d.diagnostics)")
        let responses = d.http.compactMap { $0.http?.response }
        #expect(responses.map(\.chunked) == [true, true, false])
        #expect(responses.map { String(decoding: $0.bodyPreview, as: UTF8.self) } == ["abc", "hi", "ok"])
    }

    @Test func headResponseHasNoBody() throws {
        let head = "HEAD / HTTP/1.1\r\nHost: quote\r\n\r\n"
        let headResponse = "HTTP/1.1 200 OK\r\nContent-Length: \(Self.quoteBody.utf8.count)\r\n\r\n"
        let d = decode(Self.conversation([(head, headResponse), (Self.get, Self.ok)]))
        #expect(d.diagnostics.isEmpty, "\(d.diagnostics)")
        #expect(d.http.map { $0.http!.response!.bodyLength } == [0, Self.quoteBody.utf8.count])
    }

    @Test func anyPortWithARequestLineIsHTTP() throws {
        let d = decode(Self.conversation([(Self.get, Self.ok)], serverPort: 8080))
        #expect(d.http.count == 1)
        #expect(d.http.first?.http?.server.port == 8080)
    }

    @Test func otherTrafficOnOtherPortsIsIgnored() {
        let d = decode(Self.conversation([("\u{16}\u{3}\u{1}binary tls hello", "\u{16}\u{3}\u{3}server hello")], serverPort: 443))
        #expect(d.events.isEmpty)
        #expect(d.diagnostics.isEmpty)
    }

    @Test func responseReadUntilCloseCompletesAtTheServersFIN() throws {
        let untilClose = "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nstreamed until close"
        let d = decode(Self.conversation([("GET /old HTTP/1.0\r\nHost: quote\r\n\r\n", untilClose)]))
        let event = try #require(d.http.first)
        #expect(event.http?.response?.bodyPreview == Array("streamed until close".utf8))
        #expect(event.frame == 7, "the frame of the server's FIN")
    }

    @Test func anUnansweredRequestStillComesOut() throws {
        let d = decode(Self.conversation([(Self.get, "")]))
        let exchange = try #require(d.http.first?.http)
        #expect(exchange.response == nil)
        #expect(exchange.request?.uri == "/")
    }

    @Test func upgradeEndsHTTPParsing() throws {
        let upgrade = "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n\u{1}\u{0}\u{0}raw stream"
        let d = decode(
            Self.conversation([
                ("POST /attach HTTP/1.1\r\nHost: docker\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n", upgrade), ("not http at all\r\n\r\n", "neither"),
            ]))
        #expect(d.diagnostics.isEmpty, "\(d.diagnostics)")
        #expect(d.http.count == 1)
        #expect(d.http.first?.http?.response?.status == 101)
    }

    /// A declined upgrade (h2c answered 200): NIO's request parser stops reading after the request
    /// that asked for it, and what the client sends next is not kept without bound.
    @Test func octetsLeftUnparsedAfterADeclinedUpgradeAreBounded() throws {
        let asks = "GET /a HTTP/1.1\r\nHost: pod\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n\r\n"
        let declined = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
        // thirty segments of 40,000 octets of further requests, 1.2 MB in all
        let more = String(repeating: "GET /b HTTP/1.1\r\nHost: pod\r\n\r\n", count: 40_000 / 32)
        let d = decode(Self.conversation([(asks, declined)] + Array(repeating: (more, ""), count: 30)))
        #expect(d.http.first?.http?.response?.status == 200)
        #expect(d.diagnostics.contains { "\($0)".contains("left unparsed") }, "\(d.diagnostics)")
    }

    @Test func garbageOnPort80IsDiagnosedNotFatal() {
        let d = decode(Self.conversation([("GET / HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 abc\r\n\r\n"), (Self.get, Self.ok)]))
        #expect(d.diagnostics.contains { $0.code == .malformedHTTP })
        #expect(d.http.contains { $0.http?.response?.status == 200 })
    }
}
