import Foundation
import Testing

/// `kubetape resolve` prints, offline, what nslookup prints in a pod. This checks it against the
/// real BIND nslookup run in a pod of the fake cluster through `kubetape exec`: the same lines
/// (compared as multisets, since the shuffle of address records depends on how many queries the
/// server has answered before).
@Suite(.serialized) struct ResolveMatchesNslookupTests {
    @Test(arguments: ["quote-headless", "quote", "quote-headless.kiada", "external-service-headless", "nosuch", "kube-dns.kube-system"])
    func offlineTranscriptEqualsRealNslookup(name: String) throws {
        try #require(getuid() == 0, "needs root (kubetape exec); CI runs as root")
        let manifests = ExecWithRealClientsTests.manifests
        let offline = try KubetapeBinary.run(["resolve", name, "--from", "kiada/dns-test", "--manifests", manifests])
        let real = try KubetapeBinary.run(["exec", "--manifests", manifests, "--from", "kiada/dns-test", "--", "nslookup", name])
        // the walk lines (";; NAME. TYPE: RCODE") are kubetape's own; the rest is nslookup's
        let offlineTranscript = offline.stdout.split(separator: "\n", omittingEmptySubsequences: false).filter {
            !$0.hasPrefix(";; ") || $0.hasPrefix(";; Got")
        }
        let realTranscript = real.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(offlineTranscript.sorted() == realTranscript.sorted(), "offline:\n\(offline.stdout)\nreal nslookup:\n\(real.stdout)")
        #expect(offline.status == real.status, "resolve exits \(offline.status), nslookup \(real.status)")
    }
}
