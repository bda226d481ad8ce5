import DNSWire

/// One end of a UDP or TCP conversation: an IP address and a port.
public struct Endpoint: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var address: IPAddress
    public var port: UInt16

    public init(address: IPAddress, port: UInt16) {
        self.address = address
        self.port = port
    }

    /// `10.244.3.4:51234`, or `[fd00::1]:53` for IPv6.
    public var description: String {
        switch address {
        case .v4(let a): return "\(a):\(port)"
        case .v6(let a): return "[\(a)]:\(port)"
        }
    }

    public static func < (lhs: Endpoint, rhs: Endpoint) -> Bool {
        if lhs.address != rhs.address { return lhs.address < rhs.address }
        return lhs.port < rhs.port
    }
}

/// Writes the addresses of a conversation's two ends as whole words for a `Hasher`: one word
/// for a pair of IPv4 addresses, two per IPv6 address. Lossless, so that only the hasher's
/// per-process key decides collisions (the connection and DNS pairing tables read crafted
/// captures too), and cheaper than the synthesized hashing of two `IPAddress` enums.
enum EndpointHashing {
    /// Writes the words at the start of `words` (room for 4) and returns how many.
    @inline(__always)
    static func write(_ a: IPAddress, _ b: IPAddress, into words: UnsafeMutableBufferPointer<UInt64>) -> Int {
        switch (a, b) {
        case (.v4(let x), .v4(let y)):
            words[0] = UInt64(x.value) << 32 | UInt64(y.value)
            return 1
        default:
            let first = write(a, into: words, at: 0)
            return first + write(b, into: words, at: first)
        }
    }

    @inline(__always)
    private static func write(_ address: IPAddress, into words: UnsafeMutableBufferPointer<UInt64>, at index: Int) -> Int {
        switch address {
        case .v4(let a):
            words[index] = UInt64(a.value)
            return 1
        case .v6(let a):
            words[index] = a.high
            words[index + 1] = a.low
            return 2
        }
    }

    /// The two addresses and two more words, hashed in one call.
    @inline(__always)
    static func combine(_ a: IPAddress, _ b: IPAddress, and first: UInt64, _ second: UInt64, into hasher: inout Hasher) {
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 6) { words in
            let count = write(a, b, into: words)
            words[count] = first
            words[count + 1] = second
            hasher.combine(bytes: UnsafeRawBufferPointer(start: words.baseAddress, count: 8 * (count + 2)))
        }
    }
}

/// The transport a message travelled on.
public enum TransportProtocol: String, Hashable, Sendable {
    case udp
    case tcp
}
