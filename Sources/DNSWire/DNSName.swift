/// A domain name: a sequence of labels, case preserved, compared case-insensitively (RFC 4343).
///
/// Stored as its uncompressed wire form (length-prefixed labels ending with the root's zero
/// octet), which is at most 255 octets. Every name is absolute; presentation text without a
/// trailing dot is taken as relative to the root unless an origin is given.
public struct DNSName: Sendable, CustomStringConvertible {
    /// The uncompressed wire form, including the terminating zero octet.
    public private(set) var wire: [UInt8]

    /// The root name `.`.
    public static let root = DNSName(uncheckedWire: [0])

    init(uncheckedWire: [UInt8]) { wire = uncheckedWire }

    /// What a reader that only checks a message returns for a name that is not the root, so
    /// that "owned by the root" checks still work; never seen outside DNSWire. Its storage is
    /// the shared empty array, which costs no reference counting.
    static var uncheckedPlaceholder: DNSName { DNSName(uncheckedWire: []) }

    /// Builds a name from labels (each 1...63 octets), failing if a limit is broken.
    public init(labels: [some Collection<UInt8>]) throws {
        var out: [UInt8] = []
        out.reserveCapacity(labels.reduce(1) { $0 + $1.count + 1 })
        for label in labels {
            guard !label.isEmpty else {
                throw DNSWireError(.badPresentation, at: nil, "empty label")
            }
            guard label.count <= DNSWireLimits.maxLabelLength else {
                throw DNSWireError(.labelTooLong, at: nil, "label of \(label.count) octets exceeds 63")
            }
            out.append(UInt8(label.count))
            out.append(contentsOf: label)
        }
        out.append(0)
        guard out.count <= DNSWireLimits.maxNameLength else {
            throw DNSWireError(.nameTooLong, at: nil, "name of \(out.count) octets exceeds 255")
        }
        wire = out
    }

    /// Parses presentation text (`quote.kiada.svc.cluster.local.`, escapes `\.` and `\DDD`).
    /// A name without trailing dot is made absolute by appending `origin` (the root by default).
    public init(_ text: some StringProtocol, origin: DNSName = .root) throws {
        let bytes = Array(text.utf8)
        if bytes == [UInt8(ascii: ".")] {
            self = .root
            return
        }
        if bytes == [UInt8(ascii: "@")] {
            self = origin
            return
        }
        guard !bytes.isEmpty else { throw DNSWireError(.badPresentation, at: nil, "empty name") }
        var labels: [[UInt8]] = []
        var current: [UInt8] = []
        var absolute = false
        var i = 0
        while i < bytes.count {
            let c = bytes[i]
            if c == UInt8(ascii: "\\") {
                guard i + 1 < bytes.count else {
                    throw DNSWireError(.badPresentation, at: nil, "name '\(text)' ends in a lone backslash")
                }
                let n = bytes[i + 1]
                if n >= UInt8(ascii: "0") && n <= UInt8(ascii: "9") {
                    guard i + 3 < bytes.count,
                        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[i + 2]),
                        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[i + 3])
                    else {
                        throw DNSWireError(.badPresentation, at: nil, "name '\(text)' has a \\DDD escape without three digits")
                    }
                    let value = Int(n - 48) * 100 + Int(bytes[i + 2] - 48) * 10 + Int(bytes[i + 3] - 48)
                    guard value <= 255 else {
                        throw DNSWireError(.badPresentation, at: nil, "name '\(text)' has escape \\\(value) above 255")
                    }
                    current.append(UInt8(value))
                    i += 4
                } else {
                    current.append(n)
                    i += 2
                }
                continue
            }
            if c == UInt8(ascii: ".") {
                guard !current.isEmpty else {
                    throw DNSWireError(.badPresentation, at: nil, "name '\(text)' has an empty label")
                }
                labels.append(current)
                current = []
                if i == bytes.count - 1 { absolute = true }
                i += 1
                continue
            }
            current.append(c)
            i += 1
        }
        if !current.isEmpty { labels.append(current) }
        var name = try DNSName(labels: labels)
        if !absolute && origin.wire.count > 1 {
            name = try name.appending(origin)
        }
        self = name
    }

    /// Number of labels, not counting the root.
    public var labelCount: Int {
        var count = 0
        var i = 0
        while wire[i] != 0 {
            count += 1
            i += Int(wire[i]) + 1
        }
        return count
    }

    /// The labels from left to right, without the root.
    public var labels: [ArraySlice<UInt8>] {
        var out: [ArraySlice<UInt8>] = []
        var i = 0
        while wire[i] != 0 {
            let length = Int(wire[i])
            out.append(wire[(i + 1)..<(i + 1 + length)])
            i += length + 1
        }
        return out
    }

    /// Labels as strings (raw bytes decoded as UTF-8 with replacement; use for names known to be text).
    public var labelStrings: [String] {
        labels.map { String(decoding: $0, as: UTF8.self) }
    }

    /// True for `.`.
    public var isRoot: Bool { wire.count == 1 }

    /// This name with `suffix` appended (this name's root label dropped).
    public func appending(_ suffix: DNSName) throws -> DNSName {
        let combined = Array(wire.dropLast()) + suffix.wire
        guard combined.count <= DNSWireLimits.maxNameLength else {
            throw DNSWireError(.nameTooLong, at: nil, "name of \(combined.count) octets exceeds 255")
        }
        return DNSName(uncheckedWire: combined)
    }

    /// The name with the first `count` labels removed.
    public func dropping(first count: Int) -> DNSName {
        var i = 0
        var dropped = 0
        while dropped < count && wire[i] != 0 {
            i += Int(wire[i]) + 1
            dropped += 1
        }
        return DNSName(uncheckedWire: Array(wire[i...]))
    }

    /// True if this name equals `other` or lies below it (case-insensitive).
    public func isSubdomain(of other: DNSName) -> Bool {
        guard wire.count >= other.wire.count else { return false }
        let start = wire.count - other.wire.count
        // the suffix must begin on a label boundary
        var i = 0
        while i < start {
            i += Int(wire[i]) + 1
        }
        guard i == start else { return false }
        return DNSName.wireEqualIgnoringCase(wire[start...], other.wire[...])
    }

    /// The same name with ASCII letters lowercased.
    public func lowercased() -> DNSName {
        DNSName(uncheckedWire: wire.map(DNSName.fold))
    }

    @inline(__always) static func fold(_ b: UInt8) -> UInt8 {
        (b >= 65 && b <= 90) ? b | 0x20 : b
    }

    /// True when two names in uncompressed wire form are equal but for the case of ASCII
    /// letters: eight octets at a time while they are identical (the usual case: a response
    /// repeats its query's name), then octet by octet.
    public static func wireEqualIgnoringCase(_ a: ArraySlice<UInt8>, _ b: ArraySlice<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        return a.withUnsafeBytes { ra in
            b.withUnsafeBytes { rb in
                var i = 0
                while i + 8 <= ra.count,
                    ra.loadUnaligned(fromByteOffset: i, as: UInt64.self) == rb.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                {
                    i += 8
                }
                while i < ra.count {
                    if fold(ra[i]) != fold(rb[i]) { return false }
                    i += 1
                }
                return true
            }
        }
    }

    /// Presentation form with a trailing dot, `\.`, `\\` and `\DDD` escapes as dig prints them.
    public var description: String {
        if isRoot { return "." }
        // Built as octets (all ASCII), then made a String once.
        var out: [UInt8] = []
        out.reserveCapacity(wire.count + 8)
        var i = 0
        while i < wire.count, wire[i] != 0 {
            let end = min(i + 1 + Int(wire[i]), wire.count)
            for b in wire[(i + 1)..<end] {
                switch b {
                case UInt8(ascii: "."), UInt8(ascii: "\\"), UInt8(ascii: "\""), UInt8(ascii: "("),
                    UInt8(ascii: ")"), UInt8(ascii: ";"), UInt8(ascii: "$"), UInt8(ascii: "@"):
                    out.append(UInt8(ascii: "\\"))
                    out.append(b)
                case 0x21...0x7e:
                    out.append(b)
                default:
                    out.append(UInt8(ascii: "\\"))
                    out.append(48 + b / 100)
                    out.append(48 + b / 10 % 10)
                    out.append(48 + b % 10)
                }
            }
            out.append(UInt8(ascii: "."))
            i = end
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension DNSName: Hashable {
    public static func == (lhs: DNSName, rhs: DNSName) -> Bool {
        wireEqualIgnoringCase(lhs.wire[...], rhs.wire[...])
    }

    public func hash(into hasher: inout Hasher) {
        for b in wire { hasher.combine(DNSName.fold(b)) }
    }

    /// Byte-exact comparison, case included.
    public func isIdentical(to other: DNSName) -> Bool { wire == other.wire }
}

extension DNSName: ExpressibleByStringLiteral {
    /// For literals in code and tests; traps on an invalid literal, which is a programming error.
    public init(stringLiteral value: String) {
        do {
            try self.init(value)
        } catch {
            preconditionFailure("invalid DNS name literal '\(value)': \(error)")
        }
    }
}
