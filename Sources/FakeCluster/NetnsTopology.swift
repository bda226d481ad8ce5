import ClusterModel
import DNSWire
import Foundation

/// The network-namespace address plan: the cluster's real addresses exist inside namespaces that
/// kubetape made, and nowhere else.
///
/// - `kubetape-<pid>-cluster` holds every pod IP, every cluster IP and the DNS service IP as /32s on
///   its `lo` (the fake pods, the forwarder and the DNS server listen there);
/// - `kubetape-<pid>-client` is the client pod: its pod IP as a /32 on `eth0`, a link route to the
///   gateway 169.254.1.1 and a default route through it, as Calico wires pods (never a shared
///   on-link prefix: glibc would sort same-subnet addresses first, RFC 6724 rule 9), plus
///   `/etc/netns/<name>/{resolv.conf,hosts,nsswitch.conf}` as the kubelet would write them.
///
/// The two are joined by a veth pair. Nothing is routed to or from the root namespace.
public struct NetnsTopology: Sendable {
    public let cluster: NetworkNamespace
    public let client: NetworkNamespace
    /// The client pod's address (its primary IPv4 pod IP).
    public let clientAddress: IPv4Address
    /// The gateway address on the cluster side of the veth.
    public static let gateway = "169.254.1.1"

    /// Builds both namespaces, the veth link and the addresses; removes everything again if a step fails.
    public static func create(for model: Cluster, clientPod: Pod, resolvConf: String, hosts: String) throws -> NetnsTopology {
        NetworkNamespace.removeStale()
        guard case .v4(let clientAddress)? = clientPod.ips.first(where: \.isIPv4) else {
            throw NetnsError("client pod \(clientPod.meta.namespace)/\(clientPod.meta.name) has no IPv4 address")
        }
        let clusterNamespace = try NetworkNamespace.create(role: "cluster")
        let clientNamespace: NetworkNamespace
        do {
            clientNamespace = try NetworkNamespace.create(role: "client")
        } catch {
            clusterNamespace.remove()
            throw error
        }
        let topology = NetnsTopology(cluster: clusterNamespace, client: clientNamespace, clientAddress: clientAddress)
        do {
            try topology.wire(model: model, resolvConf: resolvConf, hosts: hosts)
        } catch {
            topology.remove()
            throw error
        }
        return topology
    }

    private func wire(model: Cluster, resolvConf: String, hosts: String) throws {
        try cluster.ip(["link", "set", "lo", "up"])
        try client.ip(["link", "set", "lo", "up"])
        var local: Set<IPv4Address> = []
        for pod in model.pods where !pod.hostNetwork {
            for case .v4(let address) in pod.ips where address != clientAddress { local.insert(address) }
        }
        for service in model.services {
            for case .v4(let address) in service.clusterIPs { local.insert(address) }
        }
        if case .v4(let dns) = model.network.dnsServiceIP { local.insert(dns) }
        for address in local.sorted() {
            try cluster.ip(["addr", "add", "\(address)/32", "dev", "lo"])
        }
        // the veth pair: "veth0" on the node (cluster) side, "eth0" in the pod
        try cluster.ip(["link", "add", "veth0", "type", "veth", "peer", "name", "eth0", "netns", client.name])
        try cluster.ip(["addr", "add", "\(NetnsTopology.gateway)/32", "dev", "veth0"])
        try cluster.ip(["link", "set", "veth0", "up"])
        try cluster.ip(["route", "add", "\(clientAddress)/32", "dev", "veth0"])
        try client.ip(["addr", "add", "\(clientAddress)/32", "dev", "eth0"])
        try client.ip(["link", "set", "eth0", "up"])
        try client.ip(["route", "add", NetnsTopology.gateway, "dev", "eth0", "scope", "link"])
        try client.ip(["route", "add", "default", "via", NetnsTopology.gateway, "dev", "eth0"])
        let etc = "/etc/netns/\(client.name)"
        try FileManager.default.createDirectory(atPath: etc, withIntermediateDirectories: true)
        try resolvConf.write(toFile: "\(etc)/resolv.conf", atomically: true, encoding: .utf8)
        try hosts.write(toFile: "\(etc)/hosts", atomically: true, encoding: .utf8)
        // files then dns: keeps mDNS modules from swallowing .local names
        try "hosts: files dns\n".write(toFile: "\(etc)/nsswitch.conf", atomically: true, encoding: .utf8)
    }

    /// Removes both namespaces and the files under /etc/netns.
    public func remove() {
        client.remove()
        cluster.remove()
    }
}
