import ClusterDNS
import ClusterModel
import DNSWire
import Testing

@Suite("Header checks and EDNS (k8s-dns.md 3.1, 3.6, 3.7)")
struct HeaderAndEDNSTests {
    @Test("QDCOUNT other than 1 is FORMERR with the query's header and no sections", arguments: [0, 2])
    func formErr(_ count: Int) {
        var r = TestCluster.responder()
        var query = DNSMessage(header: DNSHeader(id: 99, recursionDesired: true))
        query.questions = Array(repeating: DNSQuestion(name: "svc1.testns.svc.cluster.local.", type: .a), count: count)
        let reply = r.respond(to: query)
        #expect(reply.rcode == .formErr)
        #expect(reply.header.id == 99 && reply.header.isResponse && !reply.header.authoritative && reply.header.recursionDesired)
        #expect(reply.questions.isEmpty && reply.answers.isEmpty && reply.additional.isEmpty)
    }

    @Test("opcodes other than QUERY and NOTIFY are NOTIMP, opcode echoed", arguments: [DNSOpcode.iquery, .status, .update, DNSOpcode(7)])
    func notImp(_ opcode: DNSOpcode) {
        var r = TestCluster.responder()
        var query = DNSMessage.query(id: 5, name: "svc1.testns.svc.cluster.local.", type: .a)
        query.header.opcode = opcode
        let reply = r.respond(to: query)
        #expect(reply.rcode == .notImp)
        #expect(reply.header.opcode == opcode)
        #expect(reply.answers.isEmpty)
    }

    @Test("NOTIFY is answered like a query")
    func notify() {
        var r = TestCluster.responder()
        var query = DNSMessage.query(id: 5, name: "svc1.testns.svc.cluster.local.", type: .a)
        query.header.opcode = .notify
        let reply = r.respond(to: query)
        #expect(reply.rcode == .noError && reply.header.opcode == .notify && reply.answers.count == 1)
    }

    @Test("classes other than IN are REFUSED", arguments: [DNSClass.chaos, .hesiod, .any])
    func refusedClass(_ qClass: DNSClass) {
        var r = TestCluster.responder()
        var query = DNSMessage.query(id: 5, name: "svc1.testns.svc.cluster.local.", type: .a)
        query.questions[0].qClass = qClass
        let reply = r.respond(to: query)
        #expect(reply.rcode == .refused && !reply.header.authoritative && reply.questions == query.questions)
    }

    @Test("names outside the zones are REFUSED and never forwarded")
    func outsideRefused() throws {
        var r = TestCluster.responder()
        for name in ["example.com.", "nosuch.", "kubernetes.default.", "."] {
            let reply = try ask(&r, name, .a)
            #expect(reply.rcode == .refused, "\(name)")
            #expect(!reply.header.authoritative && reply.answers.isEmpty && reply.authority.isEmpty)
        }
    }

    @Test("names outside the zones can be answered from static records, as a relayed upstream answer")
    func outsideStatic() throws {
        var options = TestCluster.options
        options.outsideZones = .records(
            try zone(
                """
                example.com. 60 IN A 93.184.215.14
                alias.example.com. 60 IN CNAME example.com.
                """))
        var r = TestCluster.responder(options)
        let a = try ask(&r, "example.com.", .a)
        #expect(a.rcode == .noError && !a.header.authoritative && a.header.recursionAvailable)
        try expectRecords(a.answers, "example.com. 60 IN A 93.184.215.14", "static")
        try expectRecords(
            try ask(&r, "ALIAS.example.com.", .a).answers,
            """
            ALIAS.example.com. 60 IN CNAME example.com.
            example.com. 60 IN A 93.184.215.14
            """, "cname")
        #expect(try ask(&r, "example.com.", .aaaa).rcode == .noError)
        #expect(try ask(&r, "nosuch.example.com.", .a).rcode == .nxDomain)
    }

    @Test("EDNS: client's size echoed, DO copied, only NSID/EXPIRE/COOKIE/TCP-KEEPALIVE/PADDING echoed, version 0")
    func ednsEcho() throws {
        var r = TestCluster.responder()
        let options = [
            EDNSOption(code: EDNSOption.nsid, data: []),
            EDNSOption(code: EDNSOption.clientSubnet, data: [0, 1, 24, 0, 10, 0, 0]),
            EDNSOption(code: EDNSOption.cookie, data: Array(1...8)),
            EDNSOption(code: EDNSOption.expire, data: []),
            EDNSOption(code: EDNSOption.tcpKeepalive, data: []),
            EDNSOption(code: EDNSOption.padding, data: [0, 0]),
            EDNSOption(code: 65001, data: [1]),
        ]
        let reply = try ask(&r, "svc1.testns.svc.cluster.local.", .a, edns: EDNS(udpPayloadSize: 1232, dnssecOK: true, options: options))
        let edns = try #require(reply.edns)
        #expect(edns.udpPayloadSize == 1232 && edns.version == 0 && edns.dnssecOK)
        #expect(edns.options.map(\.code) == [EDNSOption.nsid, EDNSOption.cookie, EDNSOption.expire, EDNSOption.tcpKeepalive, EDNSOption.padding])
        #expect(edns.options[1].data == Array(1...8))
        let small = try ask(&r, "svc1.testns.svc.cluster.local.", .a, edns: EDNS(udpPayloadSize: 4096))
        #expect(small.edns?.udpPayloadSize == 4096 && small.edns?.dnssecOK == false)
        // negative answers carry it too; no OPT in, none out
        #expect(try ask(&r, "nosuch.testns.svc.cluster.local.", .a, edns: EDNS(udpPayloadSize: 512)).edns?.udpPayloadSize == 512)
        #expect(try ask(&r, "svc1.testns.svc.cluster.local.", .a).edns == nil)
    }

    @Test("EDNS version above 0 is BADVERS")
    func badVers() throws {
        var r = TestCluster.responder()
        let reply = try ask(&r, "svc1.testns.svc.cluster.local.", .a, edns: EDNS(udpPayloadSize: 1232, version: 1))
        #expect(reply.rcode == .badVers)
        #expect(reply.edns?.version == 0)
        #expect(reply.answers.isEmpty)
    }

    @Test("the question is echoed with the query's case and class")
    func questionEcho() throws {
        var r = TestCluster.responder()
        let reply = try ask(&r, "sVc1.TestNS.svc.cluster.local.", .a)
        #expect(reply.questions.count == 1)
        #expect(reply.questions[0].name.isIdentical(to: "sVc1.TestNS.svc.cluster.local."))
        #expect(reply.answers.first?.name.isIdentical(to: "sVc1.TestNS.svc.cluster.local.") == true)
    }

    @Test("rotate: address records rotate one place per repeated question, for lessons")
    func rotate() throws {
        var options = TestCluster.options
        options.answerOrder = .rotate
        var r = TestCluster.responder(options)
        let orders = try (0..<4).map { _ in try ask(&r, "hdls-many.testns.svc.cluster.local.", .a).answers.map { $0.data.presentation } }
        #expect(orders[0] == (1...6).map { "172.0.1.\($0)" })
        #expect(orders[1] == (2...6).map { "172.0.1.\($0)" } + ["172.0.1.1"])
        #expect(orders[2] == (3...6).map { "172.0.1.\($0)" } + ["172.0.1.1", "172.0.1.2"])
        // counters are per question
        #expect(try ask(&r, "HDLS-MANY.testns.svc.cluster.local.", .a).answers.first?.data.presentation == "172.0.1.5")
        #expect(try ask(&r, "svc1.testns.svc.cluster.local.", .a).answers.count == 1)
    }

    @Test("zones given as CIDRs become reverse zones; the matched reverse zone owns the SOA")
    func cidrZones() throws {
        #expect(try ClusterDNSOptions.zone(parsing: "10.96.0.0/24") == "0.96.10.in-addr.arpa.")
        #expect(try ClusterDNSOptions.zone(parsing: "10.0.0.0/16") == "0.10.in-addr.arpa.")
        #expect(try ClusterDNSOptions.zone(parsing: "fd00::/8") == "d.f.ip6.arpa.")
        #expect(try ClusterDNSOptions.zone(parsing: "cluster.local") == "cluster.local.")
        #expect(throws: ClusterDNSError.self) { try ClusterDNSOptions.zone(parsing: "10.0.0.0/12") }
        var options = TestCluster.options
        options.zones = ["cluster.local.", try ClusterDNSOptions.zone(parsing: "10.0.0.0/16")]
        var r = TestCluster.responder(options)
        try expectRecords(try ask(&r, "99.0.0.10.in-addr.arpa.", .ptr).authority, soa("0.10.in-addr.arpa."), "SOA owner")
        #expect(try ask(&r, "2.0.0.172.in-addr.arpa.", .ptr).rcode == .refused)
    }
}

@Suite("Injected generator")
struct InjectedGeneratorTests {
    @Test("an injected generator drives the shuffle exactly as the seed does")
    func injected() throws {
        var options = TestCluster.options
        options.answerOrder = .shuffle
        options.seed = 99
        let index = ClusterDNSIndex(cluster: TestCluster.cluster, options: options)
        var seeded = ClusterDNSResponder(index: index)
        var injected = ClusterDNSResponder(index: index, generator: SeededGenerator(seed: 99))
        var other = ClusterDNSResponder(index: index, generator: SeededGenerator(seed: 100))
        var differs = false
        for _ in 0..<10 {
            let a = try ask(&seeded, "hdls-many.testns.svc.cluster.local.", .a).answers
            #expect(try ask(&injected, "hdls-many.testns.svc.cluster.local.", .a).answers == a)
            if try ask(&other, "hdls-many.testns.svc.cluster.local.", .a).answers != a { differs = true }
        }
        #expect(differs)
    }
}
