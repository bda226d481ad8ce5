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

/// The transport a message travelled on.
public enum TransportProtocol: String, Hashable, Sendable {
    case udp
    case tcp
}
