/// A small deterministic random number generator (SplitMix64): the same seed yields the same
/// sequence on every platform, so shuffled answers, message IDs and seeded test inputs replay byte
/// for byte. The one generator of the project (ClusterDNS's shuffle, the forwarder, mutation tests).
public struct SeededGenerator: RandomNumberGenerator, Hashable, Sendable {
    private var state: UInt64

    /// A generator whose sequence is fixed by `seed`.
    public init(seed: UInt64) {
        state = seed
    }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A 16-bit draw, as miekg/dns's `dns.Id()` gives the `loadbalance` plugin.
    public mutating func nextID() -> UInt16 {
        UInt16(truncatingIfNeeded: next() >> 48)
    }
}
