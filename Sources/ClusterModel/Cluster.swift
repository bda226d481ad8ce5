import DNSWire

/// Where an object came from: the manifest file and the 1-based line of its document or field.
public struct SourceLocation: Hashable, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int = 1) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String { "\(file):\(line):\(column)" }
}

/// Identity and metadata shared by every object kubetape reads from manifests.
public struct ObjectMeta: Hashable, Sendable {
    public var name: String
    public var namespace: String
    public var labels: [String: String]
    public var annotations: [String: String]
    /// Where the object was declared; `nil` for objects kubetape derived itself.
    public var source: SourceLocation?

    public init(name: String, namespace: String = "default", labels: [String: String] = [:], annotations: [String: String] = [:], source: SourceLocation? = nil)
    {
        self.name = name
        self.namespace = namespace
        self.labels = labels
        self.annotations = annotations
        self.source = source
    }
}

/// A container port of a pod (`spec.containers[].ports[]`).
public struct ContainerPort: Hashable, Sendable {
    public var name: String?
    public var containerPort: UInt16
    public var transport: TransportProtocol

    public init(name: String? = nil, containerPort: UInt16, transport: TransportProtocol = .tcp) {
        self.name = name
        self.containerPort = containerPort
        self.transport = transport
    }
}

/// TCP, UDP or SCTP, as Kubernetes spells `protocol`.
public enum TransportProtocol: String, Hashable, Sendable, CaseIterable {
    case tcp = "TCP"
    case udp = "UDP"
    case sctp = "SCTP"
}

/// `pod.status.phase`.
public enum PodPhase: String, Hashable, Sendable, CaseIterable {
    case pending = "Pending"
    case running = "Running"
    case succeeded = "Succeeded"
    case failed = "Failed"
    case unknown = "Unknown"
}

/// `pod.spec.dnsPolicy`.
public enum DNSPolicy: String, Hashable, Sendable, CaseIterable {
    case clusterFirst = "ClusterFirst"
    case clusterFirstWithHostNet = "ClusterFirstWithHostNet"
    case `default` = "Default"
    case none = "None"
}

/// `pod.spec.dnsConfig`: nameservers, searches and options merged into the policy's resolv.conf.
public struct PodDNSConfig: Hashable, Sendable {
    public var nameservers: [String]
    public var searches: [String]
    /// Options as name and optional value (`ndots` / `"2"`), in the manifest's order.
    public var options: [(name: String, value: String?)]

    public init(nameservers: [String] = [], searches: [String] = [], options: [(name: String, value: String?)] = []) {
        self.nameservers = nameservers
        self.searches = searches
        self.options = options
    }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.nameservers == rhs.nameservers && lhs.searches == rhs.searches
            && lhs.options.map { "\($0.name)=\($0.value ?? "")" } == rhs.options.map { "\($0.name)=\($0.value ?? "")" }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(nameservers)
        hasher.combine(searches)
        for option in options {
            hasher.combine(option.name)
            hasher.combine(option.value)
        }
    }
}

/// A pod as kubetape needs it: addresses, readiness, ports, hostname and DNS settings.
public struct Pod: Hashable, Sendable {
    public var meta: ObjectMeta
    /// `status.podIPs` (primary first); assigned from the pod CIDR when the manifest has none.
    public var ips: [IPAddress]
    public var phase: PodPhase
    /// The Ready condition: true unless a condition says otherwise.
    public var ready: Bool
    /// `metadata.deletionTimestamp` is set.
    public var terminating: Bool
    public var hostname: String?
    public var subdomain: String?
    public var hostNetwork: Bool
    public var setHostnameAsFQDN: Bool
    public var dnsPolicy: DNSPolicy
    public var dnsConfig: PodDNSConfig?
    public var containerPorts: [ContainerPort]
    public var nodeName: String?

    public init(
        meta: ObjectMeta, ips: [IPAddress] = [], phase: PodPhase = .running, ready: Bool = true, terminating: Bool = false, hostname: String? = nil,
        subdomain: String? = nil, hostNetwork: Bool = false, setHostnameAsFQDN: Bool = false, dnsPolicy: DNSPolicy = .clusterFirst,
        dnsConfig: PodDNSConfig? = nil, containerPorts: [ContainerPort] = [], nodeName: String? = nil
    ) {
        self.meta = meta
        self.ips = ips
        self.phase = phase
        self.ready = ready
        self.terminating = terminating
        self.hostname = hostname
        self.subdomain = subdomain
        self.hostNetwork = hostNetwork
        self.setHostnameAsFQDN = setHostnameAsFQDN
        self.dnsPolicy = dnsPolicy
        self.dnsConfig = dnsConfig
        self.containerPorts = containerPorts
        self.nodeName = nodeName
    }

    /// The primary pod IP.
    public var primaryIP: IPAddress? { ips.first }
}

/// A Service's `targetPort`: a number or a container port name.
public enum TargetPort: Hashable, Sendable {
    case number(UInt16)
    case name(String)
}

/// One entry of `spec.ports`.
public struct ServicePort: Hashable, Sendable {
    public var name: String?
    public var port: UInt16
    public var targetPort: TargetPort
    public var transport: TransportProtocol

    public init(name: String? = nil, port: UInt16, targetPort: TargetPort? = nil, transport: TransportProtocol = .tcp) {
        self.name = name
        self.port = port
        self.targetPort = targetPort ?? .number(port)
        self.transport = transport
    }
}

/// `spec.type`.
public enum ServiceType: String, Hashable, Sendable, CaseIterable {
    case clusterIP = "ClusterIP"
    case nodePort = "NodePort"
    case loadBalancer = "LoadBalancer"
    case externalName = "ExternalName"
}

/// A Service: its kind of DNS presence and the data behind it.
public struct Service: Hashable, Sendable {
    public var meta: ObjectMeta
    public var type: ServiceType
    /// `spec.clusterIPs` (assigned from the service CIDR when absent); empty for headless and ExternalName.
    public var clusterIPs: [IPAddress]
    /// `spec.clusterIP: None`.
    public var isHeadless: Bool
    public var externalName: String?
    /// `nil` when the Service has no selector (endpoints come from the user's objects).
    public var selector: [String: String]?
    public var ports: [ServicePort]
    public var publishNotReadyAddresses: Bool
    /// `spec.sessionAffinity: ClientIP`.
    public var sessionAffinityClientIP: Bool
    /// `spec.ipFamilies`; empty means "as the addresses say".
    public var ipFamilies: [IPFamily]

    public init(
        meta: ObjectMeta, type: ServiceType = .clusterIP, clusterIPs: [IPAddress] = [], isHeadless: Bool = false, externalName: String? = nil,
        selector: [String: String]? = nil, ports: [ServicePort] = [], publishNotReadyAddresses: Bool = false, sessionAffinityClientIP: Bool = false,
        ipFamilies: [IPFamily] = []
    ) {
        self.meta = meta
        self.type = type
        self.clusterIPs = clusterIPs
        self.isHeadless = isHeadless
        self.externalName = externalName
        self.selector = selector
        self.ports = ports
        self.publishNotReadyAddresses = publishNotReadyAddresses
        self.sessionAffinityClientIP = sessionAffinityClientIP
        self.ipFamilies = ipFamilies
    }
}

/// IPv4 or IPv6, as `ipFamilies` and EndpointSlice `addressType` say.
public enum IPFamily: String, Hashable, Sendable, CaseIterable {
    case ipv4 = "IPv4"
    case ipv6 = "IPv6"
}

/// One endpoint of an EndpointSlice.
public struct Endpoint: Hashable, Sendable {
    public var addresses: [IPAddress]
    /// `conditions.ready`; `nil` counts as ready.
    public var ready: Bool?
    public var hostname: String?
    /// `targetRef` when it names a Pod: the pod's name.
    public var targetPodName: String?
    public var nodeName: String?

    public init(addresses: [IPAddress], ready: Bool? = nil, hostname: String? = nil, targetPodName: String? = nil, nodeName: String? = nil) {
        self.addresses = addresses
        self.ready = ready
        self.hostname = hostname
        self.targetPodName = targetPodName
        self.nodeName = nodeName
    }

    /// Ready as CoreDNS reads it: unset is ready.
    public var isReady: Bool { ready ?? true }
}

/// One port of an EndpointSlice (the resolved target port).
public struct EndpointPort: Hashable, Sendable {
    public var name: String?
    public var port: UInt16?
    public var transport: TransportProtocol

    public init(name: String? = nil, port: UInt16?, transport: TransportProtocol = .tcp) {
        self.name = name
        self.port = port
        self.transport = transport
    }
}

/// An EndpointSlice: given by the user, mirrored from an Endpoints object, or derived by
/// kubetape as the EndpointSlice controller would from a Service selector.
public struct EndpointSlice: Hashable, Sendable {
    public var meta: ObjectMeta
    /// The `kubernetes.io/service-name` label.
    public var serviceName: String?
    public var addressType: IPFamily
    public var endpoints: [Endpoint]
    public var ports: [EndpointPort]
    /// How the slice came to be.
    public var origin: Origin

    public enum Origin: String, Hashable, Sendable {
        /// Written by the user as an EndpointSlice.
        case manifest
        /// Mirrored from a user's Endpoints object.
        case mirroredEndpoints
        /// Derived from a Service selector and the pods.
        case derived
    }

    public init(meta: ObjectMeta, serviceName: String?, addressType: IPFamily, endpoints: [Endpoint], ports: [EndpointPort], origin: Origin) {
        self.meta = meta
        self.serviceName = serviceName
        self.addressType = addressType
        self.endpoints = endpoints
        self.ports = ports
        self.origin = origin
    }
}

/// A warning or error about the manifests, with the place it concerns.
public struct ManifestDiagnostic: Hashable, Sendable, CustomStringConvertible {
    public enum Severity: String, Hashable, Sendable {
        case warning
        case error
    }

    public var severity: Severity
    public var location: SourceLocation?
    public var message: String

    public init(_ severity: Severity, at location: SourceLocation?, _ message: String) {
        self.severity = severity
        self.location = location
        self.message = message
    }

    public var description: String {
        if let location { return "\(location): \(severity): \(message)" }
        return "\(severity): \(message)"
    }
}

/// The whole fake cluster's state: namespaces, pods, services and their EndpointSlices.
///
/// Build it with `ManifestLoader`; `endpointSlices` holds user, mirrored and derived slices alike,
/// so consumers (ClusterDNS, the forwarder) read one source as CoreDNS does.
public struct Cluster: Hashable, Sendable {
    public var namespaces: Set<String>
    public var pods: [Pod]
    public var services: [Service]
    public var endpointSlices: [EndpointSlice]
    public var network: NetworkPlan
    /// Deployments, ReplicaSets and StatefulSets, with the pods they own, so they can be scaled.
    public var workloads: [Workload] = []
    /// Warnings collected while loading (errors are thrown instead).
    public var warnings: [ManifestDiagnostic]

    public init(
        namespaces: Set<String> = [], pods: [Pod] = [], services: [Service] = [], endpointSlices: [EndpointSlice] = [], network: NetworkPlan = NetworkPlan(),
        warnings: [ManifestDiagnostic] = []
    ) {
        self.namespaces = namespaces
        self.pods = pods
        self.services = services
        self.endpointSlices = endpointSlices
        self.network = network
        self.warnings = warnings
    }
}

/// The cluster's address plan: pod and service CIDRs (one per family) and the DNS service IP.
public struct NetworkPlan: Hashable, Sendable {
    public var podCIDRs: [CIDR]
    public var serviceCIDRs: [CIDR]
    public var dnsServiceIP: IPAddress

    public init(podCIDRs: [CIDR] = [CIDR("10.244.0.0/16")!], serviceCIDRs: [CIDR] = [CIDR("10.96.0.0/12")!], dnsServiceIP: IPAddress = IPAddress("10.96.0.10")!)
    {
        self.podCIDRs = podCIDRs
        self.serviceCIDRs = serviceCIDRs
        self.dnsServiceIP = dnsServiceIP
    }
}

/// An address prefix such as `10.244.0.0/16` or `fd00:10:244::/56`.
public struct CIDR: Hashable, Sendable, CustomStringConvertible {
    public var address: IPAddress
    public var prefixLength: Int

    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let address = IPAddress(parts[0]), let length = Int(parts[1]) else { return nil }
        let maximum = address.isIPv4 ? 32 : 128
        guard (0...maximum).contains(length) else { return nil }
        self.address = address
        self.prefixLength = length
    }

    public var family: IPFamily { address.isIPv4 ? .ipv4 : .ipv6 }

    /// True if `ip` lies inside this prefix.
    public func contains(_ ip: IPAddress) -> Bool {
        switch (address, ip) {
        case (.v4(let net), .v4(let a)):
            guard prefixLength > 0 else { return true }
            let mask: UInt32 = prefixLength == 32 ? .max : ~(UInt32.max >> UInt32(prefixLength))
            return net.value & mask == a.value & mask
        case (.v6(let net), .v6(let a)):
            func masked(_ x: IPv6Address) -> (UInt64, UInt64) {
                let hp = min(prefixLength, 64)
                let lp = max(prefixLength - 64, 0)
                let hm: UInt64 = hp == 0 ? 0 : (hp == 64 ? .max : ~(UInt64.max >> UInt64(hp)))
                let lm: UInt64 = lp == 0 ? 0 : (lp == 64 ? .max : ~(UInt64.max >> UInt64(lp)))
                return (x.high & hm, x.low & lm)
            }
            return masked(net) == masked(a)
        default:
            return false
        }
    }

    public var description: String { "\(address)/\(prefixLength)" }
}
