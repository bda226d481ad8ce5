import ClusterModel
import DNSWire
import Testing

/// Deployment, ReplicaSet and StatefulSet expansion.
@Suite struct WorkloadTests {
    static let deployment = """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: kiada
          namespace: default
        spec:
          replicas: 3
          selector:
            matchLabels:
              app: kiada
          template:
            metadata:
              labels:
                app: kiada
            spec:
              containers:
              - name: kiada
                image: luksa/kiada:0.1
                ports:
                - name: http
                  containerPort: 8080
        ---
        apiVersion: v1
        kind: Service
        metadata:
          name: kiada
        spec:
          clusterIP: None
          selector:
            app: kiada
          ports:
          - name: http
            port: 80
            targetPort: http
        """

    static let alphabet = Set("bcdfghjklmnpqrstvwxz2456789")

    @Test func deploymentPodsFollowTheKubernetesNamingScheme() throws {
        let cluster = try Load.cluster(Self.deployment)
        #expect(cluster.pods.count == 3)
        var hashes: Set<String> = []
        for pod in cluster.pods {
            let parts = pod.meta.name.split(separator: "-").map(String.init)
            #expect(parts.count == 3)
            #expect(parts[0] == "kiada")
            #expect(parts[1].count == 10 && parts[1].allSatisfy(Self.alphabet.contains))
            #expect(parts[2].count == 5 && parts[2].allSatisfy(Self.alphabet.contains))
            #expect(pod.meta.labels["pod-template-hash"] == parts[1])
            #expect(pod.meta.labels["app"] == "kiada")
            #expect(pod.containerPorts == [ContainerPort(name: "http", containerPort: 8080)])
            hashes.insert(parts[1])
        }
        #expect(hashes.count == 1)
        // Addresses come from the pod CIDR in order.
        #expect(cluster.pods.map(\.ips) == [[Load.ip("10.244.0.1")], [Load.ip("10.244.0.2")], [Load.ip("10.244.0.3")]])
        #expect(cluster.endpointSummary(of: "kiada").count == 3)
        #expect(cluster.slices(of: "kiada").first?.ports == [EndpointPort(name: "http", port: 8080)])
        // The Deployment's location is the pods' location.
        #expect(cluster.pods.allSatisfy { $0.meta.source == SourceLocation(file: "test.yaml", line: 1, column: 1) })
    }

    @Test(arguments: [UInt64(1), 2, 42, .max])
    func deploymentNamesAreDeterministicPerSeed(seed: UInt64) throws {
        let first = try Load.cluster(Self.deployment, seed: seed).pods.map(\.meta.name)
        let second = try Load.cluster(Self.deployment, seed: seed).pods.map(\.meta.name)
        let other = try Load.cluster(Self.deployment, seed: seed &+ 1).pods.map(\.meta.name)
        #expect(first == second)
        #expect(first != other)
        #expect(Set(first).count == 3)
    }

    @Test func replicaSetPodsAndDefaultReplicas() throws {
        let cluster = try Load.cluster(
            """
            apiVersion: apps/v1
            kind: ReplicaSet
            metadata:
              name: quote
            spec:
              selector:
                matchLabels: {app: quote}
              template:
                metadata:
                  labels: {app: quote}
                spec:
                  containers: [{name: q, image: q}]
            """)
        #expect(cluster.pods.count == 1)
        let name = try #require(cluster.pods.first?.meta.name)
        #expect(name.hasPrefix("quote-") && name.count == "quote-".count + 5)
    }

    @Test func statefulSetPodsHaveOrdinalNamesHostnamesAndSubdomain() throws {
        let cluster = try Load.cluster(
            """
            apiVersion: v1
            kind: Service
            metadata:
              name: nginx
            spec:
              clusterIP: None
              selector:
                app: nginx
              ports:
              - name: web
                port: 80
            ---
            apiVersion: v1
            kind: Service
            metadata:
              name: nginx-vip
            spec:
              selector:
                app: nginx
              ports:
              - name: web
                port: 80
            ---
            apiVersion: apps/v1
            kind: StatefulSet
            metadata:
              name: web
            spec:
              serviceName: nginx
              replicas: 3
              selector:
                matchLabels:
                  app: nginx
              template:
                metadata:
                  labels:
                    app: nginx
                spec:
                  containers:
                  - name: nginx
                    image: nginx
            """)
        #expect(cluster.pods.map(\.meta.name) == ["web-0", "web-1", "web-2"])
        #expect(cluster.pods.map(\.hostname) == ["web-0", "web-1", "web-2"])
        #expect(cluster.pods.allSatisfy { $0.subdomain == "nginx" })
        #expect(cluster.pods.map { $0.meta.labels["statefulset.kubernetes.io/pod-name"] } == ["web-0", "web-1", "web-2"])
        // Hostnames are copied into the slices of the Service the subdomain names, only.
        #expect(
            cluster.endpointSummary(of: "nginx") == [
                "10.244.0.1 ready web-0 web-0", "10.244.0.2 ready web-1 web-1", "10.244.0.3 ready web-2 web-2",
            ])
        #expect(
            cluster.endpointSummary(of: "nginx-vip") == [
                "10.244.0.1 ready - web-0", "10.244.0.2 ready - web-1", "10.244.0.3 ready - web-2",
            ])
    }

    @Test func workloadsWhosePodsAreListedAreNotExpandedTwice() throws {
        // What `kubectl get deploy,rs,pods -o yaml` gives: the Deployment, its ReplicaSet and the pods.
        let cluster = try Load.cluster(
            """
            apiVersion: v1
            kind: List
            items:
            - apiVersion: apps/v1
              kind: Deployment
              metadata: {name: kiada, namespace: default}
              spec:
                replicas: 2
                selector: {matchLabels: {app: kiada}}
                template:
                  metadata: {labels: {app: kiada}}
                  spec: {containers: [{name: k, image: k}]}
            - apiVersion: apps/v1
              kind: ReplicaSet
              metadata:
                name: kiada-5d8b8c7f9b
                namespace: default
                ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: kiada, uid: u1}]
              spec:
                replicas: 2
                selector: {matchLabels: {app: kiada}}
                template:
                  metadata: {labels: {app: kiada}}
                  spec: {containers: [{name: k, image: k}]}
            - apiVersion: v1
              kind: Pod
              metadata:
                name: kiada-5d8b8c7f9b-x7k2p
                namespace: default
                labels: {app: kiada}
                ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: kiada-5d8b8c7f9b, uid: u2}]
              spec: {containers: [{name: k, image: k}]}
              status: {phase: Running, podIP: 10.244.1.7}
            """)
        #expect(cluster.pods.map(\.meta.name) == ["kiada-5d8b8c7f9b-x7k2p"])
        #expect(cluster.pods.first?.ips == [Load.ip("10.244.1.7")])
    }
}
