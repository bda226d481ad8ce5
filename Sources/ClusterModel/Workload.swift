import DNSWire

/// A Deployment, ReplicaSet or StatefulSet of the manifests: its pod template and the pods it owns,
/// kept in the ``Cluster`` so that a scenario can scale it as the controllers would.
public struct Workload: Hashable, Sendable {
    /// The controller kind.
    public enum Kind: String, Hashable, Sendable, CaseIterable {
        case deployment = "Deployment"
        case replicaSet = "ReplicaSet"
        case statefulSet = "StatefulSet"
    }

    public var kind: Kind
    public var meta: ObjectMeta
    /// `spec.replicas` (1 when absent), updated by ``Cluster/scale(_:namespace:kind:to:seed:)``.
    public var replicas: Int
    /// StatefulSet `spec.serviceName`: the subdomain of its pods.
    public var serviceName: String?
    /// The pod template (name empty, labels of the template).
    public var template: Pod
    /// Names of the pods it owns, oldest first.
    public var podNames: [String]
    /// Deployment: the `pod-template-hash` in its pods' names and labels.
    public var templateHash: String?

    public init(
        kind: Kind, meta: ObjectMeta, replicas: Int, serviceName: String? = nil, template: Pod, podNames: [String] = [], templateHash: String? = nil
    ) {
        self.kind = kind
        self.meta = meta
        self.replicas = replicas
        self.serviceName = serviceName
        self.template = template
        self.podNames = podNames
        self.templateHash = templateHash
    }

    /// The pod its controller creates: a StatefulSet's pod `ordinal` (`<name>-<ordinal>`, hostname
    /// and `serviceName` subdomain), or a Deployment's (`<name>-<hash>-<suffix>`) or ReplicaSet's
    /// (`<name>-<suffix>`) pod with the random `suffix`.
    public func makePod(ordinal: Int, suffix: String) -> Pod {
        var pod = template
        switch kind {
        case .deployment:
            pod.meta.name = "\(meta.name)-\(templateHash ?? "")-\(suffix)"
            pod.meta.labels["pod-template-hash"] = templateHash
        case .replicaSet:
            pod.meta.name = "\(meta.name)-\(suffix)"
        case .statefulSet:
            pod.meta.name = "\(meta.name)-\(ordinal)"
            pod.hostname = pod.meta.name
            pod.subdomain = serviceName
            pod.meta.labels["statefulset.kubernetes.io/pod-name"] = pod.meta.name
            pod.meta.labels["apps.kubernetes.io/pod-index"] = String(ordinal)
        }
        return pod
    }
}
