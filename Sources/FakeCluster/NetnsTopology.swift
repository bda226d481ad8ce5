import ClusterModel
import DNSWire
import Foundation

/// The network-namespace address plan: the cluster's real addresses exist inside namespaces that
/// kubetape made, and nowhere else.
///
/// - `kubetape-<pid>-cluster` holds every pod IP, every cluster IP and the DNS service IP as /32s
///   (IPv6: /128s) on its `lo` (the fake pods, the forwarder and the DNS server listen there);
/// - `kubetape-<pid>-client` is the client pod: its pod IP as a /32 on `eth0`, a link route to the
///   gateway 169.254.1.1 and a default route through it (IPv6: its /128s and fe80::1), as Calico wires pods (never a shared
///   on-link prefix: glibc would sort same-subnet addresses first, RFC 6724 rule 9), plus
///   `/etc/netns/<name>/{resolv.conf,hosts,nsswitch.conf}` as the kubelet would write them.
///
/// The two are joined by a veth pair. Nothing is routed to or from the root namespace.
public struct NetnsTopology: Sendable {
    public let cluster: NetworkNamespace
    public let client: NetworkNamespace
    /// The client pod's address (its primary IPv4 pod IP).
    public let clientAddress: IPv4Address
    /// Every address of the client pod (IPv4 and, dual-stack, IPv6).
    public let clientAddresses: [IPAddress]
    /// The gateway address on the cluster side of the veth.
    public static let gateway = "169.254.1.1"
    /// The IPv6 gateway: a link-local address on the cluster side of the veth, as Calico uses.
    public static let gateway6 = "fe80::1"

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
        let topology = NetnsTopology(cluster: clusterNamespace, client: clientNamespace, clientAddress: clientAddress, clientAddresses: clientPod.ips)
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
        var local: Set<IPAddress> = []
        for pod in model.pods where !pod.hostNetwork {
            for address in pod.ips where !clientAddresses.contains(address) { local.insert(address) }
        }
        for service in model.services {
            for address in service.clusterIPs { local.insert(address) }
        }
        local.insert(model.network.dnsServiceIP)
        for address in local.sorted(by: { $0.description < $1.description }) {
            // IPv6: no duplicate address detection, so the address is usable at once
            try cluster.ip(address.isIPv4 ? ["addr", "add", "\(address)/32", "dev", "lo"] : ["-6", "addr", "add", "\(address)/128", "dev", "lo", "nodad"])
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
        let clientV6 = clientAddresses.filter { !$0.isIPv4 }
        if !clientV6.isEmpty || local.contains(where: { !$0.isIPv4 }) {
            // the same shape for IPv6: /128s, a link-local gateway, a default route through it
            try cluster.ip(["-6", "addr", "add", "\(NetnsTopology.gateway6)/64", "dev", "veth0", "nodad"])
            for address in clientV6 {
                try client.ip(["-6", "addr", "add", "\(address)/128", "dev", "eth0", "nodad"])
                try cluster.ip(["-6", "route", "add", "\(address)/128", "dev", "veth0"])
            }
            try client.ip(["-6", "route", "add", "default", "via", NetnsTopology.gateway6, "dev", "eth0"])
        }
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
