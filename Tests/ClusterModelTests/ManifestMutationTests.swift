import ClusterModel
import DNSWire
import Foundation
import Testing

/// Seeded, bounded mutation of real manifests: the loader must return a cluster or throw a
/// `ManifestError`, never trap, and never loop for long.
@Suite struct ManifestMutationTests {
    /// The project's seeded generator, with the one draw these mutations need.
    struct SplitMix {
        var generator: SeededGenerator
        init(state: UInt64) { generator = SeededGenerator(seed: state) }
        mutating func below(_ n: Int) -> Int { Int(generator.next() % UInt64(max(n, 1))) }
    }

    static let replacements: [String] = [
        "", ":", "-", " ", "\n", "\"", "[", "{", "}", "]", "*a", "&a ", "!!int ", "None", "0", "-1", "99999", "::", "fd00::", "\t", "---\n", "?", "|", ">", "#",
    ]

    @Test func mutatedKiadaManifestsNeverTrap() throws {
        let directory = Load.repositoryRoot.appendingPathComponent("scenarios/clusters/kiada")
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".yaml") }.sorted()
        #expect(files.count >= 4)
        let original = try files.map { try String(contentsOf: directory.appendingPathComponent($0), encoding: .utf8) }.joined(separator: "\n---\n")
        let bytes = Array(original.utf8)
        var random = SplitMix(state: 20_261_126)
        var loaded = 0
        var rejected = 0
        let started = Date()
        for _ in 0..<400 {
            var mutated = bytes
            for _ in 0..<(1 + random.below(3)) {
                let at = random.below(mutated.count)
                let length = random.below(12)
                let replacement = Array(Self.replacements[random.below(Self.replacements.count)].utf8)
                mutated.replaceSubrange(at..<min(at + length, mutated.count), with: replacement)
            }
            let text = String(decoding: mutated, as: UTF8.self)
            do {
                _ = try ManifestLoader().load(yaml: text, file: "mutated.yaml")
                loaded += 1
            } catch let error as ManifestError {
                #expect(!error.diagnostics.isEmpty)
                #expect(error.diagnostics.allSatisfy { $0.severity == .error })
                rejected += 1
            }
        }
        #expect(loaded + rejected == 400)
        #expect(rejected > 0)
        #expect(loaded > 0)
        #expect(Date().timeIntervalSince(started) < 60)
    }
}
