import ClusterModel
import DNSWire

/// The client pod that commands run in (`kubetape exec`, `serve --plan netns`, scenario `exec:`
/// steps) and the files the kubelet would give it.
public enum ClientPodEnvironment {
    /// The chosen pod.
    public struct Client: Sendable {
        public var pod: Pod
        /// True when the pod was not in the manifests and kubetape assumed it.
        public var assumed: Bool
    }

    /// The pod `namespace/name`, or by default a pod named `dns-test` in the first namespace
    /// that has pods; a pod missing from the manifests is assumed to exist, with a free address.
    public static func clientPod(in cluster: Cluster, named reference: String?) -> Client {
        let namespaces = cluster.pods.map(\.meta.namespace).filter { $0 != "kube-system" }
        let namespace: String
        let name: String
        if let reference, let slash = reference.firstIndex(of: "/") {
            namespace = String(reference[..<slash])
            name = String(reference[reference.index(after: slash)...])
        } else {
            namespace = namespaces.sorted().first ?? "default"
            name = reference ?? "dns-test"
        }
        if let pod = cluster.pods.first(where: { $0.meta.namespace == namespace && $0.meta.name == name }), pod.ips.contains(where: \.isIPv4) {
            return Client(pod: pod, assumed: false)
        }
        var pod = Pod(meta: ObjectMeta(name: name, namespace: namespace, labels: ["app": name]))
        pod.ips = freePodAddresses(in: cluster)
        return Client(pod: pod, assumed: true)
    }

    /// A free address of the first IPv4 pod CIDR and, in a dual-stack cluster, one of the first
    /// IPv6 pod CIDR (its highest unused address, counting down from the end).
    public static func freePodAddresses(in cluster: Cluster) -> [IPAddress] {
        var addresses = [freePodAddress(in: cluster)]
        let used = Set(cluster.pods.flatMap(\.ips))
        if let cidr = cluster.network.podCIDRs.first(where: { $0.family == .ipv6 }), case .v6(let network) = cidr.address {
            // the last 16 bits of the prefix's first /112: fd00:10:244::fffe and below
            var low: UInt64 = (network.low & ~0xffff) | 0xfffe
            while low & 0xffff > 0 {
                let candidate = IPAddress.v6(IPv6Address(high: network.high, low: low))
                if cidr.contains(candidate) && !used.contains(candidate) {
                    addresses.append(candidate)
                    break
                }
                low -= 1
            }
        }
        return addresses
    }

    /// The highest address of the first IPv4 pod CIDR that no pod uses.
    public static func freePodAddress(in cluster: Cluster) -> IPAddress {
        let used = Set(cluster.pods.flatMap(\.ips))
        let cidr = cluster.network.podCIDRs.first { $0.family == .ipv4 }
        guard let cidr, case .v4(let network) = cidr.address else { return IPAddress("10.244.255.254")! }
        let size = cidr.prefixLength >= 32 ? UInt32(1) : UInt32(1) << UInt32(32 - cidr.prefixLength)
        var candidate = network.value | (size - 2)
        while candidate > network.value {
            let address = IPAddress.v4(IPv4Address(candidate))
            if !used.contains(address) { return address }
            candidate -= 1
        }
        return IPAddress("10.244.255.254")!
    }

    /// `/etc/hosts` as the kubelet writes it for the pod.
    public static func hosts(for pod: Pod, clusterDomain: DNSName) -> String {
        var lines = [
            "# Kubernetes-managed hosts file (written by kubetape).",
            "127.0.0.1\tlocalhost",
            "::1\tlocalhost ip6-localhost ip6-loopback",
            "fe00::0\tip6-localnet",
            "fe00::0\tip6-mcastprefix",
            "fe00::1\tip6-allnodes",
            "fe00::2\tip6-allrouters",
        ]
        let domain = clusterDomain.description.hasSuffix(".") ? String(clusterDomain.description.dropLast()) : clusterDomain.description
        let hostname = pod.hostname ?? pod.meta.name
        for ip in pod.ips {
            if let subdomain = pod.subdomain {
                lines.append("\(ip)\t\(hostname).\(subdomain).\(pod.meta.namespace).svc.\(domain)\t\(hostname)")
            } else {
                lines.append("\(ip)\t\(hostname)")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
