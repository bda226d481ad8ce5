import NIOCore
import NIOEmbedded
import NIOHTTP1

/// Turns the two reassembled directions of one TCP connection into HTTP/1.x exchanges, using
/// NIOHTTP1's own decoders (`HTTPRequestDecoder` for the client's octets, `HTTPResponseDecoder`
/// for the server's): no second hand-written HTTP parser.
///
/// The decoders are driven directly as `ByteToMessageDecoder`s, each direction with its own
/// cumulation buffer, the way `ByteToMessageHandler` drives them, but with no channel per stream:
/// the parts they fire land in one ``HTTPDecoderHost`` shared by every connection of a
/// ``TrafficDecoder``.
///
/// Requests and responses pair in order (keep-alive); each request head is also written into the
/// response decoder so that it knows a `HEAD` response has no body. 1xx interim responses are
/// dropped by the decoder; a 101 switches the connection to a protocol kubetape does not read.
/// After a gap, a direction is re-parsed from the next segment that starts a request line
/// (client) or a status line (server).
final class HTTPConnectionParser {
    let client: Endpoint
    let server: Endpoint
    let previewLimit: Int
    private let host: HTTPDecoderHost

    // One thread, no overlapping accesses: no dynamic exclusivity checks (see TrafficDecoder).
    @exclusivity(unchecked) private var requestDecoder: HTTPDecoderHost.Stream<HTTPRequestDecoder>?
    @exclusivity(unchecked) private var responseDecoder: HTTPDecoderHost.Stream<HTTPResponseDecoder>?
    @exclusivity(unchecked) private var requestsAwaitingResponse: [HTTPExchange.Request] = []
    @exclusivity(unchecked) private var requestHeadsWritten = 0
    @exclusivity(unchecked) private var finalResponsesSeen = 0

    /// A request or response being read. A class: it is updated in place as parts and frames
    /// arrive, and checking or taking it out of its optional costs one reference count rather
    /// than a copy of every field.
    private final class Partial {
        let head: String
        let uri: String
        let version: String
        let host: String?
        let status: Int
        let contentType: String?
        let chunked: Bool
        var preview: [UInt8] = []
        var length = 0
        var frames: [Int]

        init(head: String, uri: String, version: String, host: String?, status: Int, contentType: String?, chunked: Bool, frames: [Int]) {
            self.head = head
            self.uri = uri
            self.version = version
            self.host = host
            self.status = status
            self.contentType = contentType
            self.chunked = chunked
            self.frames = frames
        }

        /// Notes that `frame` carried part of this message (once per frame).
        func touched(by frame: Int) {
            if frames.last != frame { frames.append(frame) }
        }

        /// Counts a body part and keeps its first octets, up to `previewLimit` in all.
        func appendBody(_ body: ByteBuffer, previewLimit: Int) {
            length += body.readableBytes
            let room = previewLimit - preview.count
            guard room > 0 else { return }
            body.withUnsafeReadableBytes { octets in
                preview.append(contentsOf: UnsafeRawBufferPointer(rebasing: octets.prefix(room)))
            }
        }
    }
    @exclusivity(unchecked) private var request: Partial?
    @exclusivity(unchecked) private var response: Partial?
    @exclusivity(unchecked) private var requestFrames: [[Int]] = []
    @exclusivity(unchecked) private var upgraded = false
    @exclusivity(unchecked) private var clientNeedsResync = false
    @exclusivity(unchecked) private var serverNeedsResync = false

    /// What the parser produced.
    enum Output {
        case exchange(HTTPExchange, frames: [Int])
        case error(TrafficError)
    }

    init(client: Endpoint, server: Endpoint, previewLimit: Int, host: HTTPDecoderHost) {
        self.client = client
        self.server = server
        self.previewLimit = previewLimit
        self.host = host
    }

    /// True when `bytes` begins like an HTTP/1.x request line (`METHOD SP`, with ` HTTP/1.` on the
    /// line when the line is complete).
    static func startsWithRequestLine(_ bytes: ArraySlice<UInt8>) -> Bool {
        var index = bytes.startIndex
        var length = 0
        while index < bytes.endIndex, bytes[index] >= UInt8(ascii: "A"), bytes[index] <= UInt8(ascii: "Z") {
            index += 1
            length += 1
            if length > 16 { return false }
        }
        guard length >= 3, index < bytes.endIndex, bytes[index] == UInt8(ascii: " ") else { return false }
        let method = String(decoding: bytes[bytes.startIndex..<index], as: UTF8.self)
        guard knownMethods.contains(method) else { return false }
        // If the line is complete, it must end in HTTP/1.x.
        let lineEnd = bytes[index...].firstIndex(of: UInt8(ascii: "\r")) ?? bytes[index...].firstIndex(of: UInt8(ascii: "\n"))
        if let lineEnd {
            let line = bytes[index..<lineEnd]
            let marker = Array(" HTTP/1.".utf8)
            guard line.count >= marker.count + 1 else { return false }
            return Array(line.dropLast(1).suffix(marker.count)) == marker
        }
        return true
    }

    /// True when `bytes` begins with an HTTP/1.x status line.
    static func startsWithStatusLine(_ bytes: ArraySlice<UInt8>) -> Bool {
        Array(bytes.prefix(7)) == Array("HTTP/1.".utf8)
    }

    static let knownMethods: Set<String> = [
        "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH", "PROPFIND", "PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK",
        "REPORT", "PURGE",
    ]

    /// `HTTP/major.minor`, without building a string for the two versions HTTP/1 has.
    static func versionText(_ version: HTTPVersion) -> String {
        switch (version.major, version.minor) {
        case (1, 1): return "HTTP/1.1"
        case (1, 0): return "HTTP/1.0"
        default: return "HTTP/\(version.major).\(version.minor)"
        }
    }

    /// True when a `Transfer-Encoding` header lists `chunked` (names and codings compared
    /// without regard to case, codings separated by commas and optional whitespace, as RFC 9112
    /// writes them), without splitting the values into new strings.
    static func isChunked(_ headers: HTTPHeaders) -> Bool {
        // Most messages have no such header: one search, before walking every header's strings.
        guard headers.contains(name: "transfer-encoding") else { return false }
        for (name, value) in headers where name.utf8.count == 17 && name.lowercased() == "transfer-encoding" {
            var value = value
            if value.withUTF8(Self.listsChunked) { return true }
        }
        return false
    }

    private static let chunkedToken = Array("chunked".utf8)

    /// True when a comma-separated list of transfer codings has the token `chunked`.
    private static func listsChunked(_ codings: UnsafeBufferPointer<UInt8>) -> Bool {
        var start = 0
        while start <= codings.count {
            var end = start
            while end < codings.count, codings[end] != UInt8(ascii: ",") { end += 1 }
            var first = start
            var last = end
            while first < last, codings[first] == UInt8(ascii: " ") || codings[first] == UInt8(ascii: "\t") { first += 1 }
            while last > first, codings[last - 1] == UInt8(ascii: " ") || codings[last - 1] == UInt8(ascii: "\t") { last -= 1 }
            if last - first == chunkedToken.count, (0..<chunkedToken.count).allSatisfy({ codings[first + $0] | 0x20 == chunkedToken[$0] }) { return true }
            start = end + 1
        }
        return false
    }

    /// The request head the response decoder is told about for a response whose request the
    /// capture did not see.
    private static let unseenRequest = HTTPClientRequestPart.head(HTTPRequestHead(version: .http1_1, method: .GET, uri: "/"))

    func feed(fromClient: Bool, _ chunk: StreamChunk, emit: (Output) -> Void) {
        guard !upgraded else { return }
        switch chunk {
        case .gap(let octets, let frame, _):
            // The message in flight lost octets: drop it and resynchronise on the next message.
            _ = (octets, frame)
            if fromClient {
                request = nil
                discard(&requestDecoder)
                clientNeedsResync = true
            } else {
                response = nil
                discard(&responseDecoder)
                serverNeedsResync = true
            }
        case .end(let frame, let time):
            if !fromClient { serverClosed(frame: frame, time: time, emit: emit) }
        case .data(let bytes, let frame, let time):
            if fromClient {
                feedRequest(bytes, frame: frame, time: time, emit: emit)
            } else {
                feedResponse(bytes, frame: frame, time: time, emit: emit)
            }
        }
    }

    /// Ends a decoder that is dropped: it is told it was removed (which releases its parser),
    /// without reading the octets it still holds.
    private func discard<Decoder>(_ stream: inout HTTPDecoderHost.Stream<Decoder>?) {
        stream?.remove()
        stream = nil
    }

    private func makeResponseDecoder() -> HTTPDecoderHost.Stream<HTTPResponseDecoder> {
        requestHeadsWritten = 0
        finalResponsesSeen = 0
        return host.stream(HTTPResponseDecoder(leftOverBytesStrategy: .dropBytes, informationalResponseStrategy: .drop))
    }

    private func feedRequest(_ bytes: ArraySlice<UInt8>, frame: Int, time: Int64, emit: (Output) -> Void) {
        if clientNeedsResync {
            guard Self.startsWithRequestLine(bytes) else { return }
            clientNeedsResync = false
        }
        if requestDecoder == nil { requestDecoder = host.stream(HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes)) }
        request?.touched(by: frame)
        if let error = requestDecoder!.decode(bytes, collector: host.requests) {
            host.requests.parts.removeAll(keepingCapacity: true)
            emit(.error(TrafficError(.malformedHTTP, frame: frame, "HTTP request stream \(client) → \(server): \(error)")))
            request = nil
            discard(&requestDecoder)
            clientNeedsResync = true
            return
        }
        for part in host.requests.parts {
            switch part {
            case .head(let head):
                request = Partial(
                    head: head.method.rawValue, uri: head.uri, version: Self.versionText(head.version), host: head.headers.first(name: "host"),
                    status: 0, contentType: head.headers.first(name: "content-type"), chunked: false, frames: [frame])
                // Tell the response decoder, so that a HEAD response is read without a body.
                if responseDecoder == nil { responseDecoder = makeResponseDecoder() }
                responseDecoder!.decoder.write(data: .head(head))
                requestHeadsWritten += 1
            case .body(let body):
                request?.appendBody(body, previewLimit: previewLimit)
            case .end:
                if let partial = request {
                    requestsAwaitingResponse.append(
                        HTTPExchange.Request(
                            method: partial.head, uri: partial.uri, version: partial.version, host: partial.host,
                            bodyPreview: partial.preview, bodyLength: partial.length, frame: frame, timeNanoseconds: time))
                    requestFrames.append(partial.frames)
                }
                request = nil
            }
        }
        host.requests.parts.removeAll(keepingCapacity: true)
    }

    private func feedResponse(_ bytes: ArraySlice<UInt8>, frame: Int, time: Int64, emit: (Output) -> Void) {
        if serverNeedsResync {
            guard Self.startsWithStatusLine(bytes) else { return }
            serverNeedsResync = false
        }
        if responseDecoder == nil { responseDecoder = makeResponseDecoder() }
        response?.touched(by: frame)
        if requestHeadsWritten <= finalResponsesSeen, response == nil {
            // A response whose request the capture did not see: let the decoder read it as GET's.
            responseDecoder!.decoder.write(data: Self.unseenRequest)
            requestHeadsWritten += 1
        }
        if let error = responseDecoder!.decode(bytes, collector: host.responses) {
            host.responses.parts.removeAll(keepingCapacity: true)
            emit(.error(TrafficError(.malformedHTTP, frame: frame, "HTTP response stream \(server) → \(client): \(error)")))
            response = nil
            discard(&responseDecoder)
            serverNeedsResync = true
            return
        }
        readResponses(frame: frame, time: time, emit: emit)
    }

    /// Turns the response parts the decoder produced into exchanges.
    private func readResponses(frame: Int, time: Int64, emit: (Output) -> Void) {
        defer { host.responses.parts.removeAll(keepingCapacity: true) }
        for part in host.responses.parts {
            switch part {
            case .head(let head):
                finalResponsesSeen += 1
                let chunked = Self.isChunked(head.headers)
                response = Partial(
                    head: "", uri: head.status.reasonPhrase, version: Self.versionText(head.version), host: nil, status: Int(head.status.code),
                    contentType: head.headers.first(name: "content-type"), chunked: chunked, frames: [frame])
            case .body(let body):
                response?.appendBody(body, previewLimit: previewLimit)
            case .end:
                guard let partial = response else { continue }
                response = nil
                let answered = requestsAwaitingResponse.isEmpty ? nil : requestsAwaitingResponse.removeFirst()
                var all = answered != nil && !requestFrames.isEmpty ? requestFrames.removeFirst() : []
                let result = HTTPExchange.Response(
                    status: partial.status, reason: partial.uri, version: partial.version, contentType: partial.contentType,
                    chunked: partial.chunked, bodyPreview: partial.preview, bodyLength: partial.length, frame: frame, timeNanoseconds: time)
                for f in partial.frames where all.last != f { all.append(f) }
                emit(.exchange(HTTPExchange(client: client, server: server, request: answered, response: result), frames: all))
                if partial.status == 101 {
                    upgraded = true
                    return
                }
            }
        }
    }

    /// The server's side ended (FIN): a response delimited by the close completes in this frame.
    private func serverClosed(frame: Int, time: Int64, emit: (Output) -> Void) {
        guard !upgraded, let stream = responseDecoder else { return }
        responseDecoder = nil
        guard response != nil else {
            stream.remove()
            return
        }
        response?.touched(by: frame)
        if let error = stream.decodeEOF(collector: host.responses) {
            host.responses.parts.removeAll(keepingCapacity: true)
            emit(.error(TrafficError(.malformedHTTP, frame: frame, "HTTP response \(server) → \(client) ended early: \(error)")))
        } else {
            readResponses(frame: frame, time: time, emit: emit)
        }
        response = nil
    }

    /// The connection ended: a response read until close completes, and requests that were never
    /// answered come out as exchanges without a response.
    func finish(frame: Int, time: Int64, emit: (Output) -> Void) {
        serverClosed(frame: frame, time: time, emit: emit)
        for (index, request) in requestsAwaitingResponse.enumerated() {
            let frames = index < requestFrames.count ? requestFrames[index] : [request.frame]
            emit(.exchange(HTTPExchange(client: client, server: server, request: request, response: nil), frames: frames))
        }
        requestsAwaitingResponse = []
        requestFrames = []
        discard(&requestDecoder)
        discard(&responseDecoder)
    }
}
