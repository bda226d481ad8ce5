import DNSWire

/// Deployment, ReplicaSet and StatefulSet expansion into pods.
extension LoadSession {
    /// Expands the workloads into pods, in document order. Workloads whose pods are already in the
    /// input (`kubectl get all -o yaml` lists them) are not expanded a second time.
    mutating func expandWorkloads() -> [PendingPod] {
        var generator = KubernetesNameGenerator(seed: options.seed)
        var podOwners: Set<ObjectKey> = []
        var replicaSetOwner: [ObjectKey: String] = [:]
        for source in podSources {
            switch source {
            case .pod(let pending):
                for owner in pending.owners {
                    podOwners.insert(ObjectKey(kind: owner.kind, namespace: pending.pod.meta.namespace, name: owner.name))
                }
            case .workload(let workload):
                if workload.kind == .replicaSet, let owner = workload.owners.first(where: { $0.kind == "Deployment" }) {
                    replicaSetOwner[ObjectKey(kind: "ReplicaSet", namespace: workload.meta.namespace, name: workload.meta.name)] = owner.name
                }
            }
        }

        var result: [PendingPod] = []
        for source in podSources {
            switch source {
            case .pod(let pending):
                result.append(pending)
            case .workload(let workload):
                let namespace = workload.meta.namespace
                let key = ObjectKey(kind: workload.kind.rawValue, namespace: namespace, name: workload.meta.name)
                switch workload.kind {
                case .statefulSet, .replicaSet:
                    if podOwners.contains(key) { continue }
                    if workload.kind == .replicaSet, let deployment = replicaSetOwner[key],
                        seen[ObjectKey(kind: "Deployment", namespace: namespace, name: deployment)] != nil
                    {
                        continue  // its Deployment stands for it
                    }
                case .deployment:
                    let listed = podOwners.contains { owner in
                        guard owner.kind == "ReplicaSet", owner.namespace == namespace else { return false }
                        if let deployment = replicaSetOwner[owner] { return deployment == workload.meta.name }
                        let prefix = workload.meta.name + "-"
                        return owner.name.hasPrefix(prefix) && !owner.name.dropFirst(prefix.count).contains("-")
                    }
                    if listed { continue }
                }
                result.append(contentsOf: expand(workload, generator: &generator))
            }
        }
        return result
    }

    private func expand(_ workload: Workload, generator: inout KubernetesNameGenerator) -> [PendingPod] {
        let owner = (kind: workload.kind.rawValue, name: workload.meta.name)
        var pods: [PendingPod] = []
        let templateHash = workload.kind == .deployment ? generator.string(10) : nil
        for ordinal in 0..<workload.replicas {
            var pod = workload.template
            switch workload.kind {
            case .deployment:
                pod.meta.name = "\(workload.meta.name)-\(templateHash ?? "")-\(generator.string(5))"
                pod.meta.labels["pod-template-hash"] = templateHash
            case .replicaSet:
                pod.meta.name = "\(workload.meta.name)-\(generator.string(5))"
            case .statefulSet:
                pod.meta.name = "\(workload.meta.name)-\(ordinal)"
                pod.hostname = pod.meta.name
                pod.subdomain = workload.serviceName
                pod.meta.labels["statefulset.kubernetes.io/pod-name"] = pod.meta.name
                pod.meta.labels["apps.kubernetes.io/pod-index"] = String(ordinal)
            }
            if let first = seen[ObjectKey(kind: "Pod", namespace: pod.meta.namespace, name: pod.meta.name)] {
                log.error(
                    workload.meta.source,
                    "\(workload.kind.rawValue) \"\(workload.meta.name)\" creates pod \"\(pod.meta.name)\", which is already declared at \(first)")
                continue
            }
            pods.append(PendingPod(pod: pod, owners: [owner]))
        }
        return pods
    }
}
