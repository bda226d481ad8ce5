import Foundation
import Testing

/// The netns plan with a dual-stack cluster: pod and cluster IPv6 addresses exist in kubetape's
/// namespaces (/128s, a link-local gateway), and unmodified curl reaches pods and the forwarder
/// over IPv6 as over IPv4.
@Suite(.serialized) struct DualStackNetnsTests {
    static let scenario = """
        name: dual-stack
        cluster:
          podCIDR: [10.244.0.0/16, "fd00:10:244::/56"]
          serviceCIDR: [10.96.0.0/12, "fd00:10:96::/112"]
          inline: |
            apiVersion: v1
            kind: Pod
            metadata: {name: web-a, labels: {app: web}}
            spec: {containers: [{name: c, image: x, ports: [{containerPort: 80}]}]}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: web-b, labels: {app: web}}
            spec: {containers: [{name: c, image: x, ports: [{containerPort: 80}]}]}
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: web}
            spec:
              ipFamilyPolicy: PreferDualStack
              selector: {app: web}
              ports: [{port: 80}]
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: web-headless}
            spec:
              clusterIP: None
              ipFamilyPolicy: PreferDualStack
              selector: {app: web}
              ports: [{port: 80}]
        steps:
          - name: the headless name has one AAAA per pod
            exec: getent ahostsv6 web-headless
            expect:
              queries: [web-headless.default.svc.cluster.local]
          - name: curl over IPv6 to a pod and through the cluster IP
            exec: {command: "curl -6 -sf http://web-headless/ && curl -6 -sf http://web/", timeout: 10s}
            expect:
              output:
                regex: "This is the web service running in pod web-.\\nThis is the web service running in pod web-."
              connectsTo: ["fd00:10:244::1", "fd00:10:244::2", "fd00:10:96::2"]
          - name: and over IPv4 as before
            exec: {command: "curl -4 -sf http://web/", timeout: 10s}
            expect:
              connectsTo: service-ip
        """

    @Test func curlReachesPodsAndServicesOverIPv6() throws {
        try #require(getuid() == 0, "the netns plan needs root (network namespaces); run the tests as root as CI does")
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/curl"), "/usr/bin/curl missing: run scripts/setup.sh")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kubetape-dualstack-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("dual.yaml")
        try Self.scenario.write(to: file, atomically: true, encoding: .utf8)
        let result = try KubetapeBinary.run(["run", file.path, "--format", "json"])
        #expect(result.status == 0, "kubetape run: \(result.stdout) \(result.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let steps = try #require((report["scenarios"] as? [[String: Any]])?.first?["steps"] as? [[String: Any]])
        let observations = steps.map { ($0["observations"] as? [String]) ?? [] }
        #expect(observations[0].contains("dns web-headless.default.svc.cluster.local. AAAA NOERROR fd00:10:244::1 fd00:10:244::2"), "\(observations[0])")
        #expect(observations[1].contains { $0.hasPrefix("connect [fd00:10:244::") && $0.contains("(pod IP) served by default/web-") }, "\(observations[1])")
        #expect(observations[1].contains { $0.hasPrefix("connect [fd00:10:96::2]:80 (service IP) forwarded to default/web-") }, "\(observations[1])")
        #expect(observations[2].contains { $0.hasPrefix("connect 10.96.0.2:80 (service IP) forwarded to default/web-") }, "\(observations[2])")
    }
}
