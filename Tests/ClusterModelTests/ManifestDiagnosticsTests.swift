import ClusterModel
import DNSWire
import Testing

/// Every error and warning, each with the file:line it must carry.
@Suite struct ManifestDiagnosticsTests {
    struct Case: Sendable, CustomStringConvertible {
        var name: String
        var yaml: String
        var expected: [String]
        var description: String { name }
    }

    static let pod = """
        apiVersion: v1
        kind: Pod
        metadata:
          name: p
        spec:
          containers:
          - name: c
            image: c
        """

    static let errorCases: [Case] = [
        .init(
            name: "unparseable YAML", yaml: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: [p\n",
            expected: [
                "bad.yaml:5: invalid YAML: did not find expected ',' or ']' (while parsing a flow sequence started at line 4, column 9)"
            ]),
        .init(
            name: "tab indentation", yaml: "apiVersion: v1\nkind: Pod\nmetadata:\n\tname: p\n",
            expected: [
                "bad.yaml:4: invalid YAML: found character that cannot start any token (while scanning for the next token started at line 4, column 1)"
            ]),
        .init(
            name: "unknown apiVersion of a known kind", yaml: "apiVersion: v2\nkind: Service\nmetadata:\n  name: s\n",
            expected: [
                "bad.yaml:1: Service needs apiVersion v1, found v2"
            ]),
        .init(
            name: "removed EndpointSlice version", yaml: "apiVersion: discovery.k8s.io/v1beta1\nkind: EndpointSlice\nmetadata:\n  name: s\naddressType: IPv4\n",
            expected: [
                "bad.yaml:1: EndpointSlice needs apiVersion discovery.k8s.io/v1, found discovery.k8s.io/v1beta1 (discovery.k8s.io/v1beta1 was removed in Kubernetes 1.25)"
            ]),
        .init(
            name: "old Deployment version", yaml: "apiVersion: extensions/v1beta1\nkind: Deployment\nmetadata:\n  name: d\n",
            expected: [
                "bad.yaml:1: Deployment needs apiVersion apps/v1, found extensions/v1beta1 (extensions/v1beta1 was removed in Kubernetes 1.16)"
            ]),
        .init(
            name: "missing name", yaml: "apiVersion: v1\nkind: Pod\nmetadata:\n  labels: {app: a}\n",
            expected: [
                "bad.yaml:4: the Pod has no metadata.name"
            ]),
        .init(
            name: "generateName only", yaml: "apiVersion: v1\nkind: Pod\nmetadata:\n  generateName: p-\n",
            expected: [
                "bad.yaml:4: the Pod has no metadata.name (generateName is not supported: give the object a name)"
            ]),
        .init(
            name: "no metadata", yaml: "apiVersion: v1\nkind: Namespace\n",
            expected: [
                "bad.yaml:1: the Namespace has no metadata.name"
            ]),
        .init(
            name: "no kind", yaml: "apiVersion: v1\nmetadata:\n  name: x\n",
            expected: [
                "bad.yaml:1: the object has no kind"
            ]),
        .init(
            name: "not a mapping", yaml: "- a\n- b\n",
            expected: [
                "bad.yaml:1: a manifest document must be a mapping with apiVersion, kind and metadata"
            ]),
        .init(
            name: "invalid service name", yaml: "apiVersion: v1\nkind: Service\nmetadata:\n  name: My_Service\nspec:\n  clusterIP: None\n",
            expected: [
                "bad.yaml:4: Service name \"My_Service\" is invalid: only lower-case letters, digits and '-' are allowed"
            ]),
        .init(
            name: "duplicate object", yaml: pod + "\n---\n" + pod + "\n",
            expected: [
                "bad.yaml:10: duplicate Pod \"p\" in namespace default: already declared at bad.yaml:1:1"
            ]),
        .init(
            name: "wrong field types, all reported",
            yaml: """
                apiVersion: v1
                kind: Service
                metadata:
                  name: s
                  labels:
                    version: 2
                spec:
                  ports:
                  - name: http
                    port: "abc"
                  - name: https
                    port: 443
                    targetPort: "8443"
                  - name: big
                    port: 70000
                  - port: 90
                  publishNotReadyAddresses: "yes"
                  selector: [app]
                """,
            expected: [
                "bad.yaml:6: metadata.labels.version must be a string, found the number 2 (quote it)",
                "bad.yaml:10: spec.ports[].port must be an integer, found \"abc\"",
                "bad.yaml:13: targetPort \"8443\" is a quoted number: write the port number unquoted, or name a container port",
                "bad.yaml:15: spec.ports[].port must be between 1 and 65535, found 70000",
                "bad.yaml:16: every port of a Service with several ports needs a name",
                "bad.yaml:17: spec.publishNotReadyAddresses must be true or false, found \"yes\"",
                "bad.yaml:18: spec.selector must be a mapping, found a list",
            ]),
        .init(
            name: "pod field errors",
            yaml: """
                apiVersion: v1
                kind: Pod
                metadata:
                  name: p
                spec:
                  dnsPolicy: ClusterFirstish
                  containers:
                  - name: c
                    ports:
                    - containerPort: http
                    - name: x
                      protocol: QUIC
                      containerPort: 1
                status:
                  phase: Runing
                  podIP: 10.244.0.300
                """,
            expected: [
                "bad.yaml:6: spec.dnsPolicy \"ClusterFirstish\" is not one of \"ClusterFirst\", \"ClusterFirstWithHostNet\", \"Default\", \"None\"",
                "bad.yaml:10: spec.containers[].ports[].containerPort must be an integer, found \"http\"",
                "bad.yaml:12: spec.containers[].ports[].protocol \"QUIC\" is not one of \"TCP\", \"UDP\", \"SCTP\"",
                "bad.yaml:15: status.phase \"Runing\" is not one of \"Pending\", \"Running\", \"Succeeded\", \"Failed\", \"Unknown\"",
                "bad.yaml:16: status.podIP \"10.244.0.300\" is not an IPv4 or IPv6 address",
            ]),
        .init(
            name: "ExternalName without a name", yaml: "apiVersion: v1\nkind: Service\nmetadata:\n  name: e\nspec:\n  type: ExternalName\n",
            expected: [
                "bad.yaml:6: an ExternalName Service needs spec.externalName"
            ]),
        .init(
            name: "ClusterIP service without ports", yaml: "apiVersion: v1\nkind: Service\nmetadata:\n  name: s\nspec:\n  selector: {app: a}\n",
            expected: [
                "bad.yaml:1: Service \"s\" needs at least one entry in spec.ports (only headless Services may have none)"
            ]),
        .init(
            name: "slice address of the wrong family",
            yaml: """
                apiVersion: discovery.k8s.io/v1
                kind: EndpointSlice
                metadata:
                  name: x
                  labels: {kubernetes.io/service-name: x}
                addressType: IPv4
                endpoints:
                - addresses: ["2001:db8::1"]
                """,
            expected: [
                "bad.yaml:8: address 2001:db8::1 is not IPv4, the slice's addressType"
            ]),
        .init(
            name: "errors in several documents are all reported",
            yaml: """
                apiVersion: v1
                kind: Pod
                metadata: {name: a}
                spec: {hostNetwork: 1}
                ---
                apiVersion: v1
                kind: Pod
                metadata: {name: b}
                status: {podIP: nope}
                """,
            expected: [
                "bad.yaml:4: spec.hostNetwork must be true or false, found the number 1",
                "bad.yaml:9: status.podIP \"nope\" is not an IPv4 or IPv6 address",
            ]),
        .init(
            name: "duplicate key", yaml: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n  name: b\n",
            expected: [
                "bad.yaml:4: the key \"name\" appears twice in the mapping that starts here"
            ]),
        .init(
            name: "inconsistent addresses",
            yaml: """
                apiVersion: v1
                kind: Pod
                metadata: {name: p}
                status:
                  podIP: 10.244.0.5
                  podIPs: [{ip: 10.244.0.6}]
                ---
                apiVersion: v1
                kind: Service
                metadata: {name: s}
                spec:
                  clusterIP: 10.96.0.20
                  clusterIPs: [10.96.0.21]
                  ports: [{port: 80}]
                ---
                apiVersion: v1
                kind: Service
                metadata: {name: h}
                spec:
                  type: NodePort
                  clusterIP: None
                  ports: [{port: 80}]
                """,
            expected: [
                "bad.yaml:5: status.podIP 10.244.0.5 must equal the first entry of status.podIPs (10.244.0.6)",
                "bad.yaml:13: spec.clusterIPs[0] (10.96.0.21) must equal spec.clusterIP (10.96.0.20)",
                "bad.yaml:20: a headless Service (clusterIP: None) must have type ClusterIP, not NodePort",
            ]),
        .init(
            name: "dual-stack on a single-stack plan",
            yaml: """
                apiVersion: v1
                kind: Service
                metadata: {name: s}
                spec: {ipFamilyPolicy: RequireDualStack, ports: [{port: 80}]}
                ---
                apiVersion: v1
                kind: Service
                metadata: {name: t}
                spec: {ipFamilies: [IPv6], ports: [{port: 80}]}
                """,
            expected: [
                "bad.yaml:1: Service \"s\" requires dual-stack, but only IPv4 service CIDRs are configured",
                "bad.yaml:6: Service \"t\" asks for IPv6, but no such service CIDR is configured",
            ]),
        .init(
            name: "workload problems",
            yaml: """
                apiVersion: v1
                kind: Pod
                metadata: {name: web-1}
                ---
                apiVersion: apps/v1
                kind: StatefulSet
                metadata: {name: web}
                spec:
                  replicas: 2
                  serviceName: web
                  selector: {matchLabels: {app: web}}
                  template:
                    metadata: {labels: {app: web}}
                    spec: {containers: [{name: c, image: c}]}
                ---
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: d}
                spec:
                  replicas: -1
                  selector: {matchLabels: {app: other}}
                  template:
                    metadata: {labels: {app: d}}
                """,
            expected: [
                "bad.yaml:5: StatefulSet \"web\" creates pod \"web-1\", which is already declared at bad.yaml:1:1",
                "bad.yaml:20: spec.replicas must not be negative, found -1",
                "bad.yaml:21: spec.selector.matchLabels must match the labels of spec.template.metadata.labels",
            ]),
        .init(
            name: "nested list and absurd replicas",
            yaml: """
                apiVersion: v1
                kind: List
                items:
                - apiVersion: v1
                  kind: List
                  items: []
                - apiVersion: apps/v1
                  kind: ReplicaSet
                  metadata: {name: r}
                  spec:
                    replicas: 1000000
                    template: {metadata: {labels: {a: b}}}
                """,
            expected: [
                "bad.yaml:4: a List cannot be an item of another list",
                "bad.yaml:11: spec.replicas 1000000 is more than kubetape expands (10000)",
            ]),
    ]

    @Test(arguments: errorCases)
    func errors(_ test: Case) {
        #expect(Load.errors(test.yaml, file: "bad.yaml") == test.expected)
    }

    static let warningCases: [Case] = [
        .init(
            name: "skipped kinds",
            yaml: """
                apiVersion: v1
                kind: ConfigMap
                metadata: {name: cfg}
                ---
                apiVersion: networking.k8s.io/v1
                kind: Ingress
                metadata: {name: web}
                """,
            expected: [
                "w.yaml:1: skipped v1 ConfigMap \"cfg\": kubetape reads only Namespace, Pod, Service, Endpoints, EndpointSlice, Deployment, ReplicaSet and StatefulSet",
                "w.yaml:5: skipped networking.k8s.io/v1 Ingress \"web\": kubetape reads only Namespace, Pod, Service, Endpoints, EndpointSlice, Deployment, ReplicaSet and StatefulSet",
            ]),
        .init(
            name: "selector matching nothing",
            yaml: """
                apiVersion: v1
                kind: Service
                metadata: {name: s}
                spec: {selector: {app: nobody, tier: x}, ports: [{port: 80}]}
                """,
            expected: [
                "w.yaml:1: the selector app=nobody,tier=x of Service \"s\" matches no pod in namespace default"
            ]),
        .init(
            name: "implied namespace",
            yaml: """
                apiVersion: v1
                kind: Pod
                metadata: {name: p, namespace: shop}
                ---
                apiVersion: v1
                kind: Pod
                metadata: {name: q, namespace: shop}
                """,
            expected: [
                "w.yaml:1: namespace \"shop\" has no Namespace object; assuming it exists (a real cluster would refuse the object)"
            ]),
        .init(
            name: "shared cluster IP",
            yaml: """
                apiVersion: v1
                kind: Service
                metadata: {name: a}
                spec: {clusterIP: 10.96.0.50, ports: [{port: 80}]}
                ---
                apiVersion: v1
                kind: Service
                metadata: {name: b}
                spec: {clusterIP: 10.96.0.50, ports: [{port: 80}]}
                """,
            expected: [
                "w.yaml:6: Service \"b\" has cluster IP 10.96.0.50, which Service default/a has too"
            ]),
        .init(
            name: "addresses outside the CIDRs",
            yaml: """
                apiVersion: v1
                kind: Service
                metadata: {name: a}
                spec: {clusterIP: 172.20.0.10, ports: [{port: 80}]}
                ---
                apiVersion: v1
                kind: Pod
                metadata: {name: p}
                status: {podIP: 192.168.5.5}
                ---
                apiVersion: v1
                kind: Pod
                metadata: {name: node-agent}
                spec: {hostNetwork: true}
                status: {podIP: 172.18.0.2}
                """,
            expected: [
                "w.yaml:1: Service \"a\" has cluster IP 172.20.0.10, outside the service CIDRs 10.96.0.0/12",
                "w.yaml:6: pod \"p\" has address 192.168.5.5, outside the pod CIDRs 10.244.0.0/16",
            ]),
        .init(
            name: "slice naming no Service",
            yaml: """
                apiVersion: discovery.k8s.io/v1
                kind: EndpointSlice
                metadata:
                  name: orphan-abcde
                  labels: {kubernetes.io/service-name: ghost}
                addressType: IPv4
                endpoints: [{addresses: [192.0.2.7]}]
                ---
                apiVersion: discovery.k8s.io/v1
                kind: EndpointSlice
                metadata: {name: unlabelled}
                addressType: IPv4
                endpoints: [{addresses: [192.0.2.8]}]
                """,
            expected: [
                "w.yaml:1: EndpointSlice \"orphan-abcde\" names Service \"ghost\", which does not exist in namespace default (its addresses still count for PTR)",
                "w.yaml:9: EndpointSlice \"unlabelled\" has no kubernetes.io/service-name label: CoreDNS ties it to no Service (its addresses still count for PTR)",
            ]),
        .init(
            name: "Endpoints that are not mirrored",
            yaml: """
                apiVersion: v1
                kind: Endpoints
                metadata: {name: lonely}
                subsets: [{addresses: [{ip: 192.0.2.1}]}]
                ---
                apiVersion: v1
                kind: Service
                metadata: {name: selected}
                spec: {selector: {app: a}, ports: [{port: 80}]}
                ---
                apiVersion: v1
                kind: Pod
                metadata: {name: p, labels: {app: a}}
                ---
                apiVersion: v1
                kind: Endpoints
                metadata: {name: selected}
                subsets: [{addresses: [{ip: 192.0.2.2}]}]
                """,
            expected: [
                "w.yaml:1: Endpoints \"lonely\" has no Service of that name in namespace default: it is not mirrored into an EndpointSlice, so DNS never sees it",
                "w.yaml:15: Endpoints \"selected\" is ignored: Service \"selected\" has a selector, so its endpoints come from the matching pods",
            ]),
        .init(
            name: "two pods with one address; FQDN slices",
            yaml: """
                apiVersion: v1
                kind: Pod
                metadata: {name: a}
                status: {podIP: 10.244.3.3}
                ---
                apiVersion: v1
                kind: Pod
                metadata: {name: b}
                status: {podIP: 10.244.3.3}
                ---
                apiVersion: discovery.k8s.io/v1
                kind: EndpointSlice
                metadata: {name: names}
                addressType: FQDN
                endpoints: [{addresses: [db.example.com]}]
                """,
            expected: [
                "w.yaml:6: pod \"b\" has address 10.244.3.3, which pod default/a has too",
                "w.yaml:14: skipped EndpointSlice \"names\": addressType FQDN is deprecated and CoreDNS ignores such slices",
            ]),
    ]

    @Test(arguments: warningCases)
    func warnings(_ test: Case) throws {
        let cluster = try Load.cluster(test.yaml, file: "w.yaml")
        #expect(cluster.warnings.map(Load.render) == test.expected)
        #expect(cluster.warnings.allSatisfy { $0.severity == .warning })
    }

    @Test func warnedObjectsStay() throws {
        let cluster = try Load.cluster(Self.warningCases[5].yaml, file: "w.yaml")
        #expect(cluster.endpointSlices.count == 2)
        #expect(cluster.endpointSlices.map(\.serviceName) == ["ghost", nil])
    }

    @Test func errorDescriptionIsOneLinePerError() {
        do {
            _ = try Load.cluster("apiVersion: v2\nkind: Pod\nmetadata: {name: a}\n---\napiVersion: v1\nkind: Pod\n", file: "x.yaml")
            Issue.record("expected an error")
        } catch let error as ManifestError {
            #expect(error.description == "x.yaml:1:1: error: Pod needs apiVersion v1, found v2\nx.yaml:5:1: error: the Pod has no metadata.name")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }
}
