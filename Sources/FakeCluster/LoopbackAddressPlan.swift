import ClusterModel
import DNSWire

/// The loopback address plan: every pod IP and every cluster IP of the fake cluster gets its own
/// address in 127.0.0.0/8, so that kubetape needs no root and no namespace to serve them. DNS keeps
/// answering with the cluster's real addresses unless answers are rewritten.
///
/// Pods are numbered from 127.1.0.1 and services from 127.2.0.1 (by default), in the order of their
/// namespace and name, so the same manifests always give the same map. Ports below 1024 move
/// up by ``privilegedPortOffset`` when the process may not bind them.
public struct LoopbackAddressPlan: Hashable, Sendable {
    /// Cluster address → loopback address, for pods and cluster IPs alike.
    public private(set) var addresses: [IPAddress: IPv4Address]
    /// Added to ports below 1024 when binding them needs privileges kubetape does not have; 0 when root.
    public var privilegedPortOffset: UInt16

    /// Builds the plan for `cluster`: pods in 127.<block>.0.0/16, services in 127.<block+1>.0.0/16,
    /// so that two fake clusters can run side by side with different blocks.
    public init(cluster: Cluster, privilegedPortOffset: UInt16 = 0, block: UInt8 = 1) {
        var addresses: [IPAddress: IPv4Address] = [:]
        let pods = cluster.pods.sorted { ($0.meta.namespace, $0.meta.name) < ($1.meta.namespace, $1.meta.name) }
        var next: UInt32 = 1
        for pod in pods where !pod.hostNetwork {
            for ip in pod.ips where addresses[ip] == nil {
                addresses[ip] = LoopbackAddressPlan.address(block: block, index: next)
                next += 1
            }
        }
        let services = cluster.services.sorted { ($0.meta.namespace, $0.meta.name) < ($1.meta.namespace, $1.meta.name) }
        next = 1
        for service in services {
            for ip in service.clusterIPs where addresses[ip] == nil {
                addresses[ip] = LoopbackAddressPlan.address(block: block &+ 1, index: next)
                next += 1
            }
        }
        self.addresses = addresses
        self.privilegedPortOffset = privilegedPortOffset
    }

    static func address(block: UInt8, index: UInt32) -> IPv4Address {
        // 127.<block>.<hi>.<lo>, skipping .0 and .255 in the last octet
        let perBlock: UInt32 = 254
        let high = UInt8(truncatingIfNeeded: (index - 1) / perBlock)
        let low = UInt8(truncatingIfNeeded: (index - 1) % perBlock + 1)
        return IPv4Address(127, block, high, low)
    }

    /// The loopback address that stands for `address`, if any.
    public func loopback(for address: IPAddress) -> IPv4Address? { addresses[address] }

    /// The port to bind or dial on loopback for a cluster port.
    public func loopbackPort(for port: UInt16) -> UInt16 {
        port < 1024 ? port &+ privilegedPortOffset : port
    }

    /// The cluster address a loopback address stands for.
    public func clusterAddress(for loopback: IPv4Address) -> IPAddress? {
        addresses.first { $0.value == loopback }?.key
    }

    /// `cluster address → loopback address` lines, sorted, for printing and reports.
    public var table: [(cluster: IPAddress, loopback: IPv4Address)] {
        addresses.map { ($0.key, $0.value) }.sorted { $0.loopback < $1.loopback }
    }
}
