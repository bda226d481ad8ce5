import DNSWire

/// Deterministic stand-in for the random name suffixes Kubernetes generates (`generateName`,
/// pod-template-hash): characters from the Kubernetes alphabet, drawn from the seeded `SeededGenerator` (SplitMix64).
struct KubernetesNameGenerator {
    /// `k8s.io/apimachinery/pkg/util/rand`: consonants and digits, no vowels, no look-alikes.
    static let alphabet: [Character] = Array("bcdfghjklmnpqrstvwxz2456789")

    private var generator: SeededGenerator

    init(seed: UInt64) {
        generator = SeededGenerator(seed: seed)
    }

    mutating func next() -> UInt64 {
        generator.next()
    }

    /// `count` characters of the alphabet.
    mutating func string(_ count: Int) -> String {
        var result = ""
        for _ in 0..<count {
            result.append(Self.alphabet[Int(next() % UInt64(Self.alphabet.count))])
        }
        return result
    }

    /// A stable suffix for a name derived from `key` (FNV-1a), for objects that have no seed at hand.
    static func stableSuffix(for key: String, count: Int = 5) -> String {
        var generator = KubernetesNameGenerator(seed: stableHash(key))
        return generator.string(count)
    }

    /// FNV-1a of the key's UTF-8 bytes.
    static func stableHash(_ key: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in key.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01B3
        }
        return hash
    }
}
