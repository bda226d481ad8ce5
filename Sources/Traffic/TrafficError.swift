/// What went wrong while turning packets into events: a matchable code, a human reason and the
/// frame it came from. Decoding never stops on one of these; ``TrafficDecoder`` reports them as
/// diagnostics next to the events.
public struct TrafficError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A matchable kind of problem.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }

        /// The link type is not one kubetape decodes (reported once per link type).
        public static let unsupportedLinkType = Code("unsupportedLinkType")
        /// A link, IP, UDP or TCP header is too short or inconsistent.
        public static let malformedPacket = Code("malformedPacket")
        /// The snap length cut the packet before the end of the data kubetape needs.
        public static let truncatedPacket = Code("truncatedPacket")
        /// A DNS message did not decode (the DNSWire error is in the reason).
        public static let malformedDNS = Code("malformedDNS")
        /// An HTTP/1.x stream did not parse (NIOHTTP1's error is in the reason).
        public static let malformedHTTP = Code("malformedHTTP")
        /// Octets of a TCP stream were never captured; a gap of that many octets was skipped.
        public static let streamGap = Code("streamGap")
        /// A stream, fragment set or pending query was dropped to stay inside the memory limits.
        public static let limitExceeded = Code("limitExceeded")
        /// IP fragments that never completed a datagram.
        public static let incompleteFragments = Code("incompleteFragments")
    }

    public var code: Code
    /// The 1-based frame the problem was found in, when there is one.
    public var frame: Int?
    public var reason: String

    public init(_ code: Code, frame: Int?, _ reason: String) {
        self.code = code
        self.frame = frame
        self.reason = reason
    }

    public var description: String {
        if let frame { return "frame \(frame): \(reason)" }
        return reason
    }
}
