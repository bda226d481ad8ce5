/// The one error type of `DNSWire`: every decode, encode or presentation-parse failure.
///
/// It carries a matchable ``code``, the byte ``offset`` in the message (or the line in zone-file
/// text) where the problem was found, and a human ``reason``.
public struct DNSWireError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong, as a value that tests and callers can match on.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The stable name of the code, e.g. `truncated`.
        public let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }

        /// The message ended before a field did.
        public static let truncated = Code("truncated")
        /// Bytes were left over after the last record, or inside a record's RDATA.
        public static let trailingBytes = Code("trailingBytes")
        /// A label was longer than 63 octets.
        public static let labelTooLong = Code("labelTooLong")
        /// A name was longer than 255 octets in wire form.
        public static let nameTooLong = Code("nameTooLong")
        /// A label-type byte used the reserved 0b01 or 0b10 prefixes.
        public static let badLabelType = Code("badLabelType")
        /// A compression pointer pointed at or after itself.
        public static let forwardPointer = Code("forwardPointer")
        /// More compression pointers were followed than ``DNSWireLimits/maxPointerHops`` allows.
        public static let pointerLoop = Code("pointerLoop")
        /// RDATA length did not fit the record type (e.g. an A record that is not 4 octets).
        public static let badRDataLength = Code("badRDataLength")
        /// An OPT record appeared outside the additional section, twice, or not at the root name.
        public static let badOPT = Code("badOPT")
        /// A section count exceeded ``DNSWireLimits``.
        public static let tooManyRecords = Code("tooManyRecords")
        /// The message is larger than 65535 octets and cannot be written.
        public static let messageTooLarge = Code("messageTooLarge")
        /// A zone-file or presentation-format string could not be parsed.
        public static let badPresentation = Code("badPresentation")
        /// A DNS-over-TCP frame announced a length of zero.
        public static let emptyFrame = Code("emptyFrame")
        /// A character string (TXT) was longer than 255 octets.
        public static let stringTooLong = Code("stringTooLong")
    }

    /// The matchable category.
    public var code: Code
    /// Byte offset in the message where decoding stopped, or the 1-based line number for
    /// presentation-format input; `nil` when not applicable.
    public var offset: Int?
    /// A sentence for humans.
    public var reason: String

    public init(_ code: Code, at offset: Int?, _ reason: String) {
        self.code = code
        self.offset = offset
        self.reason = reason
    }

    public var description: String {
        if let offset { return "\(code) at offset \(offset): \(reason)" }
        return "\(code): \(reason)"
    }
}

/// The limits `DNSWire` enforces on hostile input, in one place.
public struct DNSWireLimits: Sendable, Hashable {
    /// Maximum octets of a label (RFC 1035 2.3.4).
    public static let maxLabelLength = 63
    /// Maximum octets of a name in uncompressed wire form, including the root label (RFC 1035 2.3.4).
    public static let maxNameLength = 255
    /// Maximum size of a DNS message (16-bit length; TCP frame size).
    public static let maxMessageSize = 65535
    /// Compression pointers followed while reading one name; with pointers required to point
    /// backwards a loop is impossible, this is a second fence.
    public static let maxPointerHops = 127
    /// Maximum octets of one character-string (RFC 1035 3.3).
    public static let maxCharacterString = 255
}
