import DNSWire

/// Deployment, ReplicaSet and StatefulSet expansion into pods.
extension LoadSession {
    /// Expands the workloads into pods, in document order. Workloads whose pods are already in the
    /// input (`kubectl get all -o yaml` lists them) are not expanded a second time.
    mutating func expandWorkloads() -> (pods: [PendingPod], workloads: [Workload]) {
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
        var records: [Workload] = []
        let listedPods = podSources.compactMap { source -> PendingPod? in
            if case .pod(let pending) = source { return pending }
            return nil
        }
        for source in podSources {
            switch source {
            case .pod(let pending):
                result.append(pending)
            case .workload(let workload):
                // listed pods (`kubectl get all`) name their owner directly (a Deployment's own its ReplicaSet)
                let owned = listedPods.filter { pending in
                    pending.pod.meta.namespace == workload.meta.namespace
                        && pending.owners.contains { $0.kind == workload.kind.rawValue && $0.name == workload.meta.name }
                }
                var record = Workload(
                    kind: Workload.Kind(rawValue: workload.kind.rawValue) ?? .deployment, meta: workload.meta, replicas: workload.replicas,
                    serviceName: workload.serviceName, template: workload.template, podNames: owned.map(\.pod.meta.name))
                let namespace = workload.meta.namespace
                let key = ObjectKey(kind: workload.kind.rawValue, namespace: namespace, name: workload.meta.name)
                switch workload.kind {
                case .statefulSet, .replicaSet:
                    if podOwners.contains(key) {
                        records.append(record)
                        continue
                    }
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
                    if listed {
                        records.append(record)
                        continue
                    }
                }
                let (pods, templateHash) = expand(record, generator: &generator)
                record.podNames = pods.map(\.pod.meta.name)
                record.templateHash = templateHash
                records.append(record)
                result.append(contentsOf: pods)
            }
        }
        return (result, records)
    }

    private func expand(_ record: Workload, generator: inout KubernetesNameGenerator) -> (pods: [PendingPod], templateHash: String?) {
        let owner = (kind: record.kind.rawValue, name: record.meta.name)
        var pods: [PendingPod] = []
        var record = record
        record.templateHash = record.kind == .deployment ? generator.string(10) : nil
        for ordinal in 0..<record.replicas {
            let pod = record.makePod(ordinal: ordinal, suffix: record.kind == .statefulSet ? "" : generator.string(5))
            if let first = seen[ObjectKey(kind: "Pod", namespace: pod.meta.namespace, name: pod.meta.name)] {
                log.error(
                    record.meta.source,
                    "\(record.kind.rawValue) \"\(record.meta.name)\" creates pod \"\(pod.meta.name)\", which is already declared at \(first)")
                continue
            }
            pods.append(PendingPod(pod: pod, owners: [owner]))
        }
        return (pods, record.templateHash)
    }
}
