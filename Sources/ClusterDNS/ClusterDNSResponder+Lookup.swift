import DNSWire

/// One backend answer, CoreDNS's `msg.Service`: an address, a CNAME target or the schema TXT,
/// with a port and the zone-less wire labels of its own name (SRV target, NS name).
struct Hit {
    enum Host {
        case ip(IPAddress)
        case cname(DNSName)
        case text
    }

    var host: Host
    var port: Int
    /// The zone-less name in wire form (`<host>.<svc>.<ns>.svc`), no root octet.
    var prefix: [UInt8]
    /// The full name in the primary zone as configured, when precomputed.
    var canonical: DNSName? = nil
    /// A precomputed hash of `prefix` (0 when unknown): equal names have equal keys, so
    /// de-duplication compares names only when keys match.
    var key: Int = 0

    /// The name under `zoneSpelling` (wire, with root): the precomputed one when the query spelled
    /// the zone as configured, else built.
    func name(in zoneSpelling: ArraySlice<UInt8>, canonicalZone: [UInt8]) -> DNSName? {
        if let canonical, Octets.equal(zoneSpelling, canonicalZone) { return canonical }
        return try? DNSName(wire: prefix + zoneSpelling)
    }
}

/// CoreDNS's name errors (errNoItems, errInvalidRequest, errNsNotExposed): NXDOMAIN.
struct NameError: Error {}

extension ClusterDNSIndex {
    func namespaceExposed(_ request: ClusterDNSRequest, _ k: Int?) -> Bool {
        guard let k else { return false }
        return namespaces.contains(WireKey(request.label(k)))
    }

    static func matchPort(_ rPort: ArraySlice<UInt8>?, _ pName: [UInt8], _ rProto: ArraySlice<UInt8>?, _ pProto: [UInt8]) -> Bool {
        guard let rPort, !rPort.isEmpty, let rProto, !rProto.isEmpty else { return true }
        return Octets.equal(rPort, pName) && Octets.equal(rProto, pProto)
    }

    /// The A or AAAA answer for `<svc>.<ns>.svc.<zone>` of a ClusterIP or headless service, taken
    /// from precomputed lists; `nil` when the name is anything else (the general path decides).
    /// Same result as `services` + `plugin.A`: ClusterIPs of the family (sentinel port included),
    /// or the distinct ready addresses; NXDOMAIN for a headless service without any.
    func bareServiceAddresses(_ request: ClusterDNSRequest, v4: Bool) -> Result<[IPAddress], NameError>? {
        let m = request.labelCount
        guard m == 3, Octets.equal(request.label(2), ClusterDNSRequest.svc), !request.isReverseName else { return nil }
        guard namespaces.contains(WireKey(request.label(1))) else { return .failure(NameError()) }
        guard let service = services[WireKey(request.run(0, 2))] else { return .failure(NameError()) }
        switch service.kind {
        case .externalName:
            return nil
        case .clusterIP(let ips):
            return .success(ips.filter { $0.isIPv4 == v4 })
        case .headless:
            if service.endpoints.isEmpty { return .failure(NameError()) }
            return .success(v4 ? service.v4 : service.v6)
        }
    }

    /// `Kubernetes.Records`.
    func records(_ request: ClusterDNSRequest) -> Result<[Hit], NameError> {
        guard let r = request.parse() else { return .failure(NameError()) }
        if r.kind == .none { return .success([]) }
        if request.isReverseName { return .failure(NameError()) }
        guard namespaceExposed(request, r.namespace) else { return .failure(NameError()) }
        return r.kind == .pod ? findPods(request, r) : findServices(request, r)
    }

    func findServices(_ request: ClusterDNSRequest, _ r: ParsedRequest) -> Result<[Hit], NameError> {
        guard let s = r.service, let n = r.namespace else { return .success([]) }
        guard let service = services[WireKey(request.run(s, n + 1))] else { return .failure(NameError()) }
        var hits: [Hit] = []
        var found = false
        hits.reserveCapacity(max(service.endpoints.count, service.ports.count))
        switch service.kind {
        case .externalName(let target):
            guard r.endpoint == nil, let target else { return .failure(NameError()) }
            return .success([Hit(host: .cname(target), port: -1, prefix: service.prefix, canonical: service.canonical, key: service.key)])
        case .headless:
            break
        case .clusterIP(let ips):
            if r.endpoint == nil {
                for p in service.ports where ClusterDNSIndex.matchPort(r.port, p.name, r.proto, p.proto) {
                    found = true
                    for ip in ips { hits.append(Hit(host: .ip(ip), port: p.port, prefix: service.prefix, canonical: service.canonical, key: service.key)) }
                }
                return found ? .success(hits) : .failure(NameError())
            }
        }
        // headless service, or an endpoint name under any service
        let wanted = r.endpoint.map { request.label($0) }
        for address in service.endpoints {
            if let wanted, !ClusterDNSIndex.equalFolded(wanted, address.host) { continue }
            for p in service.slicePorts[address.slice] where ClusterDNSIndex.matchPort(r.port, p.name, r.proto, p.proto) {
                hits.append(Hit(host: .ip(address.ip), port: p.port, prefix: address.prefix, canonical: address.canonical, key: address.key))
                found = true
            }
        }
        return found ? .success(hits) : .failure(NameError())
    }

    static func equalFolded(_ lowered: ArraySlice<UInt8>, _ b: [UInt8]) -> Bool {
        guard lowered.count == b.count else { return false }
        var i = lowered.startIndex
        for c in b {
            let f = (c >= 65 && c <= 90) ? c | 0x20 : c
            if lowered[i] != f { return false }
            i += 1
        }
        return true
    }

    func findPods(_ request: ClusterDNSRequest, _ r: ParsedRequest) -> Result<[Hit], NameError> {
        if options.pods == .disabled { return .failure(NameError()) }
        guard let n = r.namespace else { return .failure(NameError()) }
        guard let s = r.service else { return .success([]) }
        let podName = request.label(s)
        var dashes = 0
        var doubleDash = false
        var previous: UInt8 = 0
        for c in podName {
            if c == UInt8(ascii: "-") {
                dashes += 1
                if previous == c { doubleDash = true }
            }
            previous = c
        }
        let separator: UInt8 = (dashes == 3 && !doubleDash) ? UInt8(ascii: ".") : UInt8(ascii: ":")
        let text = String(decoding: podName.map { $0 == UInt8(ascii: "-") ? separator : $0 }, as: UTF8.self)
        guard let ip = IPAddress(text) else { return .failure(NameError()) }
        let base = [UInt8(podName.count)] + podName + request.run(n, n + 1) + ClusterDNSIndex.podLabel
        if options.pods == .insecure {
            return .success([Hit(host: .ip(ip), port: 0, prefix: base)])
        }
        // verified: the textual form must be the pod's primary IP, in that namespace
        guard text == ip.description, let namespaces = podIPs[ip] else { return .failure(NameError()) }
        let namespace = String(decoding: request.label(n), as: UTF8.self)
        let hits = namespaces.filter { $0 == namespace }.map { _ in Hit(host: .ip(ip), port: 0, prefix: base) }
        return hits.isEmpty ? .failure(NameError()) : .success(hits)
    }

    static let nsBytes: [UInt8] = Array("ns".utf8)
    static let dnsBytes: [UInt8] = Array("dns".utf8)
    static let dnsVersionBytes: [UInt8] = Array("dns-version".utf8)

    /// True for `ns.dns.<zone>`.
    func isDefaultNS(_ request: ClusterDNSRequest) -> Bool {
        request.labelCount == 2 && Octets.equal(request.label(0), ClusterDNSIndex.nsBytes)
            && Octets.equal(request.label(1), ClusterDNSIndex.dnsBytes)
    }

    /// `Kubernetes.Services` for a query type.
    func services(_ request: ClusterDNSRequest, _ qtype: DNSType) -> Result<[Hit], NameError> {
        switch qtype {
        case .txt:
            if request.labelCount == 1 && Octets.equal(request.label(0), ClusterDNSIndex.dnsVersionBytes) {
                return .success([Hit(host: .text, port: -1, prefix: [])])
            }
            if case .success(let hits) = records(request), !hits.isEmpty { return .success([]) }
            return .failure(NameError())
        case .ns:
            return .success(nameServers.map { Hit(host: .ip($0.ip), port: -1, prefix: $0.prefix) })
        default:
            break
        }
        if isDefaultNS(request) {
            return .success(
                nameServers.compactMap { ns in
                    switch (ns.ip, qtype) {
                    case (.v4, .a), (.v6, .aaaa): return Hit(host: .ip(ns.ip), port: -1, prefix: ns.prefix)
                    default: return nil
                    }
                })
        }
        let result = records(request)
        guard qtype == .srv, case .success(let hits) = result else { return result }
        func isCNAME(_ hit: Hit) -> Bool { if case .cname = hit.host { return true } else { return false } }
        guard hits.contains(where: isCNAME) else { return result }
        return .success(hits.filter { !isCNAME($0) })
    }

    /// The address in a reverse name (`4.3.2.1.in-addr.arpa.`, 32 nibbles under `ip6.arpa.`), if complete.
    static func addressFromReverse(_ lower: [UInt8]) -> IPAddress? {
        let v4 = lower.ends(with: ClusterDNSRequest.inAddrArpa)
        guard v4 || lower.ends(with: ClusterDNSRequest.ip6Arpa) else { return nil }
        return lower.withUnsafeBufferPointer { w -> IPAddress? in
            var count = 0
            var i = 0
            while i < w.count, w[i] != 0 {
                let length = Int(w[i])
                guard i + 1 + length <= w.count else { return nil }
                count += 1
                i += length + 1
            }
            if v4 {
                // the labels in front of the last two, least significant octet first
                guard count - 2 == 4 else { return nil }
                var value: UInt32 = 0
                i = 0
                for k in 0..<4 {
                    let length = Int(w[i])
                    // strict decimal octets, as Go's net.ParseIP reads them (no leading zeros)
                    guard length >= 1, length <= 3, !(length > 1 && w[i + 1] == UInt8(ascii: "0")) else { return nil }
                    var octet: UInt32 = 0
                    for j in (i + 1)..<(i + 1 + length) {
                        let c = w[j]
                        guard c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") else { return nil }
                        octet = octet * 10 + UInt32(c - UInt8(ascii: "0"))
                    }
                    guard octet <= 255 else { return nil }
                    value |= octet << (8 * UInt32(k))
                    i += length + 1
                }
                return .v4(IPv4Address(value))
            }
            // 32 one-nibble labels, least significant first
            guard count - 2 == 32 else { return nil }
            var high: UInt64 = 0
            var low: UInt64 = 0
            i = 0
            for k in 0..<32 {
                guard w[i] == 1, let v = hexValue(w[i + 1]) else { return nil }
                if k < 16 {
                    low |= UInt64(v) << (4 * UInt64(k))
                } else {
                    high |= UInt64(v) << (4 * UInt64(k - 16))
                }
                i += 2
            }
            // Go prints an IPv4-mapped address as dotted quad, so it is looked up as IPv4
            if high == 0 && low >> 32 == 0xffff { return .v4(IPv4Address(UInt32(truncatingIfNeeded: low))) }
            return .v6(IPv6Address(high: high, low: low))
        }
    }

    static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case 48...57: return c - 48
        case 97...102: return c - 87
        default: return nil
        }
    }
}
