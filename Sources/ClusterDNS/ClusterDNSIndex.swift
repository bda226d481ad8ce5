import ClusterModel
import DNSWire

/// Everything the responder needs from a `Cluster`, built once and read with dictionary lookups:
/// services by `<svc>.<ns>` wire key, their ready endpoint addresses (from EndpointSlices only,
/// as CoreDNS reads them), namespaces, the reverse map for PTR and the pod IPs for `pods verified`.
///
/// Keys are lowercased wire-format label runs, so a query is looked up by slicing its own
/// lowercased wire form, without building strings.
public final class ClusterDNSIndex: Sendable {
    /// The options the index was built with.
    public let options: ClusterDNSOptions

    /// A class so that a request holds one reference to its zone.
    final class Zone: Sendable {
        /// As configured (case kept), for the PTR targets of the primary zone.
        let name: DNSName
        /// Lowercased wire form including the root octet.
        let lowerWire: [UInt8]
        let labelCount: Int
        let isReverse: Bool
        /// The SOA of negative answers when the query spells the zone as configured.
        let soa: ResourceRecord
        /// `[soa]`, the authority section of those answers, built once.
        let soaAuthority: [ResourceRecord]

        init(name: DNSName, options: ClusterDNSOptions) {
            self.name = name
            lowerWire = name.lowercased().wire
            labelCount = name.labelCount
            isReverse = ClusterDNSOptions.isReverse(name)
            soa = ClusterDNSIndex.soa(zoneSpelling: name.wire, options: options)
            soaAuthority = [soa]
        }
    }

    struct PortEntry: Sendable {
        /// Lowercased port name (empty when unnamed).
        let name: [UInt8]
        /// Lowercased protocol (`tcp`), empty when the slice port had none.
        let proto: [UInt8]
        /// -1 is CoreDNS's sentinel for "no ports".
        let port: Int
    }

    /// A class so that walking a service's endpoints costs one retain per endpoint, not four.
    final class EndpointAddress: Sendable {
        let ip: IPAddress
        /// The endpoint name as CoreDNS computes it (hostname, pod name, or dashed address).
        let host: [UInt8]
        /// Index into the service's `slicePorts`.
        let slice: Int
        /// `<host>.<svc>.<ns>.svc` in wire form, no root.
        let prefix: [UInt8]
        /// The full name in the primary zone as configured.
        let canonical: DNSName?
        /// Hash of `prefix`, to skip name comparisons when de-duplicating.
        let key: Int

        init(ip: IPAddress, host: [UInt8], slice: Int, prefix: [UInt8], canonical: DNSName?) {
            self.ip = ip
            self.host = host
            self.slice = slice
            self.prefix = prefix
            self.canonical = canonical
            key = prefix.hashValue
        }
    }

    enum Kind: Sendable {
        case clusterIP([IPAddress])
        case headless
        /// The CNAME target, `nil` when `externalName` parses as an IP address (no CNAME then).
        case externalName(DNSName?)
    }

    /// A class so that a look-up hands out one reference instead of copying ten fields.
    final class ServiceEntry: Sendable {
        let name: String
        let namespace: String
        let kind: Kind
        let ports: [PortEntry]
        /// Wire labels `<svc>.<ns>.svc` (lowercase, no root): the zone-less part of SRV targets.
        let prefix: [UInt8]
        let endpoints: [EndpointAddress]
        let slicePorts: [[PortEntry]]
        /// Distinct ready addresses per family, in slice order: the bare-name A/AAAA answer of a headless service.
        let v4: [IPAddress]
        let v6: [IPAddress]
        /// `<svc>.<ns>.svc.<primary zone>` as configured.
        let canonical: DNSName?
        /// Hash of `prefix`, to skip name comparisons when de-duplicating.
        let key: Int

        init(
            name: String, namespace: String, kind: Kind, ports: [PortEntry], prefix: [UInt8], endpoints: [EndpointAddress], slicePorts: [[PortEntry]],
            v4: [IPAddress], v6: [IPAddress], canonical: DNSName?
        ) {
            self.name = name
            self.namespace = namespace
            self.kind = kind
            self.ports = ports
            self.prefix = prefix
            self.endpoints = endpoints
            self.slicePorts = slicePorts
            self.v4 = v4
            self.v6 = v6
            self.canonical = canonical
            key = prefix.hashValue
        }
    }

    let zones: [Zone]
    let primaryZone: DNSName
    /// The primary zone's wire form as configured: names built for queries spelling the zone this
    /// way are precomputed.
    let canonicalZone: [UInt8]
    /// Lowercased namespace names (label bytes).
    let namespaces: Set<WireKey>
    /// Key: lowercased wire of the two labels `<svc>.<ns>` (length octets included).
    let services: [WireKey: ServiceEntry]
    /// PTR targets (full names in the primary zone) per address.
    let reverse: [IPAddress: [DNSName]]
    /// Namespaces (lowercase) of the non-terminating pods whose primary IP is the key, for `pods verified`.
    let podIPs: [IPAddress: [String]]
    /// The name servers: zone-less prefix of the NS name (`kube-dns.kube-system.svc` or `ns.dns`) and address.
    let nameServers: [(prefix: [UInt8], ip: IPAddress)]
    /// Whole answers computed at build time by the general path for the names clients ask most,
    /// keyed by their exact wire form (see `ClusterDNSIndex+Precomputed.swift`).
    let precomputed: PrecomputedAnswers

    /// Builds the index. Zones are matched longest first; the first non-reverse zone is the cluster domain.
    ///
    /// The answers to the A, AAAA and SRV questions for every service name (and SRV for its
    /// `_port._proto` names), spelled as configured and in lowercase, are computed once here by the
    /// general path and handed out as they are; any other name or spelling is answered afresh.
    public convenience init(cluster: Cluster, options: ClusterDNSOptions = ClusterDNSOptions()) {
        self.init(cluster: cluster, options: options, precomputing: true)
    }

    /// The index with or without precomputed answers (the tests compare the two).
    convenience init(cluster: Cluster, options: ClusterDNSOptions, precomputing: Bool) {
        let base = ClusterDNSIndex(building: cluster, options: options)
        self.init(base, precomputed: precomputing ? base.precomputeAnswers() : .none)
    }

    /// `base`'s tables with `precomputed` answers.
    private init(_ base: ClusterDNSIndex, precomputed: PrecomputedAnswers) {
        options = base.options
        zones = base.zones
        primaryZone = base.primaryZone
        canonicalZone = base.canonicalZone
        namespaces = base.namespaces
        services = base.services
        reverse = base.reverse
        podIPs = base.podIPs
        nameServers = base.nameServers
        self.precomputed = precomputed
    }

    /// The tables, without precomputed answers.
    private init(building cluster: Cluster, options: ClusterDNSOptions) {
        self.options = options
        zones = options.zones.map { Zone(name: $0, options: options) }.sorted { $0.labelCount > $1.labelCount }
        primaryZone = options.clusterDomain
        canonicalZone = options.clusterDomain.wire
        let canonicalZone = self.canonicalZone

        var namespaces = Set<WireKey>()
        for namespace in cluster.namespaces { namespaces.insert(WireKey(ArraySlice(Array(namespace.lowercased().utf8)))) }
        // an object cannot exist in a namespace that does not: count their namespaces too
        for service in cluster.services { namespaces.insert(WireKey(ArraySlice(Array(service.meta.namespace.lowercased().utf8)))) }
        for pod in cluster.pods { namespaces.insert(WireKey(ArraySlice(Array(pod.meta.namespace.lowercased().utf8)))) }
        self.namespaces = namespaces

        // slices grouped by "<svc>/<ns>", keeping cluster order
        var slicesByService: [String: [EndpointSlice]] = [:]
        for slice in cluster.endpointSlices {
            guard let serviceName = slice.serviceName, !serviceName.isEmpty else { continue }
            slicesByService[serviceName.lowercased() + "/" + slice.meta.namespace.lowercased(), default: []].append(slice)
        }

        let endpointPodNames = options.endpointPodNames
        func endpoints(of slices: [EndpointSlice], servicePrefix: [UInt8]) -> ([EndpointAddress], [[PortEntry]]) {
            var addresses: [EndpointAddress] = []
            var ports: [[PortEntry]] = []
            for slice in slices {
                let index = ports.count
                if slice.ports.isEmpty {
                    ports.append([PortEntry(name: [], proto: [], port: -1)])
                } else {
                    ports.append(
                        slice.ports.map { p in
                            PortEntry(
                                name: Array((p.name ?? "").lowercased().utf8), proto: Array(p.transport.rawValue.lowercased().utf8),
                                port: p.port.map(Int.init) ?? -1)
                        })
                }
                for endpoint in slice.endpoints where endpoint.isReady {
                    for ip in endpoint.addresses {
                        let host = ClusterDNSIndex.endpointHostname(
                            ip: ip, hostname: endpoint.hostname, podName: endpoint.targetPodName, endpointPodNames: endpointPodNames)
                        let hostBytes = Array(host.utf8)
                        let prefix = [UInt8(truncatingIfNeeded: hostBytes.count)] + hostBytes + servicePrefix
                        let canonical = hostBytes.isEmpty || hostBytes.count > 63 ? nil : try? DNSName(wire: prefix + canonicalZone)
                        addresses.append(EndpointAddress(ip: ip, host: hostBytes, slice: index, prefix: prefix, canonical: canonical))
                    }
                }
            }
            return (addresses, ports)
        }

        var services: [WireKey: ServiceEntry] = [:]
        services.reserveCapacity(cluster.services.count)
        var reverse: [IPAddress: [DNSName]] = [:]
        reverse.reserveCapacity(cluster.services.count)
        let zoneSuffix = primaryZone.wire
        for service in cluster.services {
            let name = service.meta.name.lowercased()
            let namespace = service.meta.namespace.lowercased()
            guard let nameLabel = ClusterDNSIndex.label(name), let namespaceLabel = ClusterDNSIndex.label(namespace) else { continue }
            let key = nameLabel + namespaceLabel
            guard services[WireKey(ArraySlice(key))] == nil else { continue }
            let kind: Kind
            if service.type == .externalName {
                let target = service.externalName ?? ""
                if target.isEmpty || IPAddress(target) != nil {
                    kind = .externalName(nil)
                } else {
                    let text = target.hasSuffix(".") ? target : target + "."
                    kind = .externalName(try? DNSName(text))
                }
            } else if service.isHeadless {
                kind = .headless
            } else {
                kind = .clusterIP(service.clusterIPs)
            }
            var ports = service.ports.map { p in
                PortEntry(name: Array((p.name ?? "").lowercased().utf8), proto: Array(p.transport.rawValue.lowercased().utf8), port: Int(p.port))
            }
            if ports.isEmpty { ports = [PortEntry(name: [], proto: [], port: -1)] }
            let prefix = key + ClusterDNSIndex.svcLabel
            let (addresses, slicePorts) = endpoints(of: slicesByService[name + "/" + namespace] ?? [], servicePrefix: prefix)
            var v4: [IPAddress] = []
            var v6: [IPAddress] = []
            var seen = Set<IPAddress>()
            for address in addresses where seen.insert(address.ip).inserted {
                if address.ip.isIPv4 { v4.append(address.ip) } else { v6.append(address.ip) }
            }
            let entry = ServiceEntry(
                name: name, namespace: namespace, kind: kind, ports: ports, prefix: prefix, endpoints: addresses, slicePorts: slicePorts, v4: v4, v6: v6,
                canonical: try? DNSName(wire: prefix + canonicalZone))
            services[WireKey(ArraySlice(key))] = entry
            if case .clusterIP(let ips) = kind {
                for ip in ips where reverse[ip] == nil {
                    // the first Service holding the address wins, exactly one PTR
                    if let target = entry.canonical { reverse[ip] = [target] }
                }
            }
        }
        self.services = services

        // endpoint addresses: one PTR per (slice, address), duplicates removed, cluster IPs take
        // precedence. Services in cluster order reuse their endpoints' names; slices whose Service
        // does not exist still give PTRs, as in CoreDNS (its reverse index is per slice).
        var endpointReverse: [IPAddress: [DNSName]] = [:]
        endpointReverse.reserveCapacity(cluster.endpointSlices.reduce(0) { $0 + $1.endpoints.count })
        func addReverse(_ ip: IPAddress, _ target: DNSName) {
            if reverse[ip] != nil { return }
            if let existing = endpointReverse[ip] {
                if !existing.contains(where: { $0.isIdentical(to: target) }) { endpointReverse[ip]!.append(target) }
            } else {
                endpointReverse[ip] = [target]
            }
        }
        for service in cluster.services {
            guard let s = ClusterDNSIndex.label(service.meta.name.lowercased()), let n = ClusterDNSIndex.label(service.meta.namespace.lowercased()),
                let entry = services[WireKey(ArraySlice(s + n))]
            else { continue }
            for address in entry.endpoints {
                if let target = address.canonical { addReverse(address.ip, target) }
            }
        }
        for slice in cluster.endpointSlices {
            guard let serviceName = slice.serviceName, let s = ClusterDNSIndex.label(serviceName.lowercased()),
                let n = ClusterDNSIndex.label(slice.meta.namespace.lowercased()), services[WireKey(ArraySlice(s + n))] == nil
            else { continue }
            for endpoint in slice.endpoints where endpoint.isReady {
                for ip in endpoint.addresses {
                    let host = ClusterDNSIndex.endpointHostname(
                        ip: ip, hostname: endpoint.hostname, podName: endpoint.targetPodName, endpointPodNames: endpointPodNames)
                    guard let h = ClusterDNSIndex.label(host), let target = try? DNSName(wire: h + s + n + ClusterDNSIndex.svcLabel + zoneSuffix) else {
                        continue
                    }
                    addReverse(ip, target)
                }
            }
        }
        reverse.merge(endpointReverse) { cluster, _ in cluster }
        self.reverse = reverse

        var podIPs: [IPAddress: [String]] = [:]
        podIPs.reserveCapacity(cluster.pods.count)
        for pod in cluster.pods where !pod.terminating {
            if let ip = pod.primaryIP { podIPs[ip, default: []].append(pod.meta.namespace.lowercased()) }
        }
        self.podIPs = podIPs

        var nameServers: [(prefix: [UInt8], ip: IPAddress)] = []
        let dnsIP = cluster.network.dnsServiceIP
        for service in cluster.services where service.type != .externalName && !service.isHeadless && service.clusterIPs.contains(dnsIP) {
            guard let s = ClusterDNSIndex.label(service.meta.name.lowercased()), let n = ClusterDNSIndex.label(service.meta.namespace.lowercased()) else {
                continue
            }
            for ip in service.clusterIPs { nameServers.append((s + n + ClusterDNSIndex.svcLabel, ip)) }
        }
        if nameServers.isEmpty {
            nameServers = [(ClusterDNSIndex.label("ns")! + ClusterDNSIndex.label("dns")!, dnsIP)]
        }
        self.nameServers = nameServers
        precomputed = .none
    }

    /// `<zone>. <min(ttl,300)> IN SOA ns.dns.<zone>. hostmaster.<zone>. <serial> 7200 1800 86400 <ttl>`,
    /// every name spelled as `zoneSpelling` (wire form with root).
    static func soa(zoneSpelling: some Collection<UInt8>, options: ClusterDNSOptions) -> ResourceRecord {
        let zoneSpelling = Array(zoneSpelling)
        let zone = (try? DNSName(wire: zoneSpelling)) ?? .root
        let ns = (try? DNSName(wire: [2] + Array("ns".utf8) + [3] + Array("dns".utf8) + zoneSpelling)) ?? zone
        let mbox = (try? DNSName(wire: [10] + Array("hostmaster".utf8) + zoneSpelling)) ?? zone
        let ttl = options.ttl
        return ResourceRecord(
            name: zone, ttl: min(ttl, 300),
            data: .soa(SOA(mname: ns, rname: mbox, serial: options.serial, refresh: 7200, retry: 1800, expire: 86400, minimum: ttl)))
    }

    static let svcLabel: [UInt8] = [3] + Array("svc".utf8)
    static let podLabel: [UInt8] = [3] + Array("pod".utf8)

    /// One length-prefixed wire label, or `nil` if the text is empty or longer than 63 octets.
    static func label(_ text: String) -> [UInt8]? {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty, bytes.count <= 63 else { return nil }
        return [UInt8(bytes.count)] + bytes
    }

    /// CoreDNS's endpoint name: the slice hostname, else (with `endpoint_pod_names`) the target
    /// pod's name if shorter than 64, else the address with `.`/`:` turned into `-` (IPv6 ending in
    /// `-` gets a `0`).
    public static func endpointHostname(ip: IPAddress, hostname: String?, podName: String?, endpointPodNames: Bool) -> String {
        if let hostname, !hostname.isEmpty { return hostname }
        if endpointPodNames, let podName, !podName.isEmpty, podName.utf8.count < 64 { return podName }
        let text = ip.description
        var bytes = Array(text.utf8)
        if bytes.contains(UInt8(ascii: ".")) {
            for i in bytes.indices where bytes[i] == UInt8(ascii: ".") { bytes[i] = UInt8(ascii: "-") }
            return String(decoding: bytes, as: UTF8.self)
        }
        for i in bytes.indices where bytes[i] == UInt8(ascii: ":") { bytes[i] = UInt8(ascii: "-") }
        if bytes.last == UInt8(ascii: "-") { bytes.append(UInt8(ascii: "0")) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The number of services indexed.
    public var serviceCount: Int { services.count }
}

extension DNSName {
    /// A name from its uncompressed wire form, checked through the label initialiser.
    init(wire bytes: [UInt8]) throws {
        var labels: [ArraySlice<UInt8>] = []
        var i = 0
        while i < bytes.count, bytes[i] != 0 {
            let length = Int(bytes[i])
            guard i + 1 + length <= bytes.count else { throw ClusterDNSError(.badName, "truncated wire name") }
            labels.append(bytes[(i + 1)..<(i + 1 + length)])
            i += length + 1
        }
        try self.init(labels: labels)
    }
}

/// A dictionary key over wire octets: one pass eight octets at a time, fed to the hasher as a
/// single word, instead of one hasher round per octet as `ArraySlice<UInt8>` hashes itself.
struct WireKey: Hashable, Sendable {
    let bytes: ArraySlice<UInt8>
    let fnv: UInt64

    @inline(__always) init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        fnv = bytes.withUnsafeBytes { WireKey.hash($0) }
    }

    /// A 64-bit hash of the octets (word-wise multiply-xorshift).
    @inline(__always) static func hash(_ raw: UnsafeRawBufferPointer) -> UInt64 {
        let n = raw.count
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(n)
        var i = 0
        while i + 8 <= n {
            h = (h ^ raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0xBF58_476D_1CE4_E5B9
            h ^= h >> 29
            i += 8
        }
        var tail: UInt64 = 0
        var shift: UInt64 = 0
        while i < n {
            tail |= UInt64(raw[i]) << shift
            shift += 8
            i += 1
        }
        h = (h ^ tail) &* 0x94D0_49BB_1331_11EB
        return h ^ (h >> 31)
    }

    static func == (a: WireKey, b: WireKey) -> Bool {
        a.fnv == b.fnv && Octets.equal(a.bytes, b.bytes)
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(fnv)
    }
}
