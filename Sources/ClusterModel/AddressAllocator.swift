import DNSWire

/// Hands out free addresses from CIDRs in ascending order, as a stand-in for the pod IPAM and the
/// service IP allocator: deterministic, skipping the network address, IPv4 addresses ending in .0
/// or .255, taken addresses and reserved ones.
struct AddressAllocator {
    var taken: Set<IPAddress> = []
    private var cursors: [CIDR: UInt64] = [:]
    /// Upper bound on candidates examined per call, so a huge IPv6 prefix cannot loop for long.
    static let maximumProbes: UInt64 = 1 << 20

    mutating func allocate(from cidr: CIDR, reserved: Set<IPAddress> = []) -> IPAddress? {
        var offset = cursors[cidr] ?? 1
        let hostBits = (cidr.address.isIPv4 ? 32 : 128) - cidr.prefixLength
        // Offsets are below 2^hostBits, and for IPv4 below the broadcast address.
        let limit: UInt64 = hostBits >= 64 ? .max : (cidr.address.isIPv4 ? (UInt64(1) << UInt64(hostBits)) - 1 : UInt64(1) << UInt64(hostBits))
        var probes: UInt64 = 0
        while offset < limit, probes < Self.maximumProbes {
            defer {
                offset += 1
                probes += 1
            }
            guard let candidate = Self.address(in: cidr, offset: offset) else { return nil }
            if case .v4(let v4) = candidate, v4.value & 0xff == 0 || v4.value & 0xff == 0xff { continue }
            if taken.contains(candidate) || reserved.contains(candidate) { continue }
            taken.insert(candidate)
            cursors[cidr] = offset + 1
            return candidate
        }
        cursors[cidr] = offset
        return nil
    }

    /// The first usable address of a CIDR (network + 1), which Kubernetes gives the `kubernetes` Service.
    static func firstHost(of cidr: CIDR) -> IPAddress? {
        address(in: cidr, offset: 1)
    }

    static func address(in cidr: CIDR, offset: UInt64) -> IPAddress? {
        switch cidr.address {
        case .v4(let base):
            let mask: UInt32 = cidr.prefixLength == 0 ? 0 : ~(UInt32.max >> UInt32(cidr.prefixLength))
            let network = UInt64(base.value & mask)
            let value = network + offset
            guard value <= UInt64(UInt32.max) else { return nil }
            return .v4(IPv4Address(UInt32(value)))
        case .v6(let base):
            let highBits = min(cidr.prefixLength, 64)
            let lowBits = max(cidr.prefixLength - 64, 0)
            let highMask: UInt64 = highBits == 0 ? 0 : ~(UInt64.max >> UInt64(highBits))
            let lowMask: UInt64 = lowBits == 0 ? 0 : (lowBits == 64 ? .max : ~(UInt64.max >> UInt64(lowBits)))
            let (low, overflow) = (base.low & lowMask).addingReportingOverflow(offset)
            return .v6(IPv6Address(high: (base.high & highMask) &+ (overflow ? 1 : 0), low: low))
        }
    }
}
