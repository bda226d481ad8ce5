import ClusterModel
import DNSWire
import Testing

/// The EndpointSlice controller: readiness, ports, hostnames, families, re-derivation.
@Suite struct EndpointSliceControllerTests {
    struct ReadinessCase: Sendable, CustomStringConvertible {
        var status: String
        var deleting: Bool
        var publishNotReady: Bool
        /// nil: not an endpoint at all.
        var expected: Bool?
        var description: String { "\(status) deleting=\(deleting) publish=\(publishNotReady)" }
    }

    static let readinessCases: [ReadinessCase] = [
        .init(
            status: "{phase: Running, podIP: 10.244.0.5, conditions: [{type: Ready, status: 'True'}]}", deleting: false, publishNotReady: false, expected: true),
        .init(status: "{phase: Running, podIP: 10.244.0.5}", deleting: false, publishNotReady: false, expected: true),
        .init(
            status: "{phase: Running, podIP: 10.244.0.5, conditions: [{type: Ready, status: 'False'}]}", deleting: false, publishNotReady: false,
            expected: false),
        .init(
            status: "{phase: Running, podIP: 10.244.0.5, conditions: [{type: Ready, status: 'False'}]}", deleting: false, publishNotReady: true, expected: true),
        .init(
            status: "{phase: Running, podIP: 10.244.0.5, conditions: [{type: Ready, status: 'Unknown'}]}", deleting: false, publishNotReady: false,
            expected: false),
        .init(
            status: "{phase: Running, podIP: 10.244.0.5, conditions: [{type: Ready, status: 'True'}]}", deleting: true, publishNotReady: false, expected: false),
        .init(
            status: "{phase: Running, podIP: 10.244.0.5, conditions: [{type: Ready, status: 'True'}]}", deleting: true, publishNotReady: true, expected: true),
        .init(
            status: "{phase: Pending, podIP: 10.244.0.5, conditions: [{type: Ready, status: 'False'}]}", deleting: false, publishNotReady: true, expected: true),
        .init(status: "{phase: Succeeded, podIP: 10.244.0.5}", deleting: false, publishNotReady: true, expected: nil),
        .init(status: "{phase: Failed, podIP: 10.244.0.5}", deleting: false, publishNotReady: false, expected: nil),
    ]

    @Test(arguments: readinessCases)
    func readiness(_ test: ReadinessCase) throws {
        let cluster = try Load.cluster(
            """
            apiVersion: v1
            kind: Pod
            metadata:
              name: p
              labels: {app: a}
            \(test.deleting ? "  deletionTimestamp: \"2026-11-26T10:00:00Z\"" : "")
            spec: {containers: [{name: c, image: c}]}
            status: \(test.status)
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: s}
            spec:
              clusterIP: None
              publishNotReadyAddresses: \(test.publishNotReady)
              selector: {app: a}
              ports: [{name: http, port: 80}]
            """)
        let endpoints = cluster.slices(of: "s").flatMap(\.endpoints)
        if let expected = test.expected {
            #expect(endpoints.count == 1)
            #expect(endpoints.first?.ready == expected)
        } else {
            #expect(endpoints.isEmpty)
        }
    }

    @Test func namedTargetPortResolvesPerPod() throws {
        let cluster = try Load.cluster(
            """
            apiVersion: v1
            kind: Pod
            metadata: {name: old, labels: {app: a}}
            spec:
              containers:
              - name: c
                image: c
                ports: [{name: http, containerPort: 8080}]
            status: {podIP: 10.244.0.2}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: new, labels: {app: a}}
            spec:
              containers:
              - name: c
                image: c
                ports: [{name: http, containerPort: 9090}, {name: metrics, containerPort: 9100}]
            status: {podIP: 10.244.0.3}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: bare, labels: {app: a}}
            spec: {containers: [{name: c, image: c}]}
            status: {podIP: 10.244.0.4}
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: s}
            spec:
              clusterIP: None
              selector: {app: a}
              ports:
              - {name: web, port: 80, targetPort: http}
              - {name: udp, port: 53, targetPort: http, protocol: UDP}
              - {name: fixed, port: 81, targetPort: 7000}
            """)
        let slices = cluster.slices(of: "s").map { slice in
            "\(slice.ports.map { "\($0.name ?? "")=\($0.port.map(String.init) ?? "-")/\($0.transport.rawValue)" }.joined(separator: ",")): \(slice.endpoints.compactMap(\.targetPodName).joined(separator: ","))"
        }
        // One slice per distinct port set; the UDP port resolves nowhere (the container ports are TCP).
        #expect(slices == ["web=8080/TCP,fixed=7000/TCP: old", "web=9090/TCP,fixed=7000/TCP: new", "fixed=7000/TCP: bare"])
        #expect(
            cluster.warnings.map(Load.render) == [
                "test.yaml:27: targetPort \"http\" of Service \"s\" names no UDP container port of pod \"old\"; the pod is published without that port",
                "test.yaml:27: targetPort \"http\" of Service \"s\" names no UDP container port of pod \"new\"; the pod is published without that port",
                "test.yaml:27: targetPort \"http\" of Service \"s\" names no TCP container port of pod \"bare\"; the pod is published without that port",
                "test.yaml:27: targetPort \"http\" of Service \"s\" names no UDP container port of pod \"bare\"; the pod is published without that port",
            ])
    }

    @Test func hostnameNeedsSubdomainEqualToTheServiceName() throws {
        let cluster = try Load.cluster(
            """
            apiVersion: v1
            kind: Pod
            metadata: {name: both, labels: {app: a}}
            spec: {hostname: h1, subdomain: s, containers: [{name: c, image: c}]}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: wrongsub, labels: {app: a}}
            spec: {hostname: h2, subdomain: other, containers: [{name: c, image: c}]}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: nohost, labels: {app: a}}
            spec: {subdomain: s, containers: [{name: c, image: c}]}
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: s}
            spec: {clusterIP: None, selector: {app: a}}
            """)
        #expect(
            cluster.endpointSummary(of: "s") == [
                "10.244.0.1 ready h1 both", "10.244.0.2 ready - wrongsub", "10.244.0.3 ready - nohost",
            ])
        // A portless headless service has a portless slice.
        #expect(cluster.slices(of: "s").map(\.ports) == [[]])
    }

    static let dualStack = NetworkPlan(
        podCIDRs: [CIDR("10.244.0.0/16")!, CIDR("fd00:10:244::/56")!],
        serviceCIDRs: [CIDR("10.96.0.0/12")!, CIDR("fd00:10:96::/112")!]
    )

    @Test func dualStack() throws {
        let cluster = try Load.cluster(
            """
            apiVersion: v1
            kind: Pod
            metadata: {name: given, labels: {app: a}}
            spec: {containers: [{name: c, image: c}]}
            status:
              podIP: 10.244.1.5
              podIPs: [{ip: 10.244.1.5}, {ip: "fd00:10:244:1::5"}]
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: assigned, labels: {app: a}}
            spec: {containers: [{name: c, image: c}]}
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: single}
            spec: {selector: {app: a}, ports: [{port: 80}]}
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: dual}
            spec: {ipFamilyPolicy: PreferDualStack, selector: {app: a}, ports: [{port: 80}]}
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: v6first}
            spec: {ipFamilyPolicy: RequireDualStack, ipFamilies: [IPv6, IPv4], selector: {app: a}, ports: [{port: 80}]}
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: headless4}
            spec: {clusterIP: None, selector: {app: a}}
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: headless46}
            spec: {clusterIP: None, ipFamilyPolicy: PreferDualStack, selector: {app: a}}
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: given}
            spec:
              clusterIPs: ["fd00:10:96::a", 10.96.5.5]
              ipFamilyPolicy: RequireDualStack
              ports: [{port: 80}]
            """, network: Self.dualStack)
        #expect(cluster.warnings.map(Load.render) == [])
        #expect(cluster.pod("given")?.ips == [Load.ip("10.244.1.5"), Load.ip("fd00:10:244:1::5")])
        #expect(cluster.pod("assigned")?.ips == [Load.ip("10.244.0.1"), Load.ip("fd00:10:244::1")])
        #expect(cluster.service("single")?.clusterIPs == [Load.ip("10.96.0.2")])
        #expect(cluster.service("dual")?.clusterIPs == [Load.ip("10.96.0.3"), Load.ip("fd00:10:96::2")])
        #expect(cluster.service("v6first")?.clusterIPs == [Load.ip("fd00:10:96::3"), Load.ip("10.96.0.4")])
        #expect(cluster.service("v6first")?.ipFamilies == [.ipv6, .ipv4])
        #expect(cluster.service("given")?.ipFamilies == [.ipv6, .ipv4])
        #expect(cluster.slices(of: "single").map(\.addressType) == [.ipv4])
        #expect(cluster.slices(of: "dual").map(\.addressType) == [.ipv4, .ipv6])
        #expect(cluster.slices(of: "v6first").map(\.addressType) == [.ipv6, .ipv4])
        #expect(cluster.slices(of: "headless4").map(\.addressType) == [.ipv4])
        #expect(cluster.endpointSummary(of: "headless46", family: .ipv6) == ["fd00:10:244:1::5 ready - given", "fd00:10:244::1 ready - assigned"])
        #expect(cluster.endpointSummary(of: "headless46", family: .ipv4) == ["10.244.0.1 ready - assigned", "10.244.1.5 ready - given"])
    }

    @Test func rederivingFollowsPodChangesAndKeepsUserSlices() throws {
        var cluster = try Load.cluster(
            """
            apiVersion: v1
            kind: Pod
            metadata: {name: p1, labels: {app: a}}
            spec: {containers: [{name: c, image: c}]}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: p2, labels: {app: a}}
            spec: {containers: [{name: c, image: c}]}
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: s}
            spec: {clusterIP: None, selector: {app: a}}
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: manual}
            spec: {clusterIP: None}
            ---
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata:
              name: manual-1
              labels: {kubernetes.io/service-name: manual}
            addressType: IPv4
            endpoints:
            - addresses: [192.0.2.1]
              conditions: {ready: false}
            - addresses: [192.0.2.2]
            ports: [{name: http, port: 80}]
            """)
        #expect(cluster.endpointSummary(of: "manual") == ["192.0.2.1 notready - -", "192.0.2.2 ready - -"])
        #expect(cluster.endpointSummary(of: "s") == ["10.244.0.1 ready - p1", "10.244.0.2 ready - p2"])
        let before = cluster.endpointSlices
        cluster.deriveEndpointSlices()
        #expect(cluster.endpointSlices == before)

        cluster.pods[0].ready = false
        cluster.deriveEndpointSlices()
        #expect(cluster.endpointSummary(of: "s") == ["10.244.0.1 notready - p1", "10.244.0.2 ready - p2"])

        cluster.pods.removeAll { $0.meta.name == "p2" }
        cluster.deriveEndpointSlices()
        #expect(cluster.endpointSummary(of: "s") == ["10.244.0.1 notready - p1"])

        cluster.pods.removeAll()
        cluster.deriveEndpointSlices()
        // The controller keeps one empty placeholder slice.
        #expect(cluster.slices(of: "s").count == 1)
        #expect(cluster.slices(of: "s").first?.endpoints == [])
        #expect(cluster.endpointSummary(of: "manual") == ["192.0.2.1 notready - -", "192.0.2.2 ready - -"])
        #expect(cluster.slices(of: "manual").first?.origin == .manifest)
    }

    @Test func largeServicesAreSplitIntoSlicesOfAHundred() throws {
        let cluster = try Load.cluster(
            """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: big}
            spec:
              replicas: 260
              selector: {matchLabels: {app: big}}
              template:
                metadata: {labels: {app: big}}
                spec: {containers: [{name: c, image: c}]}
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: big}
            spec: {clusterIP: None, selector: {app: big}}
            """)
        #expect(cluster.slices(of: "big").map(\.endpoints.count) == [100, 100, 60])
        #expect(Set(cluster.slices(of: "big").map(\.meta.name)).count == 3)
        // 260 pods from 10.244.0.1 on, skipping 10.244.0.255 and 10.244.1.0.
        #expect(cluster.pods.last?.ips == [Load.ip("10.244.1.6")])
    }

    @Test func mirroringOfEndpoints() throws {
        let cluster = try Load.cluster(
            """
            apiVersion: v1
            kind: Service
            metadata: {name: ext}
            spec: {clusterIP: None, ports: [{name: http, port: 80}]}
            ---
            apiVersion: v1
            kind: Endpoints
            metadata: {name: ext}
            subsets:
            - addresses:
              - {ip: 192.0.2.10, hostname: db-a}
              - {ip: "2001:db8::10"}
              notReadyAddresses:
              - {ip: 192.0.2.11}
              ports: [{name: http, port: 80}]
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: skipped}
            spec: {clusterIP: None, ports: [{name: http, port: 80}]}
            ---
            apiVersion: v1
            kind: Endpoints
            metadata:
              name: skipped
              labels: {endpointslice.kubernetes.io/skip-mirror: "true"}
            subsets:
            - addresses: [{ip: 192.0.2.12}]
            """)
        #expect(cluster.endpointSummary(of: "ext") == ["192.0.2.10 ready db-a -", "192.0.2.11 notready - -"])
        #expect(cluster.endpointSummary(of: "ext", family: .ipv6) == ["2001:db8::10 ready - -"])
        #expect(cluster.slices(of: "ext").allSatisfy { $0.origin == .mirroredEndpoints && $0.ports == [EndpointPort(name: "http", port: 80)] })
        #expect(cluster.slices(of: "skipped").isEmpty)
        #expect(cluster.warnings.isEmpty)
    }
}
