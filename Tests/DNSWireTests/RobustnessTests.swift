import DNSWire
import Foundation
import Testing

/// Hostile-input sweeps: every truncated prefix must throw, and a bounded, seeded mutation run
/// must never crash or hang.
struct RobustnessTests {
    /// Valid messages: every peer fixture plus the samples, compressed and not.
    static func corpus() throws -> [[UInt8]] {
        var messages = try PeerFixtures.hexFiles.map { try PeerFixtures.bytes($0) }
        for message in [Samples.headlessAnswer, Samples.nxdomain, Samples.everyType] {
            messages.append(try message.wireBytes())
            messages.append(try message.wireBytes(compress: false))
        }
        messages.append(RejectionTests.pointerChain(count: 126))
        return messages
    }

    @Test func everyTruncatedPrefixThrows() throws {
        let corpus = try Self.corpus()
        #expect(corpus.count > 40)
        var prefixes = 0
        for message in corpus {
            #expect(throws: Never.self) { _ = try DNSMessage(wireFormat: message) }
            for length in 0..<message.count {
                prefixes += 1
                do {
                    _ = try DNSMessage(wireFormat: message[0..<length])
                    Issue.record("prefix of \(length) of \(message.count) octets decoded: \(Hex.string(message))")
                } catch let error as DNSWireError {
                    // the counts in the header promise more than a prefix holds
                    #expect(error.code == .truncated, "\(error)")
                    #expect((error.offset ?? -1) <= length, "\(error) for a prefix of \(length)")
                }
            }
        }
        #expect(prefixes > 5000)
    }

    /// Octets that hit the decoder's branches: root, label-length edges, pointer and reserved prefixes.
    static let interesting: [UInt8] = [0x00, 0x01, 0x3f, 0x40, 0x7f, 0x80, 0xbf, 0xc0, 0xc1, 0xff, 0x0c, 0x29]

    /// Applies 1...4 random edits in place: bit flips, interesting octets, pointer splices,
    /// count changes, insertions, deletions, truncation.
    static func mutate(_ bytes: inout [UInt8], _ rng: inout SeededGenerator) {
        let edits = Int.random(in: 1...4, using: &rng)
        for _ in 0..<edits {
            if bytes.isEmpty {
                bytes.append(UInt8.random(in: 0...255, using: &rng))
                continue
            }
            let at = Int.random(in: 0..<bytes.count, using: &rng)
            switch UInt8.random(in: 0..<8, using: &rng) {
            case 0: bytes[at] ^= 1 << UInt8.random(in: 0..<8, using: &rng)
            case 1: bytes[at] = interesting[Int.random(in: 0..<interesting.count, using: &rng)]
            case 2: bytes[at] = UInt8.random(in: 0...255, using: &rng)
            case 3:
                // a compression pointer to a random earlier (or later) offset
                if at + 1 < bytes.count {
                    let target = Int.random(in: 0..<bytes.count, using: &rng)
                    bytes[at] = 0xC0 | UInt8(truncatingIfNeeded: target >> 8)
                    bytes[at + 1] = UInt8(truncatingIfNeeded: target)
                }
            case 4:
                // one of the four section counts, or an RDLENGTH-looking pair, nudged
                let field = 4 + 2 * Int.random(in: 0..<4, using: &rng)
                if field + 1 < bytes.count { bytes[field + 1] = bytes[field + 1] &+ UInt8.random(in: 1...3, using: &rng) }
            case 5: bytes.insert(UInt8.random(in: 0...255, using: &rng), at: at)
            case 6: bytes.remove(at: at)
            default: bytes.removeLast(Int.random(in: 0...min(4, bytes.count), using: &rng))
            }
        }
    }

    static let mutationCount = 200_000

    @Test func seededMutationsNeverCrashAndRoundTrip() throws {
        let corpus = try Self.corpus()
        var rng = SeededGenerator(seed: 0x6b75_6265_7461_7065)  // "kubetape"
        let clock = ContinuousClock()
        let start = clock.now
        var decoded = 0
        var rejected: [String: Int] = [:]
        var failures = 0
        var scratch: [UInt8] = []
        scratch.reserveCapacity(2048)
        for _ in 0..<Self.mutationCount {
            scratch.removeAll(keepingCapacity: true)
            scratch.append(contentsOf: corpus[Int.random(in: 0..<corpus.count, using: &rng)])
            Self.mutate(&scratch, &rng)
            let message: DNSMessage
            do {
                message = try DNSMessage(wireFormat: scratch)
            } catch let error as DNSWireError {
                rejected[error.code.name, default: 0] += 1
                continue
            }
            decoded += 1
            // what decodes must re-encode, decode again to an equal message, and re-encode to the same octets
            do {
                let wire = try message.wireBytes()
                let again = try DNSMessage(wireFormat: wire)
                let rewire = try again.wireBytes()
                if again != message || rewire != wire {
                    failures += 1
                    if failures <= 5 { Issue.record("round trip changed the message from \(Hex.string(scratch))") }
                }
            } catch {
                failures += 1
                if failures <= 5 { Issue.record("re-encoding failed with \(error) for \(Hex.string(scratch))") }
            }
        }
        let elapsed = clock.now - start
        #expect(failures == 0)
        // the mutator must reach both outcomes, and many rejection rules
        #expect(decoded > Self.mutationCount / 20, "only \(decoded) mutants decoded")
        #expect(rejected.keys.count >= 7, "rejections seen: \(rejected)")
        #expect(elapsed < .seconds(60), "mutation run took \(elapsed)")
        print("mutation run: \(Self.mutationCount) mutants in \(elapsed), \(decoded) decoded, rejected \(rejected.sorted { $0.key < $1.key })")
    }
}
