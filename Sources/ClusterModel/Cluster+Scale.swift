import DNSWire

/// Why a scale request cannot be carried out.
public struct ScaleError: Error, Hashable, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

/// What a scale did: the pods it created and the pods it deleted.
public struct ScaleResult: Hashable, Sendable {
    public var created: [Pod]
    public var deleted: [String]
}

extension Cluster {
    /// Scales a Deployment, ReplicaSet or StatefulSet to `replicas`, as its controller would:
    /// a StatefulSet creates the missing ordinals and deletes the highest ones; a Deployment or
    /// ReplicaSet deletes not-ready pods before ready ones and newer before older, and names new pods
    /// with suffixes drawn from `seed` (the real names cannot be reproduced). New pods are Running
    /// and ready, with free addresses from the pod CIDRs. Re-derive the EndpointSlices afterwards
    /// (``deriveEndpointSlices()``).
    public mutating func scale(_ name: String, namespace: String, kind: Workload.Kind? = nil, to replicas: Int, seed: UInt64) throws(ScaleError)
        -> ScaleResult
    {
        let candidates = workloads.indices.filter { workloads[$0].meta.namespace == namespace && workloads[$0].meta.name == name }
            .filter { kind == nil || workloads[$0].kind == kind }
        guard let index = candidates.first else {
            let known = workloads.filter { $0.meta.namespace == namespace }.map { "\($0.kind.rawValue)/\($0.meta.name)" }
            throw ScaleError(
                message: "no \(kind?.rawValue ?? "Deployment, ReplicaSet or StatefulSet") \(namespace)/\(name) in the manifests"
                    + (known.isEmpty ? " (namespace \(namespace) has none)" : " (namespace \(namespace) has \(known.joined(separator: ", ")))"))
        }
        guard candidates.count == 1 else {
            let kinds = candidates.map { workloads[$0].kind.rawValue }.joined(separator: " and ")
            throw ScaleError(message: "\(namespace)/\(name) is both a \(kinds); say which kind to scale")
        }
        guard replicas >= 0 else { throw ScaleError(message: "replicas must be 0 or more, not \(replicas)") }
        var workload = workloads[index]
        let owned = workload.podNames.filter { podName in pods.contains { $0.meta.namespace == namespace && $0.meta.name == podName } }
        var result = ScaleResult(created: [], deleted: [])
        if owned.count > replicas {
            let victims: [String]
            switch workload.kind {
            case .statefulSet:
                victims = Array(owned.sorted { Cluster.ordinal($0) > Cluster.ordinal($1) }.prefix(owned.count - replicas))
            case .deployment, .replicaSet:
                // ActivePods ordering, simplified: not ready first, then the newest
                let ranked = owned.enumerated().sorted { lhs, rhs in
                    let l = isReady(lhs.element, namespace: namespace)
                    let r = isReady(rhs.element, namespace: namespace)
                    return l != r ? !l : lhs.offset > rhs.offset
                }
                victims = Array(ranked.prefix(owned.count - replicas).map(\.element))
            }
            pods.removeAll { $0.meta.namespace == namespace && victims.contains($0.meta.name) }
            result.deleted = victims
            workload.podNames = owned.filter { !victims.contains($0) }
        } else if owned.count < replicas {
            var allocator = AddressAllocator()
            allocator.taken = Set(pods.flatMap(\.ips))
            var names = KubernetesNameGenerator(seed: seed ^ KubernetesNameGenerator.stableHash("\(namespace)/\(name)/\(workload.podNames.count)"))
            let existingOrdinals = Set(owned.map(Cluster.ordinal))
            var ordinal = 0
            var current = owned
            while current.count < replicas {
                var pod: Pod
                switch workload.kind {
                case .statefulSet:
                    while existingOrdinals.contains(ordinal) { ordinal += 1 }
                    pod = workload.makePod(ordinal: ordinal, suffix: "")
                    ordinal += 1
                case .deployment, .replicaSet:
                    pod = workload.makePod(ordinal: 0, suffix: names.string(5))
                    if pods.contains(where: { $0.meta.namespace == namespace && $0.meta.name == pod.meta.name }) { continue }
                }
                pod.ips = []
                for cidr in network.podCIDRs {
                    guard let ip = allocator.allocate(from: cidr) else {
                        throw ScaleError(message: "the pod CIDR \(cidr) has no free address left for pod \(pod.meta.name)")
                    }
                    pod.ips.append(ip)
                }
                pod.phase = .running
                pod.ready = true
                pods.append(pod)
                current.append(pod.meta.name)
                result.created.append(pod)
            }
            workload.podNames = current
        }
        workload.replicas = replicas
        workloads[index] = workload
        return result
    }

    private func isReady(_ name: String, namespace: String) -> Bool {
        pods.first { $0.meta.namespace == namespace && $0.meta.name == name }?.ready ?? false
    }

    /// The ordinal at the end of a StatefulSet pod's name (-1 when there is none).
    static func ordinal(_ podName: String) -> Int {
        podName.split(separator: "-").last.flatMap { Int($0) } ?? -1
    }
}
