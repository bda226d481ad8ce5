import ClusterModel
import DNSWire
import Testing

/// `Cluster.scale`: what the Deployment and StatefulSet controllers do when replicas change.
@Suite struct ScaleTests {
    static let statefulSet = """
        apiVersion: v1
        kind: Service
        metadata: {name: nginx}
        spec:
          clusterIP: None
          selector: {app: nginx}
          ports: [{name: web, port: 80}]
        ---
        apiVersion: apps/v1
        kind: StatefulSet
        metadata: {name: web}
        spec:
          serviceName: nginx
          replicas: 2
          selector: {matchLabels: {app: nginx}}
          template:
            metadata: {labels: {app: nginx}}
            spec:
              containers: [{name: nginx, image: nginx}]
        """

    @Test func workloadsAreKeptWithTheirPods() throws {
        let cluster = try Load.cluster(WorkloadTests.deployment)
        #expect(cluster.workloads.count == 1)
        let workload = try #require(cluster.workloads.first)
        #expect(workload.kind == .deployment)
        #expect(workload.replicas == 3)
        #expect(workload.podNames == cluster.pods.map(\.meta.name))
        #expect(workload.templateHash == cluster.pods.first?.meta.labels["pod-template-hash"])
    }

    @Test func statefulSetScalesUpWithTheNextOrdinalsAndDownFromTheHighest() throws {
        var cluster = try Load.cluster(Self.statefulSet)
        let up = try cluster.scale("web", namespace: "default", to: 4, seed: 1)
        #expect(up.created.map(\.meta.name) == ["web-2", "web-3"])
        #expect(up.created.map(\.hostname) == ["web-2", "web-3"])
        #expect(up.created.allSatisfy { $0.subdomain == "nginx" && $0.ready && $0.phase == .running })
        // new pods take the next free addresses of the pod CIDR
        #expect(up.created.map { $0.ips.map(\.description) } == [["10.244.0.3"], ["10.244.0.4"]])
        cluster.deriveEndpointSlices()
        #expect(cluster.endpointSummary(of: "nginx").count == 4)

        let down = try cluster.scale("web", namespace: "default", to: 1, seed: 1)
        #expect(down.deleted == ["web-3", "web-2", "web-1"])
        #expect(cluster.pods.map(\.meta.name) == ["web-0"])
        #expect(cluster.workloads.first?.replicas == 1)
        cluster.deriveEndpointSlices()
        #expect(cluster.endpointSummary(of: "nginx") == ["10.244.0.1 ready web-0 web-0"])
    }

    @Test func deploymentScaleDownRemovesNotReadyThenNewestPods() throws {
        var cluster = try Load.cluster(WorkloadTests.deployment)
        let names = cluster.pods.map(\.meta.name)
        cluster.pods[0].ready = false
        let down = try cluster.scale("kiada", namespace: "default", to: 1, seed: 7)
        #expect(down.deleted == [names[0], names[2]])
        #expect(cluster.pods.map(\.meta.name) == [names[1]])
    }

    @Test func deploymentScaleUpNamesPodsWithTheTemplateHashDeterministically() throws {
        var first = try Load.cluster(WorkloadTests.deployment)
        var second = first
        let a = try first.scale("kiada", namespace: "default", kind: .deployment, to: 5, seed: 3)
        let b = try second.scale("kiada", namespace: "default", to: 5, seed: 3)
        #expect(a == b)
        #expect(a.created.count == 2)
        let hash = try #require(first.workloads.first?.templateHash)
        for pod in a.created {
            #expect(pod.meta.name.hasPrefix("kiada-\(hash)-"))
            #expect(pod.meta.labels["pod-template-hash"] == hash)
            #expect(pod.meta.labels["app"] == "kiada")
        }
        #expect(Set(first.pods.flatMap(\.ips)).count == 5)
        #expect(first.workloads.first?.podNames.count == 5)
    }

    @Test func unknownOrAmbiguousWorkloadsAreExplained() throws {
        var cluster = try Load.cluster(WorkloadTests.deployment)
        #expect(throws: ScaleError.self) { try cluster.scale("nope", namespace: "default", to: 1, seed: 1) }
        do {
            _ = try cluster.scale("nope", namespace: "default", to: 1, seed: 1)
        } catch {
            #expect(error.description == "no Deployment, ReplicaSet or StatefulSet default/nope in the manifests (namespace default has Deployment/kiada)")
        }
        do {
            _ = try cluster.scale("kiada", namespace: "default", kind: .statefulSet, to: 1, seed: 1)
            Issue.record("scaling a StatefulSet that does not exist succeeded")
        } catch {
            #expect(error.description.hasPrefix("no StatefulSet default/kiada"))
        }
    }
}
