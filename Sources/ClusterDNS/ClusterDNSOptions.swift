import DNSWire

/// How the cluster DNS answers: the `kubernetes` plugin's options plus the parts of the Corefile
/// around it that kubetape models (`loadbalance`, what happens to names outside the zones).
///
/// The defaults are CoreDNS's own defaults (not kubeadm's): zones `cluster.local in-addr.arpa
/// ip6.arpa`, TTL 5, `pods disabled`, answer order shuffled as the `loadbalance` plugin does, and
/// names outside the zones REFUSED (kubetape never forwards).
public struct ClusterDNSOptions: Hashable, Sendable {
    /// The plugin's zones, as configured. The first non-reverse zone is the cluster domain, used in
    /// PTR targets. A query is answered for the longest zone it falls in.
    public var zones: [DNSName]
    /// The `ttl` option (0...3600): TTL of every record, SOA minimum; the SOA's own TTL is min(ttl, 300).
    public var ttl: UInt32
    /// The `pods` option.
    public var pods: PodMode
    /// The `endpoint_pod_names` option: name endpoints without hostname after their target pod.
    public var endpointPodNames: Bool
    /// How A/AAAA records are ordered in each NOERROR reply.
    public var answerOrder: AnswerOrder
    /// Seed of the generator behind `.shuffle`; the same seed gives the same sequence of replies.
    public var seed: UInt64
    /// The SOA serial (CoreDNS: Unix time of the last DNS-relevant change). Fixed for reproducibility.
    public var serial: UInt32
    /// What happens to names outside every zone.
    public var outsideZones: OutsideZones

    /// `pods disabled|insecure|verified`.
    public enum PodMode: String, Hashable, Sendable, CaseIterable {
        /// Every name under `pod.<zone>` below the apex is NXDOMAIN (CoreDNS default).
        case disabled
        /// Any dashed IP in an existing namespace answers (kubeadm default).
        case insecure
        /// Only the primary IP of a pod in that namespace answers.
        case verified
    }

    /// Order of address records in a NOERROR reply.
    public enum AnswerOrder: String, Hashable, Sendable, CaseIterable {
        /// The `loadbalance` plugin: CNAMEs first, then other types, then A/AAAA randomly permuted
        /// (its exact algorithm, with 16-bit draws from the seeded generator), then MX permuted.
        case shuffle
        /// Like `shuffle`, but the address records are rotated by one place per repeated question:
        /// predictable, for lessons. Not what CoreDNS does.
        case rotate
        /// The order the plugin produces (slice order), as without `loadbalance`.
        case none
    }

    /// Names outside the zones.
    public enum OutsideZones: Hashable, Sendable {
        /// REFUSED, question echoed, AA = 0 (as a server that is not authoritative answers).
        case refuse
        /// Answered from these records, as if relayed by `forward` from an upstream recursive server:
        /// AA = 0, RA = 1, NXDOMAIN for names with no record, CNAMEs at the name followed.
        case records([ResourceRecord])
    }

    /// CoreDNS's defaults unless given.
    public init(
        zones: [DNSName] = ["cluster.local.", "in-addr.arpa.", "ip6.arpa."], ttl: UInt32 = 5, pods: PodMode = .disabled, endpointPodNames: Bool = false,
        answerOrder: AnswerOrder = .shuffle, seed: UInt64 = 1, serial: UInt32 = 1_700_000_000, outsideZones: OutsideZones = .refuse
    ) {
        self.zones = zones
        self.ttl = ttl
        self.pods = pods
        self.endpointPodNames = endpointPodNames
        self.answerOrder = answerOrder
        self.seed = seed
        self.serial = serial
        self.outsideZones = outsideZones
    }

    /// kubeadm's Corefile: TTL 30, `pods insecure`, shuffle (the reverse-zone `fallthrough` is not modelled).
    public static var kubeadm: ClusterDNSOptions {
        ClusterDNSOptions(ttl: 30, pods: .insecure)
    }

    /// The cluster domain: the first zone that is not under `in-addr.arpa.` or `ip6.arpa.`
    /// (`cluster.local.` when every zone is a reverse zone).
    public var clusterDomain: DNSName {
        zones.first { !ClusterDNSOptions.isReverse($0) } ?? "cluster.local."
    }

    static func isReverse(_ name: DNSName) -> Bool {
        name.isSubdomain(of: "in-addr.arpa.") || name.isSubdomain(of: "ip6.arpa.")
    }

    /// Parses a zone argument: a domain name, or a CIDR that becomes its reverse zone
    /// (`10.96.0.0/24` → `0.96.10.in-addr.arpa.`; IPv4 prefixes multiple of 8, IPv6 of 4).
    public static func zone(parsing text: String) throws -> DNSName {
        if text.contains("/") {
            let parts = text.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == 2, let length = Int(parts[1]), let address = IPAddress(parts[0]) else {
                throw ClusterDNSError(.badOption, "zone '\(text)' is neither a domain name nor a CIDR")
            }
            switch address {
            case .v4(let v4):
                guard length % 8 == 0, (8...32).contains(length) else {
                    throw ClusterDNSError(.badOption, "zone '\(text)': IPv4 prefix length must be 8, 16, 24 or 32")
                }
                let labels = v4.octets.prefix(length / 8).reversed().map { String($0) }
                return try DNSName(labels.joined(separator: ".") + ".in-addr.arpa.")
            case .v6(let v6):
                guard length % 4 == 0, (4...128).contains(length) else {
                    throw ClusterDNSError(.badOption, "zone '\(text)': IPv6 prefix length must be a multiple of 4")
                }
                var nibbles: [String] = []
                for octet in v6.octets {
                    nibbles.append(String(octet >> 4, radix: 16))
                    nibbles.append(String(octet & 0xf, radix: 16))
                }
                return try DNSName(nibbles.prefix(length / 4).reversed().joined(separator: ".") + ".ip6.arpa.")
            }
        }
        do {
            var name = try DNSName(text)
            if !text.hasSuffix(".") { name = try DNSName(text + ".") }
            return name
        } catch {
            throw ClusterDNSError(.badOption, "zone '\(text)' is not a valid domain name: \(error)")
        }
    }
}
