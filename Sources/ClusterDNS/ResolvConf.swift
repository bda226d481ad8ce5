import ClusterModel

/// A pod's `/etc/resolv.conf`: nameservers, search list and options, as the kubelet builds it
/// (pkg/kubelet/network/dns/dns.go) and as the container runtime writes it.
public struct ResolvConf: Hashable, Sendable, CustomStringConvertible {
    /// `nameserver` lines, in order.
    public var nameservers: [String]
    /// The `search` list, in order.
    public var searches: [String]
    /// Options in file order, `name` or `name:value` split at the first colon.
    public var options: [Option]

    /// One `options` entry.
    public struct Option: Hashable, Sendable, CustomStringConvertible {
        /// `ndots`, `edns0`, `timeout`…
        public var name: String
        /// The part after the colon, if any.
        public var value: String?
        /// An option with an optional value.
        public init(name: String, value: String? = nil) {
            self.name = name
            self.value = value
        }
        /// `name` or `name:value`.
        public var description: String { value.map { "\(name):\($0)" } ?? name }
    }

    /// A file from its parts.
    public init(nameservers: [String] = [], searches: [String] = [], options: [Option] = []) {
        self.nameservers = nameservers
        self.searches = searches
        self.options = options
    }

    /// `ndots` (glibc and musl default 1, capped at 15).
    public var ndots: Int {
        guard let value = options.last(where: { $0.name == "ndots" })?.value, let n = Int(value), n >= 0 else { return 1 }
        return min(n, 15)
    }

    /// The file as containerd writes it: `search`, `nameserver` lines, `options`.
    public var description: String {
        var lines: [String] = []
        if !searches.isEmpty { lines.append("search " + searches.joined(separator: " ")) }
        for server in nameservers { lines.append("nameserver " + server) }
        if !options.isEmpty { lines.append("options " + options.map(\.description).joined(separator: " ")) }
        return lines.map { $0 + "\n" }.joined()
    }

    /// Parses resolv.conf text as the kubelet does: `#`/`;` comments, every `nameserver`, the last
    /// `search` line (a lone `.` dropped, trailing dots removed), `options` accumulated.
    public init(parsing text: String) {
        self.init()
        for rawLine in text.split(whereSeparator: { $0 == "\n" || $0 == "\r" }) {
            let line = rawLine.trimmingPrefix(while: { $0 == " " || $0 == "\t" })
            if line.hasPrefix("#") || line.hasPrefix(";") { continue }
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard let keyword = fields.first else { continue }
            switch keyword {
            case "nameserver":
                if fields.count >= 2 { nameservers.append(fields[1]) }
            case "search", "domain":
                searches = fields.dropFirst().filter { $0 != "." }.map { $0.hasSuffix(".") ? String($0.dropLast()) : $0 }
            case "options":
                for field in fields.dropFirst() {
                    if let colon = field.firstIndex(of: ":") {
                        options.append(Option(name: String(field[..<colon]), value: String(field[field.index(after: colon)...])))
                    } else {
                        options.append(Option(name: field))
                    }
                }
            default:
                continue
            }
        }
    }
}

/// What the kubelet knows when it writes a pod's resolv.conf.
public struct KubeletDNS: Hashable, Sendable {
    /// `--cluster-dns` (kubeadm: the 10th address of the service CIDR, `10.96.0.10`).
    public var clusterDNS: [String]
    /// `--cluster-domain`.
    public var clusterDomain: String
    /// The node's resolv.conf (`--resolv-conf`); `nil` stands for `--resolv-conf=""`.
    public var nodeResolvConf: ResolvConf?

    /// A kind node by default: `nameserver 172.18.0.1`, `options ndots:0`, no search domains.
    public init(
        clusterDNS: [String] = ["10.96.0.10"], clusterDomain: String = "cluster.local",
        nodeResolvConf: ResolvConf? = ResolvConf(nameservers: ["172.18.0.1"], options: [.init(name: "ndots", value: "0")])
    ) {
        self.clusterDNS = clusterDNS
        self.clusterDomain = clusterDomain
        self.nodeResolvConf = nodeResolvConf
    }

    /// The kubelet for `cluster`: its DNS service IP as `--cluster-dns`.
    public init(cluster: Cluster, clusterDomain: String = "cluster.local") {
        self.init(clusterDNS: [cluster.network.dnsServiceIP.description], clusterDomain: clusterDomain)
    }

    /// `MaxDNSNameservers`.
    public static let maxNameservers = 3
    /// `MaxDNSSearchPaths` (ExpandedDNSConfig).
    public static let maxSearchPaths = 32
    /// `MaxDNSSearchListChars` (ExpandedDNSConfig).
    public static let maxSearchListChars = 2048

    /// The pod's resolv.conf and the warnings the kubelet would record as events.
    ///
    /// ClusterFirst (ClusterFirstWithHostNet on hostNetwork pods; plain ClusterFirst there falls back
    /// to Default): the cluster DNS, `<ns>.svc.<zone> svc.<zone> <zone>` + node searches, `ndots:5`.
    /// Default: the node's file (`nameserver 127.0.0.1`, `search .` without one). None: empty.
    /// Then `dnsConfig` is merged (nameservers and searches appended without duplicates, options
    /// by name with the pod's winning, in first-seen order) and the limits applied.
    public func resolvConf(for pod: Pod) -> (resolvConf: ResolvConf, warnings: [String]) {
        var warnings: [String] = []
        let host = nodeResolvConf ?? ResolvConf(nameservers: ["127.0.0.1"], searches: ["."])
        var conf: ResolvConf
        let policy: DNSPolicy = (pod.dnsPolicy == .clusterFirst && pod.hostNetwork) ? .default : pod.dnsPolicy
        switch policy {
        case .none:
            conf = ResolvConf()
        case .clusterFirst, .clusterFirstWithHostNet:
            if clusterDNS.isEmpty {
                warnings.append(
                    "kubelet does not have ClusterDNS IP configured and cannot create Pod using \"\(policy.rawValue)\" policy. Falling back to \"Default\" policy."
                )
                conf = host
            } else {
                let namespace = pod.meta.namespace
                var searches = host.searches
                if !clusterDomain.isEmpty {
                    searches = KubeletDNS.omitDuplicates(["\(namespace).svc.\(clusterDomain)", "svc.\(clusterDomain)", clusterDomain] + host.searches)
                }
                conf = ResolvConf(nameservers: clusterDNS, searches: searches, options: [.init(name: "ndots", value: "5")])
            }
        case .default:
            conf = host
        }
        if let dnsConfig = pod.dnsConfig {
            conf.nameservers = KubeletDNS.omitDuplicates(conf.nameservers + dnsConfig.nameservers)
            conf.searches = KubeletDNS.omitDuplicates(conf.searches + dnsConfig.searches)
            var merged = conf.options
            for option in dnsConfig.options {
                let value = (option.value?.isEmpty ?? true) ? nil : option.value
                if let i = merged.firstIndex(where: { $0.name == option.name }) {
                    merged[i].value = value
                } else {
                    merged.append(.init(name: option.name, value: value))
                }
            }
            conf.options = merged
        }
        if conf.nameservers.count > KubeletDNS.maxNameservers {
            conf.nameservers = Array(conf.nameservers.prefix(KubeletDNS.maxNameservers))
            warnings.append(
                "Nameserver limits were exceeded, some nameservers have been omitted, the applied nameserver line is: \(conf.nameservers.joined(separator: " "))"
            )
        }
        var exceeded = false
        var searches = conf.searches
        if searches.count > KubeletDNS.maxSearchPaths {
            searches = Array(searches.prefix(KubeletDNS.maxSearchPaths))
            exceeded = true
        }
        let kept = searches.filter { $0.utf8.count <= 253 }
        if kept.count != searches.count { exceeded = true }
        searches = kept
        let lineLength = searches.joined(separator: " ").utf8.count
        if lineLength > KubeletDNS.maxSearchListChars {
            var cutLength = 0
            var cutCount = 0
            for search in searches.reversed() {
                cutLength += search.utf8.count + 1
                cutCount += 1
                if lineLength - cutLength <= KubeletDNS.maxSearchListChars { break }
            }
            searches = Array(searches.dropLast(cutCount))
            exceeded = true
        }
        if exceeded {
            warnings.append(
                "Search Line limits were exceeded, some search paths have been omitted, the applied search line is: \(searches.joined(separator: " "))")
        }
        conf.searches = searches
        return (conf, warnings)
    }

    static func omitDuplicates(_ strings: [String]) -> [String] {
        var seen = Set<String>()
        return strings.filter { seen.insert($0).inserted }
    }
}
