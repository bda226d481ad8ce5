import DNSWire
import Yams

/// Decoding of the individual kinds.
extension LoadSession {
    /// Reads `spec` of a Pod or of a pod template into `pod`.
    func readPodSpec(_ spec: Node.Mapping?, path: String, into pod: inout Pod, reader: ManifestReader) {
        var ports: [ContainerPort] = []
        var containers = reader.mappings(spec, "containers", path: "\(path).containers")
        // Restartable init containers (sidecars) expose ports as regular containers do.
        for initContainer in reader.mappings(spec, "initContainers", path: "\(path).initContainers")
        where reader.string(initContainer, "restartPolicy", path: "\(path).initContainers[].restartPolicy") == "Always" {
            containers.append(initContainer)
        }
        for container in containers {
            for entry in reader.mappings(container, "ports", path: "\(path).containers[].ports") {
                let name = reader.string(entry, "name", path: "\(path).containers[].ports[].name")
                let transport = reader.enumeration(entry, "protocol", path: "\(path).containers[].ports[].protocol", as: TransportProtocol.self) ?? .tcp
                guard reader.value(entry, "containerPort") != nil else {
                    reader.error(.mapping(entry), "a container port needs containerPort")
                    continue
                }
                guard let number = reader.port(entry, "containerPort", path: "\(path).containers[].ports[].containerPort") else { continue }
                ports.append(ContainerPort(name: name, containerPort: number, transport: transport))
            }
        }
        pod.containerPorts = ports
        pod.hostname = reader.string(spec, "hostname", path: "\(path).hostname").flatMap { $0.isEmpty ? nil : $0 }
        pod.subdomain = reader.string(spec, "subdomain", path: "\(path).subdomain").flatMap { $0.isEmpty ? nil : $0 }
        if let hostname = pod.hostname, let problem = Names.dnsLabelProblem(hostname) {
            reader.error(reader.value(spec, "hostname"), "\(path).hostname \"\(hostname)\" is invalid: \(problem)")
        }
        if let subdomain = pod.subdomain, let problem = Names.dnsLabelProblem(subdomain) {
            reader.error(reader.value(spec, "subdomain"), "\(path).subdomain \"\(subdomain)\" is invalid: \(problem)")
        }
        pod.hostNetwork = reader.bool(spec, "hostNetwork", path: "\(path).hostNetwork") ?? false
        pod.setHostnameAsFQDN = reader.bool(spec, "setHostnameAsFQDN", path: "\(path).setHostnameAsFQDN") ?? false
        pod.dnsPolicy = reader.enumeration(spec, "dnsPolicy", path: "\(path).dnsPolicy", as: DNSPolicy.self) ?? .clusterFirst
        pod.nodeName = reader.string(spec, "nodeName", path: "\(path).nodeName").flatMap { $0.isEmpty ? nil : $0 }
        if let dnsConfig = reader.mapping(spec, "dnsConfig", path: "\(path).dnsConfig") {
            var config = PodDNSConfig()
            config.nameservers = reader.strings(dnsConfig, "nameservers", path: "\(path).dnsConfig.nameservers")
            config.searches = reader.strings(dnsConfig, "searches", path: "\(path).dnsConfig.searches")
            for option in reader.mappings(dnsConfig, "options", path: "\(path).dnsConfig.options") {
                guard let name = reader.string(option, "name", path: "\(path).dnsConfig.options[].name") else {
                    if reader.value(option, "name") == nil { reader.error(.mapping(option), "a dnsConfig option needs a name") }
                    continue
                }
                config.options.append((name, reader.string(option, "value", path: "\(path).dnsConfig.options[].value")))
            }
            pod.dnsConfig = config
        }
        if pod.dnsPolicy == .none, pod.dnsConfig?.nameservers.isEmpty ?? true {
            reader.error(reader.value(spec, "dnsPolicy"), "\(path).dnsPolicy None needs dnsConfig.nameservers (the kubelet rejects the pod)")
        }
    }

    func readPod(_ object: Node.Mapping, meta: ObjectMeta, reader: ManifestReader) -> PendingPod? {
        var pod = Pod(meta: meta)
        let metadata = reader.value(object, "metadata")?.mapping
        pod.terminating = reader.value(metadata, "deletionTimestamp") != nil
        readPodSpec(reader.mapping(object, "spec", path: "spec"), path: "spec", into: &pod, reader: reader)

        let status = reader.mapping(object, "status", path: "status")
        pod.phase = reader.enumeration(status, "phase", path: "status.phase", as: PodPhase.self) ?? .running
        let podIP = reader.ip(status, "podIP", path: "status.podIP")
        let podIPs = reader.mappings(status, "podIPs", path: "status.podIPs").compactMap { entry -> IPAddress? in
            guard reader.value(entry, "ip") != nil else {
                reader.error(.mapping(entry), "each status.podIPs entry needs ip")
                return nil
            }
            return reader.ip(entry, "ip", path: "status.podIPs[].ip")
        }
        if !podIPs.isEmpty {
            if let podIP, podIP != podIPs[0] {
                reader.error(reader.value(status, "podIP"), "status.podIP \(podIP) must equal the first entry of status.podIPs (\(podIPs[0]))")
            }
            if podIPs.count > 2 || (podIPs.count == 2 && podIPs[0].family == podIPs[1].family) {
                reader.error(reader.value(status, "podIPs"), "status.podIPs holds at most one IPv4 and one IPv6 address")
            }
            pod.ips = podIPs
        } else if let podIP {
            pod.ips = [podIP]
        }
        for condition in reader.mappings(status, "conditions", path: "status.conditions")
        where reader.string(condition, "type", path: "status.conditions[].type") == "Ready" {
            guard let node = reader.value(condition, "status") else { continue }
            // Written by hand as an unquoted YAML boolean, accept it too.
            if node.tagName == .bool, let value = node.bool {
                pod.ready = value
            } else if let text = reader.string(node, path: "status.conditions[].status") {
                switch text {
                case "True": pod.ready = true
                case "False", "Unknown": pod.ready = false
                default: reader.error(node, "a condition status must be \"True\", \"False\" or \"Unknown\", found \"\(text)\"")
                }
            }
        }
        return PendingPod(pod: pod, owners: readOwners(object, reader: reader))
    }

    func readService(_ object: Node.Mapping, meta: ObjectMeta, reader: ManifestReader) -> PendingService? {
        let spec = reader.mapping(object, "spec", path: "spec")
        var service = Service(meta: meta)
        service.type = reader.enumeration(spec, "type", path: "spec.type", as: ServiceType.self) ?? .clusterIP

        var headless = false
        var clusterIP: IPAddress?
        if let node = reader.value(spec, "clusterIP"), let text = reader.string(node, path: "spec.clusterIP") {
            if text == "None" {
                headless = true
            } else if !text.isEmpty {
                clusterIP = reader.ip(node, path: "spec.clusterIP")
            }
        }
        var clusterIPs: [IPAddress] = []
        var clusterIPsSayNone = false
        for node in reader.sequence(spec, "clusterIPs", path: "spec.clusterIPs") {
            guard let text = reader.string(node, path: "spec.clusterIPs[]") else { continue }
            if text == "None" {
                clusterIPsSayNone = true
                continue
            }
            if let ip = reader.ip(node, path: "spec.clusterIPs[]") { clusterIPs.append(ip) }
        }
        if clusterIPsSayNone { headless = true }
        if let clusterIP {
            if clusterIPs.isEmpty {
                clusterIPs = [clusterIP]
            } else if clusterIPs[0] != clusterIP {
                reader.error(reader.value(spec, "clusterIPs"), "spec.clusterIPs[0] (\(clusterIPs[0])) must equal spec.clusterIP (\(clusterIP))")
            }
        }
        if headless, !clusterIPs.isEmpty {
            reader.error(reader.value(spec, "clusterIP"), "a headless Service (clusterIP: None) cannot also have cluster IPs")
            clusterIPs = []
        }
        if clusterIPs.count > 2 || (clusterIPs.count == 2 && clusterIPs[0].family == clusterIPs[1].family) {
            reader.error(reader.value(spec, "clusterIPs"), "spec.clusterIPs holds at most one IPv4 and one IPv6 address")
        }

        let families = reader.sequence(spec, "ipFamilies", path: "spec.ipFamilies").compactMap { node -> IPFamily? in
            guard let text = reader.string(node, path: "spec.ipFamilies[]") else { return nil }
            guard let family = IPFamily(rawValue: text) else {
                reader.error(node, "spec.ipFamilies entry \"\(text)\" must be \"IPv4\" or \"IPv6\"")
                return nil
            }
            return family
        }
        if families.count > 2 || (families.count == 2 && families[0] == families[1]) {
            reader.error(reader.value(spec, "ipFamilies"), "spec.ipFamilies lists at most IPv4 and IPv6, each once")
        }
        if !clusterIPs.isEmpty, !families.isEmpty, families.count < clusterIPs.count || zip(families, clusterIPs).contains(where: { $0 != $1.family }) {
            reader.error(
                reader.value(spec, "ipFamilies"),
                "spec.ipFamilies \(families.map(\.rawValue)) does not match the families of spec.clusterIPs \(clusterIPs.map(\.description))")
        }
        let policy = reader.enumeration(spec, "ipFamilyPolicy", path: "spec.ipFamilyPolicy", as: FamilyPolicy.self)
        if policy == .singleStack, families.count > 1 || clusterIPs.count > 1 {
            reader.error(reader.value(spec, "ipFamilyPolicy"), "ipFamilyPolicy SingleStack allows one IP family only")
        }

        service.isHeadless = headless && service.type != .externalName
        service.clusterIPs = clusterIPs
        service.ipFamilies = families
        if service.type == .externalName {
            service.externalName = reader.string(spec, "externalName", path: "spec.externalName")
            if service.externalName?.isEmpty ?? true {
                log.error(reader.location(spec.map { .mapping($0) }) ?? meta.source, "an ExternalName Service needs spec.externalName")
            }
            if headless || !clusterIPs.isEmpty {
                reader.error(
                    reader.value(spec, "clusterIP") ?? reader.value(spec, "clusterIPs"), "an ExternalName Service has no cluster IP: remove spec.clusterIP")
            }
            service.clusterIPs = []
            service.isHeadless = false
        } else if headless, service.type != .clusterIP {
            reader.error(reader.value(spec, "type"), "a headless Service (clusterIP: None) must have type ClusterIP, not \(service.type.rawValue)")
        }

        if let node = reader.value(spec, "selector") {
            if let selector = reader.stringMap(spec, "selector", path: "spec.selector") {
                service.selector = selector.isEmpty ? nil : selector
            } else if node.mapping != nil {
                service.selector = nil
            }
        }

        var portNames: [String: Node] = [:]
        let portEntries = reader.mappings(spec, "ports", path: "spec.ports")
        for entry in portEntries {
            let nameNode = reader.value(entry, "name")
            let name = reader.string(entry, "name", path: "spec.ports[].name").flatMap { $0.isEmpty ? nil : $0 }
            if let name {
                if portNames[name] != nil {
                    reader.error(nameNode, "duplicate port name \"\(name)\" in spec.ports")
                }
                portNames[name] = nameNode
                if let problem = Names.dnsLabelProblem(name) {
                    reader.error(nameNode, "port name \"\(name)\" is invalid: \(problem)")
                }
            } else if portEntries.count > 1 {
                reader.error(.mapping(entry), "every port of a Service with several ports needs a name")
            }
            let transport = reader.enumeration(entry, "protocol", path: "spec.ports[].protocol", as: TransportProtocol.self) ?? .tcp
            guard reader.value(entry, "port") != nil else {
                reader.error(.mapping(entry), "a Service port needs port")
                continue
            }
            guard let port = reader.port(entry, "port", path: "spec.ports[].port") else { continue }
            var target: TargetPort?
            if let node = reader.value(entry, "targetPort") {
                if node.tagName == .int {
                    if let number = reader.port(entry, "targetPort", path: "spec.ports[].targetPort") { target = .number(number) }
                } else if let text = reader.string(node, path: "spec.ports[].targetPort") {
                    if text.allSatisfy(\.isNumber) {
                        reader.error(node, "targetPort \"\(text)\" is a quoted number: write the port number unquoted, or name a container port")
                    } else if !text.isEmpty {
                        target = .name(text)
                    }
                }
            }
            service.ports.append(ServicePort(name: name, port: port, targetPort: target, transport: transport))
        }
        if service.ports.isEmpty, portEntries.isEmpty, !service.isHeadless, service.type != .externalName {
            log.error(meta.source, "Service \"\(meta.name)\" needs at least one entry in spec.ports (only headless Services may have none)")
        }

        service.publishNotReadyAddresses = reader.bool(spec, "publishNotReadyAddresses", path: "spec.publishNotReadyAddresses") ?? false
        if let affinity = reader.string(spec, "sessionAffinity", path: "spec.sessionAffinity") {
            switch affinity {
            case "ClientIP": service.sessionAffinityClientIP = true
            case "None", "": break
            default: reader.error(reader.value(spec, "sessionAffinity"), "spec.sessionAffinity must be \"ClientIP\" or \"None\", found \"\(affinity)\"")
            }
        }
        return PendingService(service: service, familyPolicy: policy, explicitFamilies: !families.isEmpty)
    }

    func readEndpoints(_ object: Node.Mapping, meta: ObjectMeta, reader: ManifestReader) -> EndpointsObject {
        var result = EndpointsObject(meta: meta, subsets: [])
        for subset in reader.mappings(object, "subsets", path: "subsets") {
            func addresses(_ key: String) -> [EndpointsObject.Address] {
                reader.mappings(subset, key, path: "subsets[].\(key)").compactMap { entry in
                    guard reader.value(entry, "ip") != nil else {
                        reader.error(.mapping(entry), "each subsets[].\(key) entry needs ip")
                        return nil
                    }
                    guard let ip = reader.ip(entry, "ip", path: "subsets[].\(key)[].ip") else { return nil }
                    let hostname = reader.string(entry, "hostname", path: "subsets[].\(key)[].hostname").flatMap { $0.isEmpty ? nil : $0 }
                    if let hostname, let problem = Names.dnsLabelProblem(hostname) {
                        reader.error(reader.value(entry, "hostname"), "hostname \"\(hostname)\" is invalid: \(problem)")
                    }
                    let targetRef = reader.mapping(entry, "targetRef", path: "subsets[].\(key)[].targetRef")
                    let targetPod =
                        reader.string(targetRef, "kind", path: "targetRef.kind") == "Pod" ? reader.string(targetRef, "name", path: "targetRef.name") : nil
                    return EndpointsObject.Address(
                        ip: ip, hostname: hostname, nodeName: reader.string(entry, "nodeName", path: "subsets[].\(key)[].nodeName"), targetPodName: targetPod)
                }
            }
            let ready = addresses("addresses")
            let notReady = addresses("notReadyAddresses")
            let ports = reader.mappings(subset, "ports", path: "subsets[].ports").compactMap { entry -> EndpointPort? in
                guard reader.value(entry, "port") != nil else {
                    reader.error(.mapping(entry), "each subsets[].ports entry needs port")
                    return nil
                }
                guard let port = reader.port(entry, "port", path: "subsets[].ports[].port") else { return nil }
                let name = reader.string(entry, "name", path: "subsets[].ports[].name").flatMap { $0.isEmpty ? nil : $0 }
                let transport = reader.enumeration(entry, "protocol", path: "subsets[].ports[].protocol", as: TransportProtocol.self) ?? .tcp
                return EndpointPort(name: name, port: port, transport: transport)
            }
            result.subsets.append(.init(ready: ready, notReady: notReady, ports: ports))
        }
        return result
    }

    func readEndpointSlice(_ object: Node.Mapping, meta: ObjectMeta, reader: ManifestReader) -> EndpointSlice? {
        let typeNode = reader.value(object, "addressType")
        guard let typeNode, let typeText = reader.string(typeNode, path: "addressType") else {
            if typeNode == nil { log.error(meta.source, "EndpointSlice \"\(meta.name)\" needs addressType (IPv4, IPv6 or FQDN)") }
            return nil
        }
        if typeText == "FQDN" {
            reader.warning(typeNode, "skipped EndpointSlice \"\(meta.name)\": addressType FQDN is deprecated and CoreDNS ignores such slices")
            return nil
        }
        guard let family = IPFamily(rawValue: typeText) else {
            reader.error(typeNode, "addressType must be \"IPv4\", \"IPv6\" or \"FQDN\", found \"\(typeText)\"")
            return nil
        }
        var endpoints: [Endpoint] = []
        for entry in reader.mappings(object, "endpoints", path: "endpoints") {
            let addressNodes = reader.sequence(entry, "addresses", path: "endpoints[].addresses")
            if addressNodes.isEmpty {
                reader.error(.mapping(entry), "an endpoint needs at least one address")
                continue
            }
            var addresses: [IPAddress] = []
            for node in addressNodes {
                guard let ip = reader.ip(node, path: "endpoints[].addresses[]") else { continue }
                guard ip.family == family else {
                    reader.error(node, "address \(ip) is not \(family.rawValue), the slice's addressType")
                    continue
                }
                addresses.append(ip)
            }
            guard !addresses.isEmpty else { continue }
            let conditions = reader.mapping(entry, "conditions", path: "endpoints[].conditions")
            let hostname = reader.string(entry, "hostname", path: "endpoints[].hostname").flatMap { $0.isEmpty ? nil : $0 }
            if let hostname, let problem = Names.dnsLabelProblem(hostname) {
                reader.error(reader.value(entry, "hostname"), "hostname \"\(hostname)\" is invalid: \(problem)")
            }
            let targetRef = reader.mapping(entry, "targetRef", path: "endpoints[].targetRef")
            let targetPod = reader.string(targetRef, "kind", path: "targetRef.kind") == "Pod" ? reader.string(targetRef, "name", path: "targetRef.name") : nil
            endpoints.append(
                Endpoint(
                    addresses: addresses,
                    ready: reader.bool(conditions, "ready", path: "endpoints[].conditions.ready"),
                    hostname: hostname,
                    targetPodName: targetPod,
                    nodeName: reader.string(entry, "nodeName", path: "endpoints[].nodeName")
                ))
        }
        let ports = reader.mappings(object, "ports", path: "ports").map { entry in
            EndpointPort(
                name: reader.string(entry, "name", path: "ports[].name").flatMap { $0.isEmpty ? nil : $0 },
                port: reader.port(entry, "port", path: "ports[].port"),
                transport: reader.enumeration(entry, "protocol", path: "ports[].protocol", as: TransportProtocol.self) ?? .tcp
            )
        }
        let serviceName = meta.labels[EndpointSlice.serviceNameLabel].flatMap { $0.isEmpty ? nil : $0 }
        return EndpointSlice(meta: meta, serviceName: serviceName, addressType: family, endpoints: endpoints, ports: ports, origin: .manifest)
    }

    func readWorkload(_ object: Node.Mapping, kind: WorkloadObject.Kind, meta: ObjectMeta, reader: ManifestReader) -> WorkloadObject? {
        let spec = reader.mapping(object, "spec", path: "spec")
        var replicas = 1
        if let node = reader.value(spec, "replicas"), let number = reader.int(node, path: "spec.replicas") {
            if number < 0 {
                reader.error(node, "spec.replicas must not be negative, found \(number)")
            } else if number > ManifestLoader.maximumReplicas {
                reader.error(node, "spec.replicas \(number) is more than kubetape expands (\(ManifestLoader.maximumReplicas))")
            } else {
                replicas = number
            }
        }
        let template = reader.mapping(spec, "template", path: "spec.template")
        guard let template else {
            log.error(meta.source, "\(kind.rawValue) \"\(meta.name)\" needs spec.template")
            return nil
        }
        let templateMeta = reader.mapping(template, "metadata", path: "spec.template.metadata")
        let labels = reader.stringMap(templateMeta, "labels", path: "spec.template.metadata.labels") ?? [:]
        let annotations = reader.stringMap(templateMeta, "annotations", path: "spec.template.metadata.annotations") ?? [:]
        var pod = Pod(meta: ObjectMeta(name: "", namespace: meta.namespace, labels: labels, annotations: annotations, source: meta.source))
        readPodSpec(reader.mapping(template, "spec", path: "spec.template.spec"), path: "spec.template.spec", into: &pod, reader: reader)
        if let selector = reader.mapping(spec, "selector", path: "spec.selector"),
            let matchLabels = reader.stringMap(selector, "matchLabels", path: "spec.selector.matchLabels"),
            !matchLabels.allSatisfy({ labels[$0.key] == $0.value })
        {
            reader.error(reader.value(spec, "selector"), "spec.selector.matchLabels must match the labels of spec.template.metadata.labels")
        }
        var serviceName: String?
        if kind == .statefulSet {
            serviceName = reader.string(spec, "serviceName", path: "spec.serviceName").flatMap { $0.isEmpty ? nil : $0 }
        }
        return WorkloadObject(kind: kind, meta: meta, owners: readOwners(object, reader: reader), replicas: replicas, serviceName: serviceName, template: pod)
    }
}

extension EndpointSlice {
    /// The label that ties a slice to its Service (`kubernetes.io/service-name`).
    public static let serviceNameLabel = "kubernetes.io/service-name"
    /// The label naming the controller that manages a slice.
    public static let managedByLabel = "endpointslice.kubernetes.io/managed-by"
}
