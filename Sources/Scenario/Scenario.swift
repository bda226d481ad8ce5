import ClusterModel
import DNSWire

/// One scenario file: a cluster, the pod the steps run from, and the steps with their expectations.
public struct Scenario: Hashable, Sendable {
    /// The path the file was read from.
    public var file: String
    /// How reports name the file (the path as given, relative when it was given relative).
    public var displayPath: String
    /// `name:`, or the file name without `.yaml`.
    public var name: String
    public var description: String?
    public var cluster: ClusterSpec
    public var client: ClientSpec
    public var steps: [Step]

    public init(file: String, displayPath: String, name: String, description: String?, cluster: ClusterSpec, client: ClientSpec, steps: [Step]) {
        self.file = file
        self.displayPath = displayPath
        self.name = name
        self.description = description
        self.cluster = cluster
        self.client = client
        self.steps = steps
    }
}

/// `cluster:`: manifests (paths resolved against the scenario's directory, or inline YAML) and the
/// cluster DNS options.
public struct ClusterSpec: Hashable, Sendable {
    /// Manifest files or directories, already resolved against the scenario file's directory.
    public var manifests: [String] = []
    /// Inline manifests (a YAML string), with the line of the scenario file it starts on.
    public var inline: InlineManifests?
    /// `ttl:` (0...3600); `nil` keeps CoreDNS's default.
    public var ttl: UInt32?
    /// `zones:`; empty keeps the default zones.
    public var zones: [String] = []
    /// `pods: disabled|insecure|verified`.
    public var pods: String?
    /// `answerOrder: shuffle|rotate|none`.
    public var answerOrder: String?
    /// `seed:`; `nil` is the fixed default (1). `kubetape run --seed` overrides it.
    public var seed: UInt64?
    /// `podCIDR:` (one per family); empty keeps 10.244.0.0/16.
    public var podCIDRs: [String] = []
    /// `serviceCIDR:` (one per family); empty keeps 10.96.0.0/12.
    public var serviceCIDRs: [String] = []
    /// `dnsServiceIP:`; `nil` keeps 10.96.0.10.
    public var dnsServiceIP: String?
    /// `plan: loopback|netns`; `nil` chooses netns only when a step is `exec:`.
    public var plan: String?
    /// `upstream:` zone-file records answered for names outside the cluster zones, as an upstream
    /// server would through CoreDNS's `forward` (never forwarded for real); empty: REFUSED.
    public var upstream: [ResourceRecord] = []

    public init() {}

    /// Manifests written inside the scenario.
    public struct InlineManifests: Hashable, Sendable {
        public var yaml: String
        /// Where the `inline:` value starts (its `|` for a block scalar).
        public var location: SourceLocation
        /// Columns the block scalar's lines are indented by in the scenario file.
        public var indentation: Int
    }
}

/// `client:`: the pod the steps run from.
public struct ClientSpec: Hashable, Sendable {
    /// `nil`: the namespace of the first pod in the manifests.
    public var namespace: String?
    /// `dns-test` by default.
    public var name: String = "dns-test"
    /// The stub resolver that walks the search list: glibc (default), musl or bind (nslookup).
    public var resolver: String = "glibc"
    /// `dnsPolicy:` replacing the pod's (ClusterFirst, ClusterFirstWithHostNet, Default, None).
    public var dnsPolicy: String?
    /// `dnsConfig:` replacing the pod's.
    public var dnsConfig: PodDNSConfig?
    /// `cache: true`: the client caches answers for their TTL on the fake clock (as nscd, a JVM or
    /// a node-local cache in front of the pod would), so `wait:` decides when they expire.
    public var cache = false

    public init() {}
}

/// A pod named in a step: `name` (client's namespace) or `namespace/name`.
public struct PodReference: Hashable, Sendable, CustomStringConvertible {
    public var namespace: String?
    public var name: String
    public var location: SourceLocation

    public init(parsing text: String, at location: SourceLocation) {
        if let slash = text.firstIndex(of: "/") {
            namespace = String(text[..<slash])
            name = String(text[text.index(after: slash)...])
        } else {
            name = text
        }
        self.location = location
    }

    public var description: String { namespace.map { "\($0)/\(name)" } ?? name }
}

/// One step.
public struct Step: Hashable, Sendable {
    /// `name:`, or a summary of the action.
    public var name: String
    public var location: SourceLocation
    public var action: Action
    public var expect: Expectations
    /// `capture: NAME`: a value of the first repeat becomes `${NAME}` in later steps: a lookup's
    /// first answer, the pod that served an http step, the first line of an exec step's output.
    public var capture: String?

    public init(name: String, location: SourceLocation, action: Action, expect: Expectations, capture: String? = nil) {
        self.name = name
        self.location = location
        self.action = action
        self.expect = expect
        self.capture = capture
    }

    /// The names of the `${NAME}` references in `text`, in order.
    public static func references(in text: String) -> [String] {
        var names: [String] = []
        var rest = Substring(text)
        while let start = rest.range(of: "${") {
            guard let end = rest[start.upperBound...].firstIndex(of: "}") else { break }
            names.append(String(rest[start.upperBound..<end]))
            rest = rest[rest.index(after: end)...]
        }
        return names
    }

    /// `text` with every `${NAME}` found in `variables` replaced by its value.
    public static func expand(_ text: String, _ variables: [String: String]) -> String {
        guard text.contains("${") else { return text }
        var out = text
        for (name, value) in variables { out = out.replacing("${\(name)}", with: value) }
        return out
    }

    /// A regular expression with every `${NAME}` replaced by its value matched literally (the
    /// value's metacharacters escaped: a captured `10.244.2.9` matches only itself).
    public static func expandRegex(_ pattern: String, _ variables: [String: String]) -> String {
        guard pattern.contains("${") else { return pattern }
        var out = pattern
        for (name, value) in variables {
            let literal = value.map { character in "\\^$.|?*+()[]{}/".contains(character) ? "\\\(character)" : String(character) }.joined()
            out = out.replacing("${\(name)}", with: literal)
        }
        return out
    }

    /// What the step does.
    public enum Action: Hashable, Sendable {
        case lookup(Lookup)
        case http(HTTPFetch)
        case setReady(pod: PodReference, ready: Bool)
        case deletePod(PodReference)
        /// `deleteService:` NAME or NAMESPACE/NAME (the reference's type is shared with pods).
        case deleteService(PodReference)
        /// `apply:` more manifests (new objects), paths resolved against the scenario's directory.
        case apply(ApplyManifests)
        /// `scale:` a Deployment, ReplicaSet or StatefulSet to a number of replicas.
        case scale(Scale)
        /// `wait:` advances the fake clock (and sleeps for real in the netns plan, where
        /// unmodified programs keep their own time).
        case wait(milliseconds: Int)
        /// `exec:` an unmodified command run in the client pod's network namespace.
        case exec(Command)
    }

    /// The target of a `scale:` step.
    public struct Scale: Hashable, Sendable {
        /// NAME (client's namespace) or NAMESPACE/NAME.
        public var workload: PodReference
        /// `kind:` when a name is both a Deployment and a StatefulSet.
        public var kind: Workload.Kind?
        public var replicas: Int
        public init(workload: PodReference, kind: Workload.Kind?, replicas: Int) {
            self.workload = workload
            self.kind = kind
            self.replicas = replicas
        }
    }

    /// The command of an `exec:` step.
    public struct Command: Hashable, Sendable {
        /// The program and its arguments (`["/bin/sh", "-c", TEXT]` for a string).
        public var arguments: [String]
        /// As written, for reports.
        public var written: String
        /// `timeout:`; the command is killed (SIGKILL) when it runs longer.
        public var timeoutMilliseconds: Int = 30_000
        public init(arguments: [String], written: String) {
            self.arguments = arguments
            self.written = written
        }
    }

    /// The manifests of an `apply:` step.
    public struct ApplyManifests: Hashable, Sendable {
        /// Resolved paths, for loading.
        public var paths: [String]
        /// The paths as written in the scenario, for reports.
        public var written: [String]
        public init(paths: [String], written: [String]) {
            self.paths = paths
            self.written = written
        }
    }

    /// `lookup:`: a name resolved as a program in the client pod would (search list, ndots), or
    /// a fully qualified name with a trailing dot.
    public struct Lookup: Hashable, Sendable {
        public var name: String
        public var type: DNSType = .a
        public var repeatCount: Int = 1
        /// `transport: udp` (default; TCP after a truncated reply, as glibc) or `tcp`.
        public var transport: String = "udp"
        public init(name: String) { self.name = name }
    }

    /// `http:`: a URL fetched as curl would: resolve, connect to the first address, GET, read.
    public struct HTTPFetch: Hashable, Sendable {
        public var url: String
        public var host: String
        public var port: UInt16
        public var path: String
        public var repeatCount: Int = 1
        /// `newConnectionEachTime: false`: one keep-alive connection (one lookup) for every
        /// repeat, as a client library's connection pool; `true` (default): a new connection and
        /// lookup per repeat, as separate curl runs.
        public var newConnectionEachTime = true

        /// Parses `http://HOST[:PORT][/PATH]` (`nil` for anything else).
        public static func parse(_ url: String) -> HTTPFetch? { ScenarioParser.parseURL(url) }

        public init(url: String, host: String, port: UInt16, path: String) {
            self.url = url
            self.host = host
            self.port = port
            self.path = path
        }
    }

    /// The step's kind as reports name it.
    public var kind: String {
        switch action {
        case .lookup: return "lookup"
        case .http: return "http"
        case .setReady: return "setReady"
        case .deletePod: return "deletePod"
        case .deleteService: return "deleteService"
        case .apply: return "apply"
        case .scale: return "scale"
        case .wait: return "wait"
        case .exec: return "exec"
        }
    }
}

/// `expect:` of a step; every field is optional.
public struct Expectations: Hashable, Sendable {
    /// `rcode:` of the walk's final reply (NOERROR, NXDOMAIN…).
    public var rcode: DNSRCode?
    /// `answers:` RDATA in presentation form (`10.244.2.9`, `0 25 80 quote-001…`).
    public var answers: [String]?
    /// `ordered: true`: answers must come in this order.
    public var ordered = false
    /// `count:` of answer records.
    public var count: Int?
    /// `rotates: true`: the answer order changes across the repeats.
    public var rotates: Bool?
    /// `searchQueries:` the names of the walk answered NXDOMAIN, in order.
    public var searchQueries: [String]?
    /// `ttl:` of every answer record.
    public var ttl: UInt32?
    /// `cname:` the CNAME targets in the answer, in order.
    public var cname: [String]?
    /// `srv:` the SRV targets in the answer, as a set.
    public var srv: [String]?
    /// `connectsTo:`.
    public var connectsTo: ConnectsTo?
    /// `servedBy:`.
    public var servedBy: ServedBy?
    /// `distribution:` per pod, bounds on how many of the repeats it served.
    public var distribution: [PodBounds]?
    /// HTTP `status:`.
    public var status: Int?
    /// HTTP `body:`.
    public var body: BodyMatch?
    /// `queries:` the names the step sent to the DNS server, as a set.
    public var queries: [String]?
    /// `noUnexpectedQueries: true`: a query for a name the step did not declare (the name it looks
    /// up, `searchQueries`, `queries`) fails it.
    public var noUnexpectedQueries = false
    /// exec `exitCode:`.
    public var exitCode: Int?
    /// exec `output:` (standard output), literal or regex.
    public var output: BodyMatch?

    public init() {}

    public var isEmpty: Bool { self == Expectations() }

    /// Where connections must go.
    public enum ConnectsTo: Hashable, Sendable {
        case podIPs
        case serviceIP
        case addresses([String])
    }

    /// Which pods must have served.
    public enum ServedBy: Hashable, Sendable {
        /// `servedBy: all`: every ready endpoint pod of the services the step looked up or dialled.
        case all
        case atLeast(Int)
        case atMost(Int)
        case exactly([String])
    }

    /// `POD: {min: N, max: M}` in `distribution:`.
    public struct PodBounds: Hashable, Sendable {
        /// NAME (client's namespace) or NAMESPACE/NAME.
        public var pod: String
        public var min: Int
        public var max: Int
        public init(pod: String, min: Int, max: Int) {
            self.pod = pod
            self.min = min
            self.max = max
        }
    }

    /// A body, literal or as a regular expression that must match the whole body.
    public enum BodyMatch: Hashable, Sendable {
        case text(String)
        case regex(String)
    }
}
