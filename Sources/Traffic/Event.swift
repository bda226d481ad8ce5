import DNSWire

/// One entry of the traffic timeline that ``TrafficDecoder`` produces and the replay engine
/// consumes: a DNS message, or an HTTP/1.x request/response exchange.
///
/// Events come out in the order of the frame that completed them (``frame``): a DNS message
/// spread over several TCP segments takes its last segment's frame, as tshark does, and an HTTP
/// exchange takes the frame that completed its response (or its request, when no response came).
public struct Event: Sendable {
    /// What the event is about.
    public enum Kind: Sendable {
        case dns(DNSEvent)
        /// Boxed: an exchange is several times the size of a DNS event, and every event is moved
        /// a few times on its way out.
        indirect case http(HTTPExchange)
    }

    /// Capture time of ``frame``, nanoseconds since the Unix epoch.
    public var timeNanoseconds: Int64
    /// The 1-based frame that completed the event.
    public var frame: Int
    /// Every frame that carried octets of the event, in capture order (at least ``frame``).
    public var frames: [Int] {
        get {
            switch frameList {
            case .one(let f): return [f]
            case .many(let list): return list
            }
        }
        set { frameList = FrameList(newValue) }
    }
    /// ``frames`` as stored: most events have one frame, which then costs no array.
    var frameList: FrameList
    /// Sender (DNS) or client (HTTP).
    public var source: Endpoint
    /// Receiver (DNS) or server (HTTP).
    public var destination: Endpoint
    public var transport: TransportProtocol
    /// The capture vantage point: the pcapng interface index combined with the SLL2 interface
    /// index, so that one packet seen on two interfaces (`-i any`) is told apart.
    public var vantage: Int
    public var kind: Kind

    public init(
        timeNanoseconds: Int64, frame: Int, frames: [Int], source: Endpoint, destination: Endpoint, transport: TransportProtocol, vantage: Int = 0, kind: Kind
    ) {
        self.timeNanoseconds = timeNanoseconds
        self.frame = frame
        self.frameList = FrameList(frames)
        self.source = source
        self.destination = destination
        self.transport = transport
        self.vantage = vantage
        self.kind = kind
    }

    /// An event of one frame, without an array for the frame list.
    init(
        timeNanoseconds: Int64, frame: Int, onlyFrame: Int, source: Endpoint, destination: Endpoint, transport: TransportProtocol, vantage: Int, kind: Kind
    ) {
        self.timeNanoseconds = timeNanoseconds
        self.frame = frame
        self.frameList = .one(onlyFrame)
        self.source = source
        self.destination = destination
        self.transport = transport
        self.vantage = vantage
        self.kind = kind
    }

    /// The DNS content, if this is a DNS event.
    public var dns: DNSEvent? {
        if case .dns(let d) = kind { return d }
        return nil
    }

    /// The HTTP content, if this is an HTTP event.
    public var http: HTTPExchange? {
        if case .http(let h) = kind { return h }
        return nil
    }
}

/// The frames of an event: one inline, or a list.
enum FrameList: Sendable {
    case one(Int)
    case many([Int])

    init(_ frames: [Int]) {
        if frames.count == 1, let only = frames.first { self = .one(only) } else { self = .many(frames) }
    }
}

/// One DNS message seen on the wire, with its pairing to the query when it is a response.
public struct DNSEvent: Sendable {
    /// The message's octets (without the TCP length prefix), checked by the strict decoder; read
    /// in place when events are written out.
    public var wire: DNSWireMessage
    /// For a response: the frame of the query it answers (same 5-tuple, ID and question).
    public var queryFrame: Int?
    /// For a response: its time minus the paired query's time, in nanoseconds.
    public var latencyNanoseconds: Int64?
    /// For a query: true when an unanswered query with the same 5-tuple, ID and question was
    /// already seen at the same vantage point (a client retransmission).
    public var isRetransmission: Bool

    public init(wire: DNSWireMessage, queryFrame: Int? = nil, latencyNanoseconds: Int64? = nil, isRetransmission: Bool = false) {
        self.wire = wire
        self.queryFrame = queryFrame
        self.latencyNanoseconds = latencyNanoseconds
        self.isRetransmission = isRetransmission
    }

    /// An event for a message given as a value (encoded with name compression, then checked).
    ///
    /// - Throws: ``DNSWireError`` when the message cannot be encoded.
    public init(message: DNSMessage, queryFrame: Int? = nil, latencyNanoseconds: Int64? = nil, isRetransmission: Bool = false) throws {
        let wire = try DNSWireMessage(validating: message.wireBytes(), options: .strict)
        self.init(wire: wire, queryFrame: queryFrame, latencyNanoseconds: latencyNanoseconds, isRetransmission: isRetransmission)
    }

    /// The message, decoded from ``wire`` (on each access).
    public var message: DNSMessage { wire.message }

    /// The message's size in octets (without the TCP length prefix).
    public var size: Int { wire.octets.count }
}

/// One HTTP/1.x exchange on a reassembled TCP connection: a request and its response, paired in
/// order on the connection (keep-alive). Either side may be missing when the capture did not see it.
public struct HTTPExchange: Sendable {
    /// The request line and what kubetape keeps of its headers and body.
    public struct Request: Sendable {
        public var method: String
        public var uri: String
        public var version: String
        /// The `Host` header, if present.
        public var host: String?
        /// The first octets of the (de-chunked) body, at most ``TrafficDecoder/Configuration/bodyPreviewLimit``.
        public var bodyPreview: [UInt8]
        /// Total body octets.
        public var bodyLength: Int
        /// The frame that completed the request (its last segment).
        public var frame: Int
        /// Capture time of ``frame``.
        public var timeNanoseconds: Int64

        public init(method: String, uri: String, version: String, host: String?, bodyPreview: [UInt8], bodyLength: Int, frame: Int, timeNanoseconds: Int64) {
            self.method = method
            self.uri = uri
            self.version = version
            self.host = host
            self.bodyPreview = bodyPreview
            self.bodyLength = bodyLength
            self.frame = frame
            self.timeNanoseconds = timeNanoseconds
        }
    }

    /// The status line and what kubetape keeps of the headers and body.
    public struct Response: Sendable {
        public var status: Int
        public var reason: String
        public var version: String
        /// `Content-Type`, if present.
        public var contentType: String?
        /// True when the body came chunked.
        public var chunked: Bool
        public var bodyPreview: [UInt8]
        public var bodyLength: Int
        public var frame: Int
        public var timeNanoseconds: Int64

        public init(
            status: Int, reason: String, version: String, contentType: String?, chunked: Bool, bodyPreview: [UInt8], bodyLength: Int, frame: Int,
            timeNanoseconds: Int64
        ) {
            self.status = status
            self.reason = reason
            self.version = version
            self.contentType = contentType
            self.chunked = chunked
            self.bodyPreview = bodyPreview
            self.bodyLength = bodyLength
            self.frame = frame
            self.timeNanoseconds = timeNanoseconds
        }
    }

    public var client: Endpoint
    public var server: Endpoint
    public var request: Request?
    public var response: Response?

    public init(client: Endpoint, server: Endpoint, request: Request?, response: Response?) {
        self.client = client
        self.server = server
        self.request = request
        self.response = response
    }

    /// Response time minus request time, when both were seen.
    public var latencyNanoseconds: Int64? {
        guard let request, let response else { return nil }
        return response.timeNanoseconds - request.timeNanoseconds
    }
}
