/// The outcome of running scenarios: what was observed and which expectations held. Contains no
/// timings, ephemeral ports or loopback addresses, so equal inputs and seed give equal reports.
public struct Report: Hashable, Sendable {
    /// Version of the JSON form (docs/report-format.md).
    public static let schemaVersion = 1
    public var scenarios: [ScenarioReport]

    public init(scenarios: [ScenarioReport]) {
        self.scenarios = scenarios
    }

    /// True when every expectation of every scenario held.
    public var passed: Bool { scenarios.allSatisfy(\.passed) }
    public var stepCount: Int { scenarios.reduce(0) { $0 + $1.steps.count } }
    public var failedStepCount: Int { scenarios.reduce(0) { $0 + $1.steps.filter { !$0.passed }.count } }
}

/// One scenario's steps.
public struct ScenarioReport: Hashable, Sendable {
    public var name: String
    public var file: String
    public var seed: UInt64
    public var steps: [StepReport]
    /// `namespace/name` of the client pod (Markdown diagrams; not in the JSON form).
    public var client: String = "client"

    public init(name: String, file: String, seed: UInt64, steps: [StepReport]) {
        self.name = name
        self.file = file
        self.seed = seed
        self.steps = steps
    }

    public var passed: Bool { steps.allSatisfy(\.passed) }
}

/// One step: what it did, what was observed, each expectation's verdict.
public struct StepReport: Hashable, Sendable {
    /// 1-based.
    public var index: Int
    public var name: String
    /// lookup, http, exec, setReady, deletePod, deleteService, apply, scale, wait.
    public var kind: String
    /// `file:line:column` of the step in the scenario (relative to the displayed path).
    public var line: Int
    /// Observations, one line each, in the order they happened (see docs/report-format.md).
    public var observations: [String]
    /// Pods that served HTTP requests with their counts, sorted by pod (http steps).
    public var distribution: [(pod: String, count: Int)]
    public var checks: [Check]
    /// The step's DNS and HTTP exchanges, for sequence diagrams (not part of the JSON form,
    /// which has them as `observations`).
    public var exchanges: [Exchange] = []
    /// What `capture:` takes: a lookup's first answer, the pod that served an http step, the first
    /// line of an exec step's output (first repeat).
    var capturedValue: String?
    /// `kubetape run --timings`: how long the step took and the run-specific details (loopback
    /// addresses, ephemeral ports) that reports otherwise leave out; `nil` without the flag.
    public var timing: StepTiming?

    public init(index: Int, name: String, kind: String, line: Int, observations: [String], distribution: [(pod: String, count: Int)] = [], checks: [Check]) {
        self.index = index
        self.name = name
        self.kind = kind
        self.line = line
        self.observations = observations
        self.distribution = distribution
        self.checks = checks
    }

    public var passed: Bool { checks.allSatisfy(\.passed) }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.index == rhs.index && lhs.name == rhs.name && lhs.kind == rhs.kind && lhs.line == rhs.line && lhs.observations == rhs.observations
            && lhs.distribution.map(\.pod) == rhs.distribution.map(\.pod) && lhs.distribution.map(\.count) == rhs.distribution.map(\.count)
            && lhs.checks == rhs.checks && lhs.timing == rhs.timing
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(index)
        hasher.combine(name)
        hasher.combine(observations)
        hasher.combine(checks)
    }
}

/// A step's duration and run-specific details, reported only with `--timings`.
public struct StepTiming: Hashable, Sendable {
    public var microseconds: Int
    public var details: [String]
    public init(microseconds: Int, details: [String]) {
        self.microseconds = microseconds
        self.details = details
    }
}

/// One exchange of a step, in cluster terms (no loopback addresses, no ports of the client).
public enum Exchange: Hashable, Sendable {
    /// A query (`NAME. TYPE`) and its reply (`RCODE rdata…`), in repeat `repeat`.
    case dns(repeat: Int, question: String, reply: String)
    /// An HTTP request to `destination` (`ADDRESS:PORT`), through the service at that address when
    /// `viaService`, served by `pod`, with its `outcome` (status or failure).
    case http(repeat: Int, request: String, destination: String, viaService: Bool, pod: String?, outcome: String)

    public var repeatNumber: Int {
        switch self {
        case .dns(let r, _, _), .http(let r, _, _, _, _, _): return r
        }
    }
}

/// One expectation's verdict, with expected and actual as lines (the diff's two sides).
public struct Check: Hashable, Sendable {
    /// The expectation's key (`answers`, `servedBy`…), or `step` when the step itself failed.
    public var expectation: String
    public var passed: Bool
    public var expected: [String]
    public var actual: [String]

    public init(expectation: String, passed: Bool, expected: [String], actual: [String]) {
        self.expectation = expectation
        self.passed = passed
        self.expected = expected
        self.actual = actual
    }

    /// A unified-style diff: `-` expected only, `+` actual only, ` ` both (line-wise LCS).
    public var diff: [String] {
        let a = expected
        let b = actual
        var lcs = Array(repeating: Array(repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in stride(from: a.count - 1, through: 0, by: -1) {
            for j in stride(from: b.count - 1, through: 0, by: -1) {
                lcs[i][j] = a[i] == b[j] ? lcs[i + 1][j + 1] + 1 : max(lcs[i + 1][j], lcs[i][j + 1])
            }
        }
        var out: [String] = ["--- expected", "+++ actual"]
        var i = 0
        var j = 0
        while i < a.count || j < b.count {
            if i < a.count && j < b.count && a[i] == b[j] {
                out.append(" " + a[i])
                i += 1
                j += 1
            } else if i < a.count && (j == b.count || lcs[i + 1][j] >= lcs[i][j + 1]) {
                out.append("-" + a[i])
                i += 1
            } else {
                out.append("+" + b[j])
                j += 1
            }
        }
        return out
    }
}
