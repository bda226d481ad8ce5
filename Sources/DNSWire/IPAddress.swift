/// An IPv4 address as a value: the 32 bits in network order, printed dotted-quad.
public struct IPv4Address: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The address as a host-order integer (`10.0.0.1` is `0x0A000001`).
    public var value: UInt32

    public init(_ value: UInt32) { self.value = value }
    public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) {
        value = UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d)
    }

    /// Parses dotted-quad text strictly: four decimal octets, no leading zeros beyond `0`.
    public init?(_ text: some StringProtocol) {
        var result: UInt32 = 0
        var octets = 0
        var current: UInt32 = 0
        var digits = 0
        var leadingZero = false
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                if digits == 1 && leadingZero { return nil }
                if digits == 0 { leadingZero = byte == UInt8(ascii: "0") }
                current = current * 10 + UInt32(byte - UInt8(ascii: "0"))
                digits += 1
                if digits > 3 || current > 255 { return nil }
            case UInt8(ascii: "."):
                if digits == 0 || octets == 3 { return nil }
                result = result << 8 | current
                octets += 1
                current = 0
                digits = 0
            default:
                return nil
            }
        }
        if digits == 0 || octets != 3 { return nil }
        value = result << 8 | current
    }

    /// The four octets in network order.
    public var octets: [UInt8] {
        [UInt8(value >> 24), UInt8(truncatingIfNeeded: value >> 16), UInt8(truncatingIfNeeded: value >> 8), UInt8(truncatingIfNeeded: value)]
    }

    public var description: String {
        "\(value >> 24).\((value >> 16) & 0xff).\((value >> 8) & 0xff).\(value & 0xff)"
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.value < rhs.value }
}

/// An IPv6 address as a value: 128 bits, printed in RFC 5952 canonical form.
public struct IPv6Address: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// High 64 bits.
    public var high: UInt64
    /// Low 64 bits.
    public var low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// Builds an address from 16 octets in network order; `nil` if the count is not 16.
    public init?(octets: some Collection<UInt8>) {
        guard octets.count == 16 else { return nil }
        var h: UInt64 = 0
        var l: UInt64 = 0
        for (i, byte) in octets.enumerated() {
            if i < 8 { h = h << 8 | UInt64(byte) } else { l = l << 8 | UInt64(byte) }
        }
        high = h
        low = l
    }

    /// The eight 16-bit groups.
    public var groups: [UInt16] {
        (0..<8).map(group)
    }

    /// The 16 octets in network order.
    public var octets: [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(16)
        for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: high >> UInt64(shift))) }
        for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: low >> UInt64(shift))) }
        return out
    }

    /// Parses IPv6 text: hex groups, one `::`, and an optional trailing dotted IPv4.
    public init?(_ text: some StringProtocol) {
        let s = String(text)
        guard !s.isEmpty, s.utf8.count <= 45 else { return nil }
        var head: [UInt16] = []
        var tail: [UInt16] = []
        var parts: [String] = []
        if let range = s.firstRange(of: "::") {
            parts = [String(s[..<range.lowerBound]), String(s[range.upperBound...])]
            if parts[1].contains("::") { return nil }
        } else {
            parts = [s]
        }
        guard parts.count <= 2 else { return nil }
        func parseGroups(_ part: String, allowV4: Bool) -> [UInt16]? {
            if part.isEmpty { return [] }
            var result: [UInt16] = []
            let fields = part.split(separator: ":", omittingEmptySubsequences: false)
            for (i, field) in fields.enumerated() {
                if allowV4 && i == fields.count - 1 && field.contains(".") {
                    guard let v4 = IPv4Address(field) else { return nil }
                    result.append(UInt16(v4.value >> 16))
                    result.append(UInt16(v4.value & 0xffff))
                } else {
                    guard (1...4).contains(field.utf8.count), let g = UInt16(field, radix: 16) else { return nil }
                    result.append(g)
                }
            }
            return result
        }
        if parts.count == 2 {
            guard let h = parseGroups(parts[0], allowV4: false), let t = parseGroups(parts[1], allowV4: true) else { return nil }
            guard h.count + t.count <= 7 else { return nil }
            head = h
            tail = t
        } else {
            guard let h = parseGroups(parts[0], allowV4: true), h.count == 8 else { return nil }
            head = h
        }
        let all = head + [UInt16](repeating: 0, count: 8 - head.count - tail.count) + tail
        var h: UInt64 = 0
        var l: UInt64 = 0
        for i in 0..<4 { h = h << 16 | UInt64(all[i]) }
        for i in 4..<8 { l = l << 16 | UInt64(all[i]) }
        high = h
        low = l
    }

    /// Group `index` (0...7) of the eight 16-bit groups, without building ``groups``.
    public func group(_ index: Int) -> UInt16 {
        UInt16(truncatingIfNeeded: (index < 4 ? high : low) >> (48 - 16 * UInt64(index % 4)))
    }

    /// The run of zero groups RFC 5952 writes as `::`: the first of the longest runs of at least
    /// two, or `nil`. Shared by ``description`` and writers that format without Strings.
    public var compressedZeroRun: (start: Int, length: Int)? {
        var best: (start: Int, length: Int)?
        var i = 0
        while i < 8 {
            guard group(i) == 0 else {
                i += 1
                continue
            }
            var j = i
            while j < 8 && group(j) == 0 { j += 1 }
            if j - i >= 2 && j - i > (best?.length ?? 0) { best = (i, j - i) }
            i = j
        }
        return best
    }

    /// RFC 5952: lowercase, no leading zeros, the longest run (≥ 2) of zero groups as `::`, and a
    /// trailing dotted quad for IPv4-compatible and v4-mapped addresses (as dig prints them).
    public var description: String {
        let g = groups
        func hex(_ range: Range<Int>) -> String {
            range.map { String(g[$0], radix: 16) }.joined(separator: ":")
        }
        guard let (bestStart, bestLength) = compressedZeroRun else { return hex(0..<8) }
        // an IPv4-compatible (::a.b.c.d) or v4-mapped (::ffff:a.b.c.d) address ends in dotted
        // quad, as BIND's dig and dnspython print it
        if bestStart == 0 && (bestLength == 6 || (bestLength == 5 && g[5] == 0xffff)) {
            let v4 = IPv4Address(UInt32(truncatingIfNeeded: low))
            return (bestLength == 6 ? "::" : "::ffff:") + v4.description
        }
        return hex(0..<bestStart) + "::" + hex((bestStart + bestLength)..<8)
    }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.high, lhs.low) < (rhs.high, rhs.low)
    }
}

/// Either address family; the order sorts IPv4 before IPv6.
public enum IPAddress: Hashable, Sendable, Comparable, CustomStringConvertible {
    case v4(IPv4Address)
    case v6(IPv6Address)

    /// Parses either family.
    public init?(_ text: some StringProtocol) {
        if let v4 = IPv4Address(text) {
            self = .v4(v4)
        } else if let v6 = IPv6Address(text) {
            self = .v6(v6)
        } else {
            return nil
        }
    }

    public var description: String {
        switch self {
        case .v4(let a): return a.description
        case .v6(let a): return a.description
        }
    }

    /// True for IPv4.
    public var isIPv4: Bool {
        if case .v4 = self { return true }
        return false
    }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        switch (lhs, rhs) {
        case (.v4(let a), .v4(let b)): return a < b
        case (.v6(let a), .v6(let b)): return a < b
        case (.v4, .v6): return true
        case (.v6, .v4): return false
        }
    }
}
