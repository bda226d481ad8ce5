import ClusterDNS
import ClusterModel
import DNSWire
import Testing

/// k8s-dns.md section 6: one named test per pitfall.
@Suite("k8s-dns.md section 6 checklist")
struct ChecklistTests {
    @Test("1. headless service with no ready endpoints is NXDOMAIN")
    func checklist01HeadlessWithoutReadyEndpointsIsNXDOMAIN() throws {
        var r = TestCluster.responder()
        for type in [DNSType.a, .aaaa, .srv, .txt, .hinfo] {
            let reply = try ask(&r, "hdls-notready.testns.svc.cluster.local.", type)
            #expect(reply.rcode == .nxDomain, "\(type)")
            #expect(reply.answers.isEmpty)
            try expectRecords(reply.authority, soa(), "authority")
        }
    }

    @Test("2. a ClusterIP name resolves with zero endpoints")
    func checklist02ClusterIPResolvesWithoutEndpoints() throws {
        var r = TestCluster.responder()
        try expectRecords(try ask(&r, "svc-noeps.testns.svc.cluster.local.", .a).answers, "svc-noeps.testns.svc.cluster.local. 5 IN A 10.0.0.5", "answer")
        // bare SRV too: the service port, whatever the endpoints
        try expectRecords(
            try ask(&r, "svc-noeps.testns.svc.cluster.local.", .srv).answers,
            "svc-noeps.testns.svc.cluster.local. 5 IN SRV 0 100 80 svc-noeps.testns.svc.cluster.local.", "answer")
    }

    @Test("3. NODATA vs NXDOMAIN: empty non-terminals, SOA never NXDOMAIN, dns-version only TXT, TXT at namespace/apex")
    func checklist03NXDOMAINversusNODATA() throws {
        var r = TestCluster.responder()
        #expect(try ask(&r, "_tcp.svc1.testns.svc.cluster.local.", .a).rcode == .nxDomain)
        #expect(try ask(&r, "_tcp.svc1.testns.svc.cluster.local.", .soa).rcode == .noError)
        #expect(try ask(&r, "nosuch.nosuchns.svc.cluster.local.", .soa).rcode == .noError)
        #expect(try ask(&r, "dns-version.cluster.local.", .txt).answers.count == 1)
        #expect(try ask(&r, "dns-version.cluster.local.", .a).rcode == .nxDomain)
        #expect(try ask(&r, "testns.svc.cluster.local.", .a).rcode == .noError)
        #expect(try ask(&r, "testns.svc.cluster.local.", .txt).rcode == .nxDomain)
        #expect(try ask(&r, "cluster.local.", .txt).rcode == .nxDomain)
        #expect(try ask(&r, "cluster.local.", .a).rcode == .noError)
        #expect(try ask(&r, "svc1.testns.svc.cluster.local.", .txt).rcode == .noError)
    }

    @Test("4. SRV priority 0, weight floor(100/N) with N before de-duplication")
    func checklist04SRVPriorityAndWeight() throws {
        var r = TestCluster.responder()
        func weights(_ name: String) throws -> [UInt16] {
            try ask(&r, name, .srv).answers.compactMap {
                if case .srv(let s) = $0.data {
                    #expect(s.priority == 0)
                    return s.weight
                } else {
                    return nil
                }
            }
        }
        #expect(try weights("_http._tcp.svc1.testns.svc.cluster.local.") == [100])
        #expect(try weights("_http._tcp.svc-dual.testns.svc.cluster.local.") == [50])
        #expect(try weights("svc-multi.testns.svc.cluster.local.") == [33, 33, 33])
        #expect(try weights("hdls-many.testns.svc.cluster.local.") == Array(repeating: 16, count: 6))
        // hdls1: 4 tuples (172.0.0.3 twice through slice skew), 3 records
        #expect(try weights("_http._tcp.hdls1.testns.svc.cluster.local.") == [25, 25, 25])
    }

    @Test("4b. SRV weight has a floor of 1 (more than 100 tuples)")
    func checklist04SRVWeightFloor() throws {
        var cluster = TestCluster.cluster
        cluster.endpointSlices.append(
            TestCluster.slice("big", service: "hdls-big", endpoints: (1...150).map { Endpoint(addresses: [TestCluster.ip("172.1.\($0 / 200).\($0 % 200)")]) }))
        cluster.services.append(TestCluster.headless("hdls-big"))
        var r = TestCluster.responder(cluster: cluster)
        let reply = try ask(&r, "hdls-big.testns.svc.cluster.local.", .srv)
        #expect(reply.answers.count == 150)
        #expect(reply.answers.allSatisfy { if case .srv(let s) = $0.data { return s.weight == 1 } else { return false } })
    }

    @Test("5. headless SRV advertises the endpoint port, ClusterIP SRV the service port")
    func checklist05SRVPorts() throws {
        var cluster = TestCluster.cluster
        // a ClusterIP twin of hdls1 with port 80 → targetPort 8080
        cluster.services.append(TestCluster.clusterIP("cip", ["10.0.0.50"], ports: [ServicePort(name: "http", port: 80, targetPort: .number(8080))]))
        cluster.endpointSlices.append(
            TestCluster.slice(
                "cip-x", service: "cip", endpoints: [Endpoint(addresses: [TestCluster.ip("172.0.5.1")])], ports: [EndpointPort(name: "http", port: 8080)]))
        var r = TestCluster.responder(cluster: cluster)
        try expectRecords(
            try ask(&r, "_http._tcp.cip.testns.svc.cluster.local.", .srv).answers,
            "_http._tcp.cip.testns.svc.cluster.local. 5 IN SRV 0 100 80 cip.testns.svc.cluster.local.", "ClusterIP")
        let headless = try ask(&r, "_http._tcp.hdls1.testns.svc.cluster.local.", .srv)
        #expect(headless.answers.allSatisfy { if case .srv(let s) = $0.data { return s.port == 8080 } else { return false } })
        // an endpoint name under a ClusterIP service answers SRV with the endpoint port
        try expectRecords(
            try ask(&r, "172-0-5-1.cip.testns.svc.cluster.local.", .srv).answers,
            "172-0-5-1.cip.testns.svc.cluster.local. 5 IN SRV 0 100 8080 172-0-5-1.cip.testns.svc.cluster.local.", "endpoint SRV")
    }

    @Test("6. endpoint names: hostname only via subdomain == service, dashed IPs, IPv6 trailing 0, per family")
    func checklist06EndpointNames() throws {
        #expect(ClusterDNSIndex.endpointHostname(ip: TestCluster.ip("10.244.1.5"), hostname: nil, podName: "p", endpointPodNames: false) == "10-244-1-5")
        #expect(ClusterDNSIndex.endpointHostname(ip: TestCluster.ip("2001:db8::"), hostname: nil, podName: nil, endpointPodNames: false) == "2001-db8--0")
        #expect(ClusterDNSIndex.endpointHostname(ip: TestCluster.ip("5678:abcd::1"), hostname: nil, podName: nil, endpointPodNames: false) == "5678-abcd--1")
        #expect(ClusterDNSIndex.endpointHostname(ip: TestCluster.ip("10.0.0.1"), hostname: "web-0", podName: "x", endpointPodNames: true) == "web-0")
        #expect(ClusterDNSIndex.endpointHostname(ip: TestCluster.ip("10.0.0.1"), hostname: nil, podName: "pod-a", endpointPodNames: true) == "pod-a")
        #expect(
            ClusterDNSIndex.endpointHostname(ip: TestCluster.ip("10.0.0.1"), hostname: nil, podName: String(repeating: "p", count: 64), endpointPodNames: true)
                == "10-0-0-1")
        // end to end through the manifest loader and its EndpointSlice controller
        let cluster = try ManifestLoader().load(
            yaml: """
                apiVersion: v1
                kind: Service
                metadata: {name: nginx, namespace: web}
                spec:
                  clusterIP: None
                  selector: {app: nginx}
                  ports: [{name: http, port: 80}]
                ---
                apiVersion: v1
                kind: Pod
                metadata: {name: web-0, namespace: web, labels: {app: nginx}}
                spec: {hostname: web-0, subdomain: nginx, containers: [{name: c, image: i}]}
                status: {phase: Running, podIP: 10.244.1.5, podIPs: [{ip: 10.244.1.5}], conditions: [{type: Ready, status: "True"}]}
                ---
                apiVersion: v1
                kind: Pod
                metadata: {name: other, namespace: web, labels: {app: nginx}}
                spec: {hostname: other, subdomain: elsewhere, containers: [{name: c, image: i}]}
                status: {phase: Running, podIP: 10.244.1.6, podIPs: [{ip: 10.244.1.6}, {ip: "fd00::6"}], conditions: [{type: Ready, status: "True"}]}
                """, file: "web.yaml")
        var r = TestCluster.responder(cluster: cluster)
        try expectRecords(try ask(&r, "web-0.nginx.web.svc.cluster.local.", .a).answers, "web-0.nginx.web.svc.cluster.local. 5 IN A 10.244.1.5", "hostname")
        #expect(try ask(&r, "other.nginx.web.svc.cluster.local.", .a).rcode == .nxDomain)
        try expectRecords(
            try ask(&r, "10-244-1-6.nginx.web.svc.cluster.local.", .a).answers, "10-244-1-6.nginx.web.svc.cluster.local. 5 IN A 10.244.1.6", "dashed")
        // endpoint_pod_names
        var named = TestCluster.options
        named.endpointPodNames = true
        var rn = TestCluster.responder(named, cluster: cluster)
        try expectRecords(
            try ask(&rn, "other.nginx.web.svc.cluster.local.", .a).answers, "other.nginx.web.svc.cluster.local. 5 IN A 10.244.1.6", "endpoint_pod_names")
        // dual-stack pod without hostname, in the test cluster: one name per family
        var t = TestCluster.responder()
        #expect(try ask(&t, "172-0-2-1.hdls-dual.testns.svc.cluster.local.", .a).answers.count == 1)
        #expect(try ask(&t, "172-0-2-1.hdls-dual.testns.svc.cluster.local.", .aaaa).rcode == .noError)
        #expect(try ask(&t, "fd00-244--1.hdls-dual.testns.svc.cluster.local.", .aaaa).answers.count == 1)
        #expect(try ask(&t, "fd00-244--1.hdls-dual.testns.svc.cluster.local.", .a).answers.isEmpty)
    }

    @Test("7. endpoint names and PTRs exist for pods behind ClusterIP services")
    func checklist07EndpointRecordsForClusterIPServices() throws {
        var r = TestCluster.responder()
        try expectRecords(try ask(&r, "ep1a.svc1.testns.svc.cluster.local.", .a).answers, "ep1a.svc1.testns.svc.cluster.local. 5 IN A 172.0.0.1", "endpoint")
        try expectRecords(try ask(&r, "1.0.0.172.in-addr.arpa.", .ptr).answers, "1.0.0.172.in-addr.arpa. 5 IN PTR ep1a.svc1.testns.svc.cluster.local.", "PTR")
        try expectRecords(
            try ask(&r, "20.0.0.172.in-addr.arpa.", .ptr).answers,
            """
            20.0.0.172.in-addr.arpa. 5 IN PTR double-ep.svc-a.testns.svc.cluster.local.
            20.0.0.172.in-addr.arpa. 5 IN PTR double-ep.svc-b.testns.svc.cluster.local.
            """, "two services")
    }

    @Test("8. not-ready and terminating pods are invisible unless publishNotReadyAddresses")
    func checklist08NotReadyAndTerminating() throws {
        func cluster(publish: Bool) throws -> Cluster {
            try ManifestLoader().load(
                yaml: """
                    apiVersion: v1
                    kind: Service
                    metadata: {name: hl, namespace: ns1}
                    spec: {clusterIP: None, publishNotReadyAddresses: \(publish), selector: {app: a}, ports: [{name: http, port: 80}]}
                    ---
                    apiVersion: v1
                    kind: Pod
                    metadata: {name: ready, namespace: ns1, labels: {app: a}}
                    spec: {containers: [{name: c, image: i}]}
                    status: {phase: Running, podIP: 10.244.0.11, conditions: [{type: Ready, status: "True"}]}
                    ---
                    apiVersion: v1
                    kind: Pod
                    metadata: {name: notready, namespace: ns1, labels: {app: a}}
                    spec: {containers: [{name: c, image: i}]}
                    status: {phase: Running, podIP: 10.244.0.12, conditions: [{type: Ready, status: "False"}]}
                    ---
                    apiVersion: v1
                    kind: Pod
                    metadata: {name: leaving, namespace: ns1, labels: {app: a}, deletionTimestamp: "2026-01-01T00:00:00Z"}
                    spec: {containers: [{name: c, image: i}]}
                    status: {phase: Running, podIP: 10.244.0.13, conditions: [{type: Ready, status: "True"}]}
                    """, file: "hl.yaml")
        }
        var hidden = TestCluster.responder(cluster: try cluster(publish: false))
        try expectRecords(try ask(&hidden, "hl.ns1.svc.cluster.local.", .a).answers, "hl.ns1.svc.cluster.local. 5 IN A 10.244.0.11", "ready only")
        #expect(try ask(&hidden, "10-244-0-12.hl.ns1.svc.cluster.local.", .a).rcode == .nxDomain)
        #expect(try ask(&hidden, "12.0.244.10.in-addr.arpa.", .ptr).rcode == .nxDomain)
        var published = TestCluster.responder(cluster: try cluster(publish: true))
        #expect(try ask(&published, "hl.ns1.svc.cluster.local.", .a).answers.count == 3)
    }

    @Test("9. AA=1, RA=0, TTL from the option, TXT 28800, SOA fields with TTL min(ttl,300)")
    func checklist09HeaderTTLAndSOA() throws {
        var options = TestCluster.options
        options.ttl = 30
        options.serial = 1234
        var r = TestCluster.responder(options)
        let a = try ask(&r, "svc1.testns.svc.cluster.local.", .a)
        #expect(a.header.authoritative && !a.header.recursionAvailable && a.header.recursionDesired)
        #expect(a.answers.map(\.ttl) == [30])
        #expect(try ask(&r, "dns-version.cluster.local.", .txt).answers.map(\.ttl) == [28800])
        try expectRecords(
            try ask(&r, "nosuch.testns.svc.cluster.local.", .a).authority,
            "cluster.local. 30 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. 1234 7200 1800 86400 30", "SOA")
        options.ttl = 600
        var long = TestCluster.responder(options)
        try expectRecords(
            try ask(&long, "cluster.local.", .soa).answers,
            "cluster.local. 300 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. 1234 7200 1800 86400 600", "SOA capped")
        // RD is copied, not set
        var query = DNSMessage.query(id: 7, name: "svc1.testns.svc.cluster.local.", type: .a, recursionDesired: false)
        #expect(!r.respond(to: query).header.recursionDesired)
        query.header.checkingDisabled = true
        #expect(r.respond(to: query).header.checkingDisabled)
    }

    @Test("10. owner names echo the query's case; SRV targets lowercase + query zone; PTR targets configured zone")
    func checklist10Case() throws {
        var r = TestCluster.responder()
        let srv = try ask(&r, "_Http._Tcp.SVC1.TESTNS.Svc.Cluster.Local.", .srv)
        try expectRecords(srv.answers, "_Http._Tcp.SVC1.TESTNS.Svc.Cluster.Local. 5 IN SRV 0 100 80 svc1.testns.svc.Cluster.Local.", "SRV")
        try expectRecords(srv.additional, "svc1.testns.svc.Cluster.Local. 5 IN A 10.0.0.1", "additional")
        let nx = try ask(&r, "NoSuch.testns.svc.CLUSTER.local.", .a)
        try expectRecords(nx.authority, "CLUSTER.local. 5 IN SOA ns.dns.CLUSTER.local. hostmaster.CLUSTER.local. 1700000000 7200 1800 86400 5", "SOA")
        var options = TestCluster.options
        options.zones = ["Kube.Example.", "in-addr.arpa."]
        var z = TestCluster.responder(options)
        try expectRecords(try ask(&z, "1.0.0.10.in-addr.arpa.", .ptr).answers, "1.0.0.10.in-addr.arpa. 5 IN PTR svc1.testns.svc.Kube.Example.", "PTR zone")
        try expectRecords(try ask(&z, "svc1.testns.svc.kube.example.", .a).answers, "svc1.testns.svc.kube.example. 5 IN A 10.0.0.1", "other zone")
        #expect(try ask(&z, "svc1.testns.svc.cluster.local.", .a).rcode == .refused)
    }

    @Test("11. ExternalName: CNAME + upstream records, NOERROR when the target is missing, NODATA for other types")
    func checklist11ExternalName() throws {
        var options = TestCluster.options
        options.outsideZones = .records(
            try zone(
                """
                ext.interwebs.test. 300 IN CNAME www.interwebs.test.
                www.interwebs.test. 300 IN A 192.0.2.10
                """))
        var r = TestCluster.responder(options)
        let a = try ask(&r, "external.testns.svc.cluster.local.", .a)
        #expect(a.rcode == .noError && a.header.authoritative)
        try expectRecords(
            a.answers,
            """
            external.testns.svc.cluster.local. 5 IN CNAME ext.interwebs.test.
            ext.interwebs.test. 300 IN CNAME www.interwebs.test.
            www.interwebs.test. 300 IN A 192.0.2.10
            """, "chain")
        // target unknown upstream: the CNAME alone, NOERROR
        var bare = TestCluster.responder()
        let alone = try ask(&bare, "external.testns.svc.cluster.local.", .a)
        #expect(alone.rcode == .noError)
        try expectRecords(alone.answers, "external.testns.svc.cluster.local. 5 IN CNAME ext.interwebs.test.", "alone")
        for type in [DNSType.txt, .srv, .mx, .hinfo] {
            let reply = try ask(&r, "external.testns.svc.cluster.local.", type)
            #expect(reply.rcode == .noError && reply.answers.isEmpty, "\(type)")
        }
    }

    @Test("12. address order is shuffled per reply (seeded), not rotated; SRV answer order is kept")
    func checklist12Shuffle() throws {
        var options = TestCluster.options
        options.answerOrder = .shuffle
        options.seed = 42
        var r = TestCluster.responder(options)
        var orders: Set<[String]> = []
        var sequence: [[String]] = []
        for _ in 0..<40 {
            let order = try ask(&r, "hdls-many.testns.svc.cluster.local.", .a).answers.map { $0.data.presentation }
            #expect(Set(order).count == 6)
            orders.insert(order)
            sequence.append(order)
        }
        #expect(orders.count > 10, "a shuffle of 6 records should give many orders in 40 replies, got \(orders.count)")
        // not a rotation: some order is not a rotation of the first
        let first = sequence[0]
        let rotations = Set((0..<6).map { Array(first[$0...] + first[..<$0]) })
        #expect(!orders.isSubset(of: rotations))
        // same seed, same sequence
        var again = TestCluster.responder(options)
        for expected in sequence {
            #expect(try ask(&again, "hdls-many.testns.svc.cluster.local.", .a).answers.map { $0.data.presentation } == expected)
        }
        // SRV answers keep their order, the additional section is shuffled
        let srvOrders = try Set((0..<20).map { _ in try ask(&r, "hdls-many.testns.svc.cluster.local.", .srv).answers.map { $0.data.presentation } })
        #expect(srvOrders.count == 1)
        let extraOrders = try Set((0..<20).map { _ in try ask(&r, "hdls-many.testns.svc.cluster.local.", .srv).additional.map { $0.data.presentation } })
        #expect(extraOrders.count > 1)
    }

    @Test("13. truncation at 512 octets without EDNS, TC set when anything is dropped")
    func checklist13Truncation() throws {
        var cluster = TestCluster.cluster
        cluster.services.append(TestCluster.headless("hdls-big"))
        cluster.endpointSlices.append(
            TestCluster.slice("big", service: "hdls-big", endpoints: (1...40).map { Endpoint(addresses: [TestCluster.ip("172.1.0.\($0)")]) }))
        var r = TestCluster.responder(cluster: cluster)
        let query = DNSMessage.query(id: 1, name: "hdls-big.testns.svc.cluster.local.", type: .a)
        let reply = r.respond(to: query)
        #expect(reply.answers.count == 40)
        #expect(ReplyTruncation.limit(for: query) == 512)
        let (cut, compress) = try ReplyTruncation.fit(reply, limit: ReplyTruncation.limit(for: query))
        #expect(compress)
        #expect(cut.header.truncated)
        #expect(cut.answers.count < 40 && cut.answers.count > 20)
        #expect(Array(reply.answers.prefix(cut.answers.count)) == cut.answers)
        #expect(try cut.wireBytes(compress: true).count <= 512)
        // one more record would not have fit
        var more = cut
        more.answers = Array(reply.answers.prefix(cut.answers.count + 1))
        #expect(try more.wireBytes(compress: true).count > 512)
        // EDNS 4096: fits, OPT kept; compressed only because UDP replies above 1480 octets always are
        let big = DNSMessage.query(id: 2, name: "hdls-big.testns.svc.cluster.local.", type: .a, edns: EDNS(udpPayloadSize: 4096))
        let ednsReply = r.respond(to: big)
        #expect(try ednsReply.wireBytes(compress: false).count > 1480)
        let (whole, compressWhole) = try ReplyTruncation.fit(ednsReply, limit: ReplyTruncation.limit(for: big))
        #expect(!whole.header.truncated && whole.answers.count == 40 && compressWhole && whole.edns != nil)
        let (overTCP, compressTCP) = try ReplyTruncation.fit(ednsReply, limit: 65535, udp: false)
        #expect(!overTCP.header.truncated && !compressTCP)
        // a small reply that fits is sent uncompressed
        let one = r.respond(to: DNSMessage.query(id: 5, name: "svc1.testns.svc.cluster.local.", type: .a))
        #expect(try ReplyTruncation.fit(one, limit: 512).compress == false)
        // EDNS below 512 counts as 512; TCP is 65535
        #expect(ReplyTruncation.limit(for: DNSMessage.query(id: 3, name: "x.", type: .a, edns: EDNS(udpPayloadSize: 100))) == 512)
        #expect(ReplyTruncation.limit(for: query, overTCP: true) == 65535)
        // the OPT record's room is reserved when cutting
        let small = DNSMessage.query(
            id: 4, name: "hdls-big.testns.svc.cluster.local.", type: .a,
            edns: EDNS(udpPayloadSize: 512, options: [EDNSOption(code: EDNSOption.padding, data: Array(repeating: 0, count: 40))]))
        let (cutWithOPT, _) = try ReplyTruncation.fit(r.respond(to: small), limit: 512)
        #expect(cutWithOPT.header.truncated && cutWithOPT.edns != nil)
        #expect(try cutWithOPT.wireBytes(compress: true).count <= 512)
    }

    @Test("14. pods insecure answers any dashed IP in an existing namespace; disabled NXDOMAIN; verified checks primary IPs")
    func checklist14PodRecords() throws {
        var options = TestCluster.options
        options.pods = .insecure
        var r = TestCluster.responder(options)
        try expectRecords(try ask(&r, "1-2-3-4.testns.pod.cluster.local.", .a).answers, "1-2-3-4.testns.pod.cluster.local. 5 IN A 1.2.3.4", "insecure")
        #expect(try ask(&r, "1-2-3-4.testns.pod.cluster.local.", .aaaa).rcode == .noError)
        try expectRecords(try ask(&r, "fd00--1.testns.pod.cluster.local.", .aaaa).answers, "fd00--1.testns.pod.cluster.local. 5 IN AAAA fd00::1", "insecure v6")
        #expect(try ask(&r, "blah.testns.pod.cluster.local.", .a).rcode == .nxDomain)
        #expect(try ask(&r, "1-2-3-4.nosuchns.pod.cluster.local.", .a).rcode == .nxDomain)
        #expect(try ask(&r, "testns.pod.cluster.local.", .a).rcode == .noError)
        #expect(try ask(&r, "testns.pod.cluster.local.", .txt).rcode == .nxDomain)
        #expect(try ask(&r, "nosuchns.pod.cluster.local.", .a).rcode == .nxDomain)
        options.pods = .verified
        var v = TestCluster.responder(options)
        try expectRecords(try ask(&v, "172-0-0-99.testns.pod.cluster.local.", .a).answers, "172-0-0-99.testns.pod.cluster.local. 5 IN A 172.0.0.99", "verified")
        #expect(try ask(&v, "fd00--99.testns.pod.cluster.local.", .aaaa).rcode == .nxDomain)
        #expect(try ask(&v, "172-0-0-98.testns.pod.cluster.local.", .a).rcode == .nxDomain)
        #expect(try ask(&v, "172-0-0-99.default.pod.cluster.local.", .a).rcode == .nxDomain)
        #expect(try ask(&v, "1-2-3-4.testns.pod.cluster.local.", .a).rcode == .nxDomain)
        var d = TestCluster.responder()
        #expect(try ask(&d, "172-0-0-99.testns.pod.cluster.local.", .a).rcode == .nxDomain)
        #expect(try ask(&d, "pod.cluster.local.", .a).rcode == .noError)
    }

    @Test("15. the search walk differs by libc: glibc continues after NODATA, musl stops")
    func checklist15SearchWalkByLibc() throws {
        // svc1 in testns has no AAAA; a pod in kiada asking `svc1.testns` (1 dot < 5)
        var r = TestCluster.responder()
        let conf = ResolvConf(
            nameservers: ["10.96.0.10"], searches: ["hdls-v6only.testns.svc.cluster.local", "testns.svc.cluster.local", "svc.cluster.local", "cluster.local"],
            options: [.init(name: "ndots", value: "5")])
        // first candidate `web-0.hdls-v6only…`: NXDOMAIN; choose a name whose first candidate is NODATA:
        // `2001-db8--0` under hdls-v6only exists only as AAAA → A query NODATA
        let glibc = try SearchWalk.walk("2001-db8--0", types: [.a], resolvConf: conf, resolver: .glibc) { r.respond(to: $0) }
        #expect(glibc.exchanges.first?.rcode == .noError && glibc.exchanges.first?.reply.answers.isEmpty == true)
        #expect(glibc.exchanges.count == 5, "glibc walks every candidate after NODATA")
        #expect(glibc.failure == .noData)
        let musl = try SearchWalk.walk("2001-db8--0", types: [.a], resolvConf: conf, resolver: .musl) { r.respond(to: $0) }
        #expect(musl.exchanges.count == 1, "musl stops at the first NODATA")
        #expect(musl.failure == .noData)
        // both find an A that exists further down the list: glibc after NODATA, musl not
        let conf2 = ResolvConf(
            nameservers: ["10.96.0.10"], searches: ["svc.cluster.local", "testns.svc.cluster.local"], options: [.init(name: "ndots", value: "5")])
        // `hdls-v6only.testns` under svc.cluster.local → NXDOMAIN, then under testns…: not found either
        let g2 = try SearchWalk.walk("testns", types: [.a, .aaaa], resolvConf: conf2, resolver: .glibc) { r.respond(to: $0) }
        // `testns.svc.cluster.local.` exists (NODATA); glibc keeps going, musl stops
        #expect(
            g2.exchanges.map { "\($0.name) \($0.type)" } == [
                "testns.svc.cluster.local. A", "testns.svc.cluster.local. AAAA",
                "testns.testns.svc.cluster.local. A", "testns.testns.svc.cluster.local. AAAA",
                "testns. A", "testns. AAAA",
            ])
        let m2 = try SearchWalk.walk("testns", types: [.a, .aaaa], resolvConf: conf2, resolver: .musl) { r.respond(to: $0) }
        #expect(m2.exchanges.count == 2)
    }
}
