import ClusterModel
import DNSWire
import Testing

@testable import ClusterDNS

/// `answerOrder: rotate` keeps a counter only for names with several records, so a client asking
/// for many distinct names (pod names, NXDOMAINs) cannot grow the responder's state.
@Suite struct RotationBoundTests {
    @Test func countersOnlyForMultiRecordNames() throws {
        let cluster = try ManifestLoader().load(paths: [ChapterClusterTests.root + "/scenarios/clusters/kiada"])
        var responder = ClusterDNSResponder(cluster: cluster, options: ClusterDNSOptions(pods: .insecure, answerOrder: .rotate))
        for index in 0..<2000 {
            let name = try DNSName("10-244-\(index / 250)-\(index % 250).kiada.pod.cluster.local.")
            _ = responder.respond(to: DNSMessage.query(id: UInt16(index), name: name, type: .a))
            _ = responder.respond(to: DNSMessage.query(id: UInt16(index), name: try DNSName("nosuch-\(index).kiada.svc.cluster.local."), type: .a))
        }
        #expect(responder.rotationCounters == 0)
        // the headless name still rotates
        let headless = try DNSName("quote-headless.kiada.svc.cluster.local.")
        let first = responder.respond(to: DNSMessage.query(id: 1, name: headless, type: .a)).answers.map(\.data.presentation)
        let second = responder.respond(to: DNSMessage.query(id: 2, name: headless, type: .a)).answers.map(\.data.presentation)
        #expect(second == Array(first[1...] + first[..<1]))
        #expect(responder.rotationCounters == 1)
    }
}
