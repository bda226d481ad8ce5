import ClusterDNS
import ClusterModel
import DNSWire

/// What kube-proxy would program for the cluster: for each cluster IP and service port, the ready
/// endpoints (pod, address, target port) a new connection may be sent to.
public struct ForwardingTable: Hashable, Sendable {
    /// A service's cluster IP and port.
    public struct Frontend: Hashable, Sendable, Comparable {
        public var address: IPAddress
        public var port: UInt16
        public init(address: IPAddress, port: UInt16) {
            self.address = address
            self.port = port
        }
        public static func < (lhs: Self, rhs: Self) -> Bool { (lhs.address, lhs.port) < (rhs.address, rhs.port) }
    }

    /// One ready endpoint of a service port.
    public struct Backend: Hashable, Sendable {
        /// `namespace/name` of the pod, or the address when no pod is known.
        public var pod: String
        public var address: IPAddress
        public var port: UInt16
    }

    /// Frontend → ready backends, in slice order.
    public var backends: [Frontend: [Backend]]
    /// Frontends whose service sets `sessionAffinity: ClientIP`.
    public var clientIPAffinity: Set<Frontend>
    /// `namespace/name` of the service behind each frontend.
    public var serviceNames: [Frontend: String]

    public init(cluster: Cluster) {
        var backends: [Frontend: [Backend]] = [:]
        var affinity: Set<Frontend> = []
        var names: [Frontend: String] = [:]
        var podByAddress: [IPAddress: Pod] = [:]
        for pod in cluster.pods {
            for ip in pod.ips { podByAddress[ip] = pod }
        }
        for service in cluster.services where !service.isHeadless && service.type != .externalName {
            let slices = cluster.endpointSlices.filter { $0.meta.namespace == service.meta.namespace && $0.serviceName == service.meta.name }
            for port in service.ports where port.transport == .tcp {
                var list: [Backend] = []
                for slice in slices {
                    // kube-proxy matches slice ports to service ports by name
                    guard let slicePort = slice.ports.first(where: { ($0.name ?? "") == (port.name ?? "") && $0.transport == .tcp }),
                        let targetPort = slicePort.port
                    else {
                        continue
                    }
                    for endpoint in slice.endpoints where endpoint.isReady {
                        for address in endpoint.addresses {
                            let podName =
                                endpoint.targetPodName.map { "\(slice.meta.namespace)/\($0)" }
                                ?? podByAddress[address].map { "\($0.meta.namespace)/\($0.meta.name)" } ?? address.description
                            let backend = Backend(pod: podName, address: address, port: targetPort)
                            if !list.contains(backend) { list.append(backend) }
                        }
                    }
                }
                for clusterIP in service.clusterIPs {
                    // a connection to an IPv4 cluster IP goes to IPv4 endpoints, and likewise for IPv6
                    let frontend = Frontend(address: clusterIP, port: port.port)
                    backends[frontend] = list.filter { $0.address.isIPv4 == clusterIP.isIPv4 }
                    names[frontend] = "\(service.meta.namespace)/\(service.meta.name)"
                    if service.sessionAffinityClientIP { affinity.insert(frontend) }
                }
            }
        }
        self.backends = backends
        self.clientIPAffinity = affinity
        self.serviceNames = names
    }
}

/// Chooses a backend for each new connection as kube-proxy does: uniformly at random from the
/// ready endpoints (from a seeded generator, so runs repeat), sticking to the first choice per
/// client IP when the service asks for ClientIP affinity.
public struct BackendChooser: Sendable {
    var generator: SeededGenerator
    var sticky: [ForwardingTable.Frontend: [String: ForwardingTable.Backend]] = [:]

    public init(seed: UInt64) {
        generator = SeededGenerator(seed: seed)
    }

    /// The backend for a new connection from `client` (its IP as text), `nil` when there is none.
    public mutating func choose(_ frontend: ForwardingTable.Frontend, client: String, in table: ForwardingTable) -> ForwardingTable.Backend? {
        guard let candidates = table.backends[frontend], !candidates.isEmpty else { return nil }
        if table.clientIPAffinity.contains(frontend), let previous = sticky[frontend]?[client], candidates.contains(previous) {
            return previous
        }
        let chosen = candidates[Int(generator.next() % UInt64(candidates.count))]
        if table.clientIPAffinity.contains(frontend) {
            sticky[frontend, default: [:]][client] = chosen
        }
        return chosen
    }
}
