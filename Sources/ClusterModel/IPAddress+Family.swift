import DNSWire

extension IPAddress {
    /// The address family, as `ipFamilies` and EndpointSlice `addressType` name it.
    public var family: IPFamily { isIPv4 ? .ipv4 : .ipv6 }
}
