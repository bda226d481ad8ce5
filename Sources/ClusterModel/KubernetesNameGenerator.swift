/// Deterministic stand-in for the random name suffixes Kubernetes generates (`generateName`,
/// pod-template-hash): characters from the Kubernetes alphabet, drawn from a seeded SplitMix64.
struct KubernetesNameGenerator {
    /// `k8s.io/apimachinery/pkg/util/rand`: consonants and digits, no vowels, no look-alikes.
    static let alphabet: [Character] = Array("bcdfghjklmnpqrstvwxz2456789")

    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
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
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in key.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01B3
        }
        var generator = KubernetesNameGenerator(seed: hash)
        return generator.string(count)
    }
}
