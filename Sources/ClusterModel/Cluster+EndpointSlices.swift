import DNSWire

/// The EndpointSlice controller (pkg/controller/endpointslice) as kubetape runs it over `Cluster`.
extension Cluster {
    /// The most endpoints the controller puts in one slice (`--max-endpoints-per-slice` default).
    public static let maxEndpointsPerSlice = 100

    /// Re-runs the EndpointSlice controller after a change (a pod deleted, readiness changed, a
    /// scale): replaces every derived slice and keeps the user's and the mirrored ones.
    public mutating func deriveEndpointSlices() {
        let derived = controllerSlices()
        endpointSlices.removeAll { $0.origin == .derived }
        endpointSlices.append(contentsOf: derived.slices)
    }

    /// True when the pod's labels satisfy the selector (every key present with the same value).
    static func matches(_ selector: [String: String], _ labels: [String: String]) -> Bool {
        selector.allSatisfy { labels[$0.key] == $0.value }
    }

    /// `podutil.FindPort`: the container port a Service port targets on this pod, if any.
    static func resolve(_ port: ServicePort, on pod: Pod) -> UInt16? {
        switch port.targetPort {
        case .number(let number):
            return number
        case .name(let name):
            return pod.containerPorts.first { $0.name == name && $0.transport == port.transport }?.containerPort
        }
    }

    /// The slices the controller would write for every Service with a selector, and the warnings
    /// worth telling the user (selectors matching nothing, named ports resolving nowhere).
    func controllerSlices() -> (slices: [EndpointSlice], warnings: [ManifestDiagnostic]) {
        var slices: [EndpointSlice] = []
        var warnings: [ManifestDiagnostic] = []
        for service in services {
            guard let selector = service.selector, !selector.isEmpty, service.type != .externalName else { continue }
            let namespace = service.meta.namespace
            let selected = pods.filter { $0.meta.namespace == namespace && Self.matches(selector, $0.meta.labels) }
            if selected.isEmpty {
                let text = selector.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
                warnings.append(
                    ManifestDiagnostic(
                        .warning, at: service.meta.source, "the selector \(text) of Service \"\(service.meta.name)\" matches no pod in namespace \(namespace)"))
            }
            var families = service.ipFamilies
            if families.isEmpty {
                families = service.clusterIPs.map(\.family)
            }
            if families.isEmpty { families = [network.podCIDRs.first?.family ?? .ipv4] }

            var reportedPorts: Set<String> = []
            for family in families {
                // Endpoints grouped by their port set, as the controller does (one slice per set).
                var groups: [(ports: [EndpointPort], endpoints: [Endpoint])] = []
                for pod in selected {
                    guard pod.phase != .succeeded, pod.phase != .failed,
                        let address = pod.ips.first(where: { $0.family == family })
                    else { continue }
                    var ports: [EndpointPort] = []
                    for servicePort in service.ports {
                        if let number = Self.resolve(servicePort, on: pod) {
                            ports.append(EndpointPort(name: servicePort.name, port: number, transport: servicePort.transport))
                        } else if case .name(let name) = servicePort.targetPort,
                            reportedPorts.insert("\(pod.meta.name)/\(name)/\(servicePort.transport.rawValue)").inserted
                        {
                            warnings.append(
                                ManifestDiagnostic(
                                    .warning, at: service.meta.source,
                                    "targetPort \"\(name)\" of Service \"\(service.meta.name)\" names no \(servicePort.transport.rawValue) container port of pod \"\(pod.meta.name)\"; the pod is published without that port"
                                ))
                        }
                    }
                    let hostname: String? = if let name = pod.hostname, !name.isEmpty, pod.subdomain == service.meta.name { name } else { nil }
                    let endpoint = Endpoint(
                        addresses: [address],
                        ready: service.publishNotReadyAddresses || (pod.ready && !pod.terminating),
                        hostname: hostname,
                        targetPodName: pod.meta.name,
                        nodeName: pod.nodeName
                    )
                    if let index = groups.firstIndex(where: { $0.ports == ports }) {
                        groups[index].endpoints.append(endpoint)
                    } else {
                        groups.append((ports, [endpoint]))
                    }
                }
                if groups.isEmpty {
                    // The controller keeps one empty placeholder slice per family.
                    groups.append(([], []))
                }
                var index = 0
                for group in groups {
                    var start = 0
                    repeat {
                        let chunk = Array(group.endpoints[start..<min(start + Self.maxEndpointsPerSlice, group.endpoints.count)])
                        var labels = service.meta.labels
                        labels[EndpointSlice.serviceNameLabel] = service.meta.name
                        labels[EndpointSlice.managedByLabel] = "endpointslice-controller.k8s.io"
                        let suffix = KubernetesNameGenerator.stableSuffix(for: "derived/\(namespace)/\(service.meta.name)/\(family.rawValue)/\(index)")
                        index += 1
                        slices.append(
                            EndpointSlice(
                                meta: ObjectMeta(name: "\(service.meta.name)-\(suffix)", namespace: namespace, labels: labels, source: nil),
                                serviceName: service.meta.name, addressType: family, endpoints: chunk, ports: group.ports, origin: .derived))
                        start += Self.maxEndpointsPerSlice
                    } while start < group.endpoints.count
                }
            }
        }
        return (slices, warnings)
    }
}
