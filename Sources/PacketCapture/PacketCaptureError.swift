/// The one error type of `PacketCapture`: reading or writing capture files and live capture.
///
/// It carries a matchable ``code``, a human ``reason``, the file ``path`` or live ``interface``
/// it concerns, and, for file reading, the 1-based ``frameNumber`` of the packet where reading
/// stopped (every packet before it has already been delivered).
public struct PacketCaptureError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong, as a value that tests and callers can match on.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The stable name of the code, e.g. `truncatedFile`.
        public let name: String
        private init(_ name: String) { self.name = name }
        /// The code's name.
        public var description: String { name }

        /// The file could not be opened or read (missing, permissions, I/O error).
        public static let unreadableFile = Code("unreadableFile")
        /// The file does not start with a pcap or pcapng magic number.
        public static let notACaptureFile = Code("notACaptureFile")
        /// The file ends in the middle of a header, record or block.
        public static let truncatedFile = Code("truncatedFile")
        /// A header, record or block is inconsistent (bad block length, impossible capture
        /// length, a packet naming an interface that was never described, ...).
        public static let malformedFile = Code("malformedFile")
        /// The file uses a format version kubetape does not read (e.g. pcapng major version 2).
        public static let unsupportedFormat = Code("unsupportedFormat")
        /// The capture file could not be created or written.
        public static let writeFailed = Code("writeFailed")
        /// A packet's link type differs from the one the pcap file was opened with.
        public static let linkTypeMismatch = Code("linkTypeMismatch")
        /// A value cannot be represented (e.g. a timestamp before 1970 in classic pcap).
        public static let invalidArgument = Code("invalidArgument")
        /// Live capture is not permitted (missing CAP_NET_RAW / CAP_NET_ADMIN).
        public static let permissionDenied = Code("permissionDenied")
        /// The live capture interface does not exist.
        public static let noSuchInterface = Code("noSuchInterface")
        /// libpcap could not compile the BPF filter expression.
        public static let badFilter = Code("badFilter")
        /// The interface does not offer the requested link type.
        public static let unsupportedLinkType = Code("unsupportedLinkType")
        /// Any other libpcap failure while opening or reading a live capture.
        public static let captureFailed = Code("captureFailed")
    }

    /// The matchable category.
    public var code: Code
    /// A sentence for humans, including libpcap's own message when there is one.
    public var reason: String
    /// The capture file concerned, if any.
    public var path: String?
    /// The live interface concerned, if any.
    public var interface: String?
    /// The 1-based number of the packet at which reading stopped; `nil` when the failure is
    /// not tied to a packet (e.g. a bad file header).
    public var frameNumber: Int?

    /// Creates an error; `frameNumber` is the 1-based packet at which reading stopped.
    public init(_ code: Code, _ reason: String, path: String? = nil, interface: String? = nil, frameNumber: Int? = nil) {
        self.code = code
        self.reason = reason
        self.path = path
        self.interface = interface
        self.frameNumber = frameNumber
    }

    /// `path: interface X: frame N: reason`, leaving out the parts that are absent.
    public var description: String {
        var prefix = ""
        if let path { prefix += path + ": " }
        if let interface { prefix += "interface \(interface): " }
        if let frameNumber { prefix += "frame \(frameNumber): " }
        return prefix + reason
    }
}
