import ClusterModel
import DNSWire
import Foundation
import Testing

/// Reading manifests as users keep them: lists, directories, JSON; the address plan.
@Suite struct ManifestLoaderTests {
    @Test func kubectlListOutput() throws {
        // Shaped like `kubectl get pods,svc -n kiada -o yaml`.
        let cluster = try Load.cluster(
            """
            apiVersion: v1
            items:
            - apiVersion: v1
              kind: Pod
              metadata:
                creationTimestamp: "2026-11-20T09:00:00Z"
                labels:
                  app: quote
                name: quote-001
                namespace: kiada
                resourceVersion: "1234"
                uid: 0b5e5e2a-1111-2222-3333-444455556666
              spec:
                containers:
                - image: luksa/quote-api:0.1
                  name: quote
                  ports:
                  - containerPort: 80
                    name: http
                    protocol: TCP
              status:
                conditions:
                - lastProbeTime: null
                  status: "True"
                  type: Ready
                phase: Running
                podIP: 10.244.2.10
                podIPs:
                - ip: 10.244.2.10
            - apiVersion: v1
              kind: Service
              metadata:
                name: quote
                namespace: kiada
              spec:
                clusterIP: 10.96.161.97
                clusterIPs:
                - 10.96.161.97
                internalTrafficPolicy: Cluster
                ipFamilies:
                - IPv4
                ipFamilyPolicy: SingleStack
                ports:
                - name: http
                  port: 80
                  protocol: TCP
                  targetPort: http
                selector:
                  app: quote
                sessionAffinity: None
                type: ClusterIP
              status:
                loadBalancer: {}
            kind: List
            metadata:
              resourceVersion: ""
            """, file: "list.yaml")
        #expect(
            cluster.warnings.map(Load.render) == [
                "list.yaml:3: namespace \"kiada\" has no Namespace object; assuming it exists (a real cluster would refuse the object)"
            ])
        #expect(cluster.pod("quote-001", in: "kiada")?.ips == [Load.ip("10.244.2.10")])
        #expect(cluster.pod("quote-001", in: "kiada")?.meta.source?.line == 3)
        #expect(cluster.service("quote", in: "kiada")?.meta.source?.line == 30)
        #expect(cluster.endpointSummary(of: "quote", in: "kiada") == ["10.244.2.10 ready - quote-001"])
    }

    @Test func directoriesAreReadRecursivelyInSortedOrder() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("kubetape-manifests-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        try FileManager.default.createDirectory(at: root.appendingPathComponent("b/nested"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: root.appendingPathComponent("a"), withIntermediateDirectories: true)
        func write(_ path: String, _ text: String) throws {
            try text.write(to: root.appendingPathComponent(path), atomically: true, encoding: .utf8)
        }
        let pod = { (name: String) in "apiVersion: v1\nkind: Pod\nmetadata:\n  name: \(name)\n" }
        try write("b/nested/3.yml", pod("third"))
        try write("a/2.yaml", "# two documents\n" + pod("second") + "---\n" + pod("second-b"))
        try write("1.json", #"{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "first"}}"#)
        try write("README.md", "not a manifest: \"")
        try write("b/notes.txt", "nope: [")
        let cluster = try ManifestLoader().load(paths: [root.path])
        #expect(cluster.pods.map(\.meta.name) == ["first", "second", "second-b", "third"])
        #expect(
            cluster.pods.map { $0.meta.source.map { "\(URL(fileURLWithPath: $0.file).lastPathComponent):\($0.line)" } ?? "" } == [
                "1.json:1", "2.yaml:2", "2.yaml:7", "3.yml:1",
            ])
        // Addresses are handed out in that order.
        #expect(cluster.pods.map { $0.ips.first?.description ?? "" } == ["10.244.0.1", "10.244.0.2", "10.244.0.3", "10.244.0.4"])

        // A file and a directory together; an error in one file names that file.
        try write("b/nested/4.yaml", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: Bad_Name\n")
        #expect(throws: ManifestError.self) { try ManifestLoader().load(paths: [root.path]) }
        do {
            _ = try ManifestLoader().load(paths: [root.appendingPathComponent("a/2.yaml").path, root.appendingPathComponent("b").path])
            Issue.record("expected an error")
        } catch let error as ManifestError {
            #expect(
                error.diagnostics.map { "\(URL(fileURLWithPath: $0.location?.file ?? "").lastPathComponent):\($0.location?.line ?? 0): \($0.message)" }
                    == ["4.yaml:4: Pod name \"Bad_Name\" is invalid: only lower-case letters, digits and '-' are allowed"])
        }
    }

    @Test func missingPathsAndEmptyDirectories() throws {
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("kubetape-empty-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: empty) }
        do {
            _ = try ManifestLoader().load(paths: ["/nonexistent/kubetape/x.yaml", empty.path])
            Issue.record("expected an error")
        } catch let error as ManifestError {
            #expect(
                error.diagnostics.map(\.message) == [
                    "/nonexistent/kubetape/x.yaml: no such file or directory",
                    "\(empty.path): the directory holds no *.yaml, *.yml or *.json file",
                ])
        }
    }

    @Test func serviceAddressesSkipTakenAndWellKnownOnes() throws {
        let cluster = try Load.cluster(
            """
            apiVersion: v1
            kind: Service
            metadata: {name: first}
            spec: {selector: {app: a}, ports: [{port: 80}]}
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: pinned}
            spec: {clusterIP: 10.96.0.3, ports: [{port: 80}]}
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: kubernetes}
            spec: {ports: [{name: https, port: 443, targetPort: 6443}]}
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: kube-dns, namespace: kube-system}
            spec: {ports: [{name: dns, port: 53, protocol: UDP}]}
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: external}
            spec: {type: ExternalName, externalName: example.com}
            """ + (1...9).map { "\n---\napiVersion: v1\nkind: Service\nmetadata: {name: s\($0)}\nspec: {ports: [{port: 80}]}" }.joined())
        #expect(cluster.service("first")?.clusterIPs == [Load.ip("10.96.0.2")])
        #expect(cluster.service("kubernetes")?.clusterIPs == [Load.ip("10.96.0.1")])
        #expect(cluster.service("kube-dns", in: "kube-system")?.clusterIPs == [Load.ip("10.96.0.10")])
        #expect(cluster.service("external")?.clusterIPs == [])
        #expect(cluster.service("external")?.externalName == "example.com")
        #expect(
            (1...9).map { cluster.service("s\($0)")?.clusterIPs.first?.description ?? "" }
                == ["10.96.0.4", "10.96.0.5", "10.96.0.6", "10.96.0.7", "10.96.0.8", "10.96.0.9", "10.96.0.11", "10.96.0.12", "10.96.0.13"])
    }

    @Test func podAddressesSkipTakenOnes() throws {
        let cluster = try Load.cluster(
            """
            apiVersion: v1
            kind: Pod
            metadata: {name: a}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: b}
            status: {podIP: 10.244.0.2}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: c}
            """, network: NetworkPlan(podCIDRs: [CIDR("10.244.0.0/16")!]))
        #expect(cluster.pods.map { $0.ips.first?.description ?? "" } == ["10.244.0.1", "10.244.0.2", "10.244.0.3"])
    }

    @Test func podDNSSettingsAreRead() throws {
        let pod = try #require(
            Load.cluster(
                """
                apiVersion: v1
                kind: Pod
                metadata: {name: p}
                spec:
                  hostname: box
                  subdomain: group
                  setHostnameAsFQDN: true
                  dnsPolicy: None
                  dnsConfig:
                    nameservers: [10.96.0.10]
                    searches: [kiada.svc.cluster.local, svc.cluster.local]
                    options:
                    - name: ndots
                      value: "2"
                    - name: edns0
                  nodeName: kind-worker
                """
            ).pods.first)
        #expect(pod.hostname == "box")
        #expect(pod.subdomain == "group")
        #expect(pod.setHostnameAsFQDN)
        #expect(pod.dnsPolicy == DNSPolicy.none)
        #expect(
            pod.dnsConfig
                == PodDNSConfig(
                    nameservers: ["10.96.0.10"], searches: ["kiada.svc.cluster.local", "svc.cluster.local"], options: [("ndots", "2"), ("edns0", nil)]))
        #expect(pod.nodeName == "kind-worker")
    }
}
