import DNSWire

/// A question name split against the zone it fell in: the query's own spelling, its lowercased
/// wire form and the number of labels in front of the zone.
struct ClusterDNSRequest {
    /// The name as asked (case kept): the owner of every answer record.
    let name: DNSName
    /// Lowercased wire form.
    let lower: [UInt8]
    let zone: ClusterDNSIndex.Zone
    /// The zone as spelled in the original query, wire form with root: suffix of SRV/NS targets and the SOA owner.
    let zoneSpelling: ArraySlice<UInt8>
    /// The number of labels in front of the zone.
    let labelCount: Int

    init(name: DNSName, zone: ClusterDNSIndex.Zone, zoneSpelling: ArraySlice<UInt8>) {
        self.name = name
        self.zone = zone
        self.zoneSpelling = zoneSpelling
        let wire = name.wire
        let (upper, total) = wire.withUnsafeBufferPointer { w -> (Bool, Int) in
            var upper = false
            for b in w where b >= 65 && b <= 90 {
                upper = true
                break
            }
            var total = 0
            var i = 0
            while i < w.count, w[i] != 0 {
                total += 1
                i += Int(w[i]) + 1
            }
            return (upper, total)
        }
        if upper {
            var lower = wire
            for i in lower.indices where lower[i] >= 65 && lower[i] <= 90 { lower[i] |= 0x20 }
            self.lower = lower
        } else {
            // already lowercase: share the storage
            self.lower = wire
        }
        labelCount = max(total - zone.labelCount, 0)
    }

    /// Offset in `lower` of the length octet of relative label `k` (labels are few: walked, not stored).
    @inline(__always) func offset(_ k: Int) -> Int {
        var i = 0
        var j = 0
        while j < k {
            i += Int(lower[i]) + 1
            j += 1
        }
        return i
    }

    /// The content of relative label `k` (without the length octet), lowercased.
    @inline(__always) func label(_ k: Int) -> ArraySlice<UInt8> {
        let start = offset(k)
        return lower[(start + 1)..<(start + 1 + Int(lower[start]))]
    }

    /// The wire run of relative labels `from..<to` (length octets included), lowercased.
    @inline(__always) func run(_ from: Int, _ to: Int) -> ArraySlice<UInt8> {
        let start = offset(from)
        var end = start
        for _ in from..<to { end += Int(lower[end]) + 1 }
        return lower[start..<end]
    }

    /// True if the name lies under `in-addr.arpa.` or `ip6.arpa.` (CoreDNS `dnsutil.IsReverse`).
    var isReverseName: Bool {
        lower.ends(with: ClusterDNSRequest.inAddrArpa) || lower.ends(with: ClusterDNSRequest.ip6Arpa)
    }

    static let inAddrArpa: [UInt8] = [7] + Array("in-addr".utf8) + [4] + Array("arpa".utf8) + [0]
    static let ip6Arpa: [UInt8] = [3] + Array("ip6".utf8) + [4] + Array("arpa".utf8) + [0]
}

extension Array where Element == UInt8 {
    func ends(with suffix: [UInt8]) -> Bool {
        count >= suffix.count && Octets.equal(self[(count - suffix.count)...], suffix)
    }
}

/// What CoreDNS's `parseRequest` makes of the labels in front of the zone.
struct ParsedRequest {
    enum Kind { case none, svc, pod }
    var kind: Kind = .none
    /// Relative label indices.
    var namespace: Int?
    var service: Int?
    var endpoint: Int?
    var port: ArraySlice<UInt8>?
    var proto: ArraySlice<UInt8>?
}

extension ClusterDNSRequest {
    static let svc: [UInt8] = Array("svc".utf8)
    static let pod: [UInt8] = Array("pod".utf8)

    /// `nil` for an invalid request (errInvalidRequest: NXDOMAIN).
    func parse() -> ParsedRequest? {
        var r = ParsedRequest()
        let m = labelCount
        if m == 0 { return r }
        let last = label(m - 1)
        let isSvc = Octets.equal(last, ClusterDNSRequest.svc)
        let isPod = Octets.equal(last, ClusterDNSRequest.pod)
        if m == 1 && (isSvc || isPod) { return r }
        guard isSvc || isPod else { return nil }
        r.kind = isSvc ? .svc : .pod
        r.namespace = m - 2
        if m >= 3 { r.service = m - 3 }
        switch m {
        case 2, 3: break
        case 4: r.endpoint = 0
        case 5:
            r.port = ClusterDNSRequest.stripUnderscore(label(0))
            r.proto = ClusterDNSRequest.stripUnderscore(label(1))
        default: return nil
        }
        return r
    }

    static func stripUnderscore(_ s: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        s.first == UInt8(ascii: "_") ? s.dropFirst() : s
    }
}
