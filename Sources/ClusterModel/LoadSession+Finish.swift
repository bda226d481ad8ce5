import DNSWire

/// What the cluster's controllers do once every object is read: pods from workloads, namespaces,
/// addresses, mirrored and derived EndpointSlices.
extension LoadSession {
    mutating func finish() -> Cluster {
        let expanded = expandWorkloads()
        var pods = expanded.pods
        var cluster = Cluster(network: options.network)
        cluster.workloads = expanded.workloads
        cluster.namespaces = Set(["default", "kube-system"] + declaredNamespaces)
        checkNamespaces(pods: pods, cluster: &cluster)
        assignPodAddresses(&pods)
        cluster.pods = pods.map(\.pod)
        cluster.services = assignServiceAddresses()

        cluster.endpointSlices = slices
        for slice in slices {
            guard let serviceName = slice.serviceName else {
                log.warning(
                    slice.meta.source,
                    "EndpointSlice \"\(slice.meta.name)\" has no \(EndpointSlice.serviceNameLabel) label: CoreDNS ties it to no Service (its addresses still count for PTR)"
                )
                continue
            }
            if !cluster.services.contains(where: { $0.meta.namespace == slice.meta.namespace && $0.meta.name == serviceName }) {
                log.warning(
                    slice.meta.source,
                    "EndpointSlice \"\(slice.meta.name)\" names Service \"\(serviceName)\", which does not exist in namespace \(slice.meta.namespace) (its addresses still count for PTR)"
                )
            }
        }
        cluster.endpointSlices.append(contentsOf: mirroredSlices(services: cluster.services))
        let derived = cluster.controllerSlices()
        for diagnostic in derived.warnings { log.warning(diagnostic.location, diagnostic.message) }
        cluster.endpointSlices.append(contentsOf: derived.slices)
        cluster.warnings = log.warnings
        return cluster
    }

    private func checkNamespaces(pods: [PendingPod], cluster: inout Cluster) {
        var objects: [ObjectMeta] = pods.map(\.pod.meta)
        objects += services.map(\.service.meta)
        objects += endpoints.map(\.meta)
        objects += slices.map(\.meta)
        var reported: Set<String> = []
        for meta in objects where !cluster.namespaces.contains(meta.namespace) && !reported.contains(meta.namespace) {
            reported.insert(meta.namespace)
            log.warning(meta.source, "namespace \"\(meta.namespace)\" has no Namespace object; assuming it exists (a real cluster would refuse the object)")
        }
        cluster.namespaces.formUnion(reported)
    }

    private func assignPodAddresses(_ pods: inout [PendingPod]) {
        var allocator = AddressAllocator()
        var owner: [IPAddress: String] = [:]
        let podCIDRs = options.network.podCIDRs
        for pending in pods {
            let pod = pending.pod
            for ip in pod.ips {
                guard !pod.hostNetwork else { continue }
                allocator.taken.insert(ip)
                if !podCIDRs.contains(where: { $0.contains(ip) }) {
                    log.warning(
                        pod.meta.source,
                        "pod \"\(pod.meta.name)\" has address \(ip), outside the pod CIDRs \(podCIDRs.map(\.description).joined(separator: ", "))")
                }
                if let other = owner[ip], pod.phase != .succeeded, pod.phase != .failed {
                    log.warning(pod.meta.source, "pod \"\(pod.meta.name)\" has address \(ip), which pod \(other) has too")
                } else {
                    owner[ip] = "\(pod.meta.namespace)/\(pod.meta.name)"
                }
            }
        }
        var exhausted: Set<CIDR> = []
        for index in pods.indices where pods[index].pod.ips.isEmpty {
            for cidr in podCIDRs {
                if let ip = allocator.allocate(from: cidr) {
                    pods[index].pod.ips.append(ip)
                } else if !exhausted.contains(cidr) {
                    exhausted.insert(cidr)
                    log.error(pods[index].pod.meta.source, "the pod CIDR \(cidr) has no free address left for pod \"\(pods[index].pod.meta.name)\"")
                }
            }
        }
    }

    private func assignServiceAddresses() -> [Service] {
        let network = options.network
        var clusterFamilies: [IPFamily] = []
        for cidr in network.serviceCIDRs where !clusterFamilies.contains(cidr.family) {
            clusterFamilies.append(cidr.family)
        }
        var allocator = AddressAllocator()
        var owner: [IPAddress: String] = [:]
        for pending in services {
            let service = pending.service
            for ip in service.clusterIPs {
                allocator.taken.insert(ip)
                if !network.serviceCIDRs.contains(where: { $0.contains(ip) }) {
                    log.warning(
                        service.meta.source,
                        "Service \"\(service.meta.name)\" has cluster IP \(ip), outside the service CIDRs \(network.serviceCIDRs.map(\.description).joined(separator: ", "))"
                    )
                }
                if let other = owner[ip] {
                    log.warning(service.meta.source, "Service \"\(service.meta.name)\" has cluster IP \(ip), which Service \(other) has too")
                } else {
                    owner[ip] = "\(service.meta.namespace)/\(service.meta.name)"
                }
            }
        }

        var result: [Service] = []
        for pending in services {
            var service = pending.service
            let location = service.meta.source
            defer { result.append(service) }
            if service.type == .externalName { continue }

            // The families the API server would settle on.
            var families: [IPFamily]
            if !service.clusterIPs.isEmpty {
                families = service.clusterIPs.map(\.family)
                if (pending.familyPolicy == .preferDualStack || pending.familyPolicy == .requireDualStack) && families.count == 1,
                    let other = clusterFamilies.first(where: { $0 != families[0] })
                {
                    families.append(other)
                }
            } else if pending.explicitFamilies {
                families = service.ipFamilies
                if pending.familyPolicy == .singleStack { families = Array(families.prefix(1)) }
            } else {
                let policy = pending.familyPolicy ?? (service.isHeadless && service.selector == nil ? .requireDualStack : .singleStack)
                families = policy == .singleStack ? Array(clusterFamilies.prefix(1)) : clusterFamilies
                if pending.familyPolicy == .requireDualStack, clusterFamilies.count < 2 {
                    log.error(
                        location,
                        "Service \"\(service.meta.name)\" requires dual-stack, but only \(clusterFamilies.map(\.rawValue).joined(separator: ", ")) service CIDRs are configured"
                    )
                }
            }
            let missing = families.filter { !clusterFamilies.contains($0) }
            if !missing.isEmpty, service.clusterIPs.isEmpty {
                if pending.familyPolicy == .preferDualStack {
                    families.removeAll { missing.contains($0) }
                } else {
                    log.error(
                        location,
                        "Service \"\(service.meta.name)\" asks for \(missing.map(\.rawValue).joined(separator: ", ")), but no such service CIDR is configured")
                }
            }
            service.ipFamilies = families
            if service.isHeadless { continue }

            for family in families where !service.clusterIPs.contains(where: { $0.family == family }) {
                guard let cidr = network.serviceCIDRs.first(where: { $0.family == family }) else { continue }
                var reserved: Set<IPAddress> = []
                if !(service.meta.namespace == "default" && service.meta.name == "kubernetes"), let first = AddressAllocator.firstHost(of: cidr) {
                    reserved.insert(first)
                }
                if !(service.meta.namespace == "kube-system" && service.meta.name == "kube-dns") {
                    reserved.insert(network.dnsServiceIP)
                }
                // The well-known addresses go to their Service when it has none.
                var wellKnown: IPAddress?
                if service.meta.namespace == "kube-system", service.meta.name == "kube-dns", network.dnsServiceIP.family == family {
                    wellKnown = network.dnsServiceIP
                } else if service.meta.namespace == "default", service.meta.name == "kubernetes" {
                    wellKnown = AddressAllocator.firstHost(of: cidr)
                }
                if let wellKnown, !allocator.taken.contains(wellKnown) {
                    allocator.taken.insert(wellKnown)
                    service.clusterIPs.append(wellKnown)
                } else if let ip = allocator.allocate(from: cidr, reserved: reserved) {
                    service.clusterIPs.append(ip)
                } else {
                    log.error(location, "the service CIDR \(cidr) has no free address left for Service \"\(service.meta.name)\"")
                }
            }
        }
        return result
    }

    /// The EndpointSlice mirroring controller: selector-less Services' Endpoints become slices.
    private func mirroredSlices(services: [Service]) -> [EndpointSlice] {
        var result: [EndpointSlice] = []
        for object in endpoints {
            let meta = object.meta
            if meta.labels["endpointslice.kubernetes.io/skip-mirror"] == "true" { continue }
            guard let service = services.first(where: { $0.meta.namespace == meta.namespace && $0.meta.name == meta.name }) else {
                log.warning(
                    meta.source,
                    "Endpoints \"\(meta.name)\" has no Service of that name in namespace \(meta.namespace): it is not mirrored into an EndpointSlice, so DNS never sees it"
                )
                continue
            }
            guard service.selector == nil else {
                log.warning(
                    meta.source,
                    "Endpoints \"\(meta.name)\" is ignored: Service \"\(service.meta.name)\" has a selector, so its endpoints come from the matching pods")
                continue
            }
            var index = 0
            for subset in object.subsets {
                let all = subset.ready.map { ($0, true) } + subset.notReady.map { ($0, false) }
                for family in IPFamily.allCases {
                    let endpoints = all.filter { $0.0.ip.family == family }.map { address, ready in
                        Endpoint(
                            addresses: [address.ip], ready: ready, hostname: address.hostname, targetPodName: address.targetPodName, nodeName: address.nodeName)
                    }
                    guard !endpoints.isEmpty else { continue }
                    var labels = meta.labels
                    labels[EndpointSlice.serviceNameLabel] = service.meta.name
                    labels[EndpointSlice.managedByLabel] = "endpointslicemirroring-controller.k8s.io"
                    let suffix = KubernetesNameGenerator.stableSuffix(for: "mirror/\(meta.namespace)/\(meta.name)/\(index)")
                    index += 1
                    result.append(
                        EndpointSlice(
                            meta: ObjectMeta(name: "\(meta.name)-\(suffix)", namespace: meta.namespace, labels: labels, source: meta.source),
                            serviceName: service.meta.name, addressType: family, endpoints: endpoints, ports: subset.ports, origin: .mirroredEndpoints))
                }
            }
        }
        return result
    }
}
