import ClusterModel
import DNSWire
import Foundation
import Testing

@testable import Replay
@testable import Scenario

/// The scenario features of issue 6 run in-process on the loopback plan (block 41, hence
/// serialized): keep-alive connections, the client's TTL cache and `wait:`, `noUnexpectedQueries`
/// and `queries`, capturing the serving pod, `scale:`, the client's dnsPolicy/dnsConfig, custom
/// CIDRs and `--timings`. Each scenario is written to a temporary directory and names the kiada
/// manifests by absolute path.
@Suite(.serialized) struct ScenarioFeatureTests {
    static let kiada = repositoryRoot + "/scenarios/clusters/kiada"
    /// The kiada pods behind quote and quote-headless.
    static let quotePods = [
        "kiada/quote-canary": "10.244.2.9", "kiada/quote-001": "10.244.2.10", "kiada/quote-002": "10.244.2.8", "kiada/quote-003": "10.244.1.10",
    ]

    static let directory: String = {
        let path = NSTemporaryDirectory() + "kubetape-scenario-features-\(getpid())"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }()

    /// Writes the scenario to the temporary directory and parses it as `kubetape run` would.
    static func scenario(_ name: String, _ yaml: String) throws -> Scenario {
        let path = directory + "/" + name + ".yaml"
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return try ScenarioParser().parse(file: path, displayPath: "features/\(name).yaml")
    }

    static func options(timings: Bool = false) -> ReplayOptions {
        var options = ReplayOptions()
        options.loopbackBlock = 41
        options.timings = timings
        return options
    }

    /// Runs one scenario in its own fake cluster.
    static func run(_ name: String, _ yaml: String, timings: Bool = false) async throws -> Report {
        try await ScenarioRunner(options: options(timings: timings)).run([try scenario(name, yaml)])
    }

    static func text(_ report: Report) -> String { ReportFormat.text.render(report) }

    static func check(_ step: StepReport, _ expectation: String) throws -> Check {
        try #require(step.checks.first { $0.expectation == expectation }, "step \(step.index) has no \(expectation) check: \(step.checks)")
    }

    /// The addresses in a lookup step's observation lines (`NAME A RCODE a b c`).
    static func answers(_ step: StepReport) -> [String] {
        step.observations.filter { !$0.hasPrefix("captured ") }.flatMap { line in line.split(separator: " ").map(String.init).filter { IPv4Address($0) != nil }
        }
    }

    // MARK: newConnectionEachTime

    @Test func keepAliveConnectionIsServedByOnePodAndNewConnectionsSpread() async throws {
        let report = try await Self.run(
            "keep-alive",
            """
            cluster:
              manifests: \(Self.kiada)
              seed: 5
            steps:
              - http: {url: http://quote, repeat: 10, newConnectionEachTime: false}
                expect:
                  connectsTo: service-ip
                  status: 200
              - http: {url: http://quote, repeat: 10}
                expect:
                  connectsTo: service-ip
                  servedBy: {atLeast: 2}
                  status: 200

            """)
        #expect(report.passed, "\(Self.text(report))")
        let steps = report.scenarios[0].steps
        let kept = steps[0]
        #expect(kept.name == "http GET http://quote ×10 on one connection")
        #expect(kept.distribution.count == 1, "one keep-alive connection was served by \(kept.distribution)")
        #expect(kept.distribution.first?.count == 10)
        #expect(Self.quotePods[kept.distribution.first?.pod ?? ""] != nil)
        // one lookup, one connection, nine reuses
        #expect(kept.observations.filter { $0.contains("dns quote.kiada.svc.cluster.local. A NOERROR 10.96.161.97") }.count == 1, "\(kept.observations)")
        #expect(kept.observations.filter { $0.hasSuffix("reused the connection to 10.96.161.97:80") }.count == 9, "\(kept.observations)")
        #expect(
            kept.observations.filter { $0.contains("GET http://quote → 10.96.161.97:80 served by \(kept.distribution.first?.pod ?? "?") → 200") }.count == 10)
        let fresh = steps[1]
        #expect(fresh.distribution.count >= 2, "ten new connections were all served by \(fresh.distribution)")
        #expect(fresh.distribution.reduce(0) { $0 + $1.count } == 10)
        #expect(fresh.observations.filter { $0.contains("dns quote.kiada.svc.cluster.local. A NOERROR") }.count == 10)
        #expect(!fresh.observations.contains { $0.contains("reused") })
    }

    /// The pinned pod is the one the first connection got, for any seed.
    @Test(arguments: [1, 2, 3, 4] as [UInt64])
    func keepAliveCapturesThePinnedPod(seed: UInt64) async throws {
        let report = try await Self.run(
            "keep-alive-capture-\(seed)",
            """
            cluster:
              manifests: \(Self.kiada)
              seed: \(seed)
            steps:
              - http: {url: http://quote, repeat: 6, newConnectionEachTime: false}
                capture: pinned
              - deletePod: ${pinned}

            """)
        let steps = report.scenarios[0].steps
        let pinned = try #require(steps[0].distribution.first?.pod)
        #expect(steps[0].distribution.count == 1 && steps[0].distribution[0].count == 6, "\(steps[0].distribution)")
        #expect(steps[0].observations.last == "captured ${pinned} = \(pinned)")
        // the captured value is the pod as NAMESPACE/NAME, which deletePod takes
        #expect(steps[1].observations == ["\(pinned) deleted"])
    }

    // MARK: client cache and wait

    static func cacheScenario(cache: Bool) -> String {
        """
        cluster:
          manifests: \(kiada)
          ttl: 30
        client:
          cache: \(cache)
        steps:
          - lookup: quote-headless
            expect: {count: 4}
          - deletePod: quote-001
          - lookup: quote-headless
          - wait: 10s
          - lookup: quote-headless
          - wait: 21s
          - lookup: quote-headless
            expect: {count: 3, ttl: 30}

        """
    }

    @Test func cachedAnswerOutlivesTheDeletedPodUntilItsTTLRunsOut() async throws {
        let started = ContinuousClock.now
        let report = try await Self.run("cache", Self.cacheScenario(cache: true))
        #expect(started.duration(to: .now) < .seconds(20), "wait: slept for real in the loopback plan")
        #expect(report.passed, "\(Self.text(report))")
        let steps = report.scenarios[0].steps
        #expect(steps[1].observations == ["kiada/quote-001 deleted"])
        // right after the deletion: still four answers, from the cache, TTL untouched
        #expect(Self.answers(steps[2]).sorted() == Self.quotePods.values.sorted(), "\(steps[2].observations)")
        #expect(steps[2].observations.count == 1 && steps[2].observations[0].hasSuffix("(cached)"), "\(steps[2].observations)")
        #expect(steps[2].observations[0].contains("10.244.2.10 ttl=30"))
        #expect(steps[3].observations == ["clock +10s (now 10s)"])
        // ten seconds later: still cached, the TTL counts down
        #expect(Self.answers(steps[4]).count == 4)
        #expect(steps[4].observations[0].contains("ttl=20") && steps[4].observations[0].hasSuffix("(cached)"), "\(steps[4].observations)")
        #expect(steps[5].observations == ["clock +21s (now 31s)"])
        // 31 s after the first answer: it expired, the client asks again and the pod is gone
        #expect(!steps[6].observations.contains { $0.contains("(cached)") }, "\(steps[6].observations)")
        #expect(Self.answers(steps[6]).sorted() == ["10.244.1.10", "10.244.2.8", "10.244.2.9"])
    }

    @Test func withoutACacheTheDeletionIsVisibleAtOnce() async throws {
        let report = try await Self.run("no-cache", Self.cacheScenario(cache: false))
        #expect(report.passed, "\(Self.text(report))")
        let steps = report.scenarios[0].steps
        #expect(Self.answers(steps[2]).sorted() == ["10.244.1.10", "10.244.2.8", "10.244.2.9"], "\(steps[2].observations)")
        #expect(!steps.flatMap(\.observations).contains { $0.contains("(cached)") })
        #expect(!steps.flatMap(\.observations).contains { $0.contains("ttl=") })
    }

    @Test func cachedAnswerFailsACountExpectationWithTheStaleRecord() async throws {
        let report = try await Self.run(
            "cache-fails",
            """
            cluster:
              manifests: \(Self.kiada)
            client:
              cache: true
            steps:
              - lookup: quote-headless
              - deletePod: kiada/quote-canary
              - lookup: quote-headless
                expect:
                  count: 3

            """)
        #expect(!report.passed)
        let count = try Self.check(report.scenarios[0].steps[2], "count")
        #expect(!count.passed && count.expected == ["3"] && count.actual == ["4"])
    }

    // MARK: noUnexpectedQueries and queries

    @Test func noUnexpectedQueriesFlagsTheSearchListQuery() async throws {
        let report = try await Self.run(
            "unexpected-queries",
            """
            cluster:
              manifests: \(Self.kiada)
            steps:
              - lookup: quote-headless.kiada
                expect:
                  noUnexpectedQueries: true
              - lookup: quote-headless.kiada
                expect:
                  searchQueries: [quote-headless.kiada.kiada.svc.cluster.local]
                  noUnexpectedQueries: true
              - lookup: quote-headless.kiada.svc.cluster.local.
                expect:
                  noUnexpectedQueries: true
                  count: 4
              - lookup: quote-headless.kiada
                expect:
                  queries: [quote-headless.kiada.kiada.svc.cluster.local, quote-headless.kiada.svc.cluster.local.]
                  noUnexpectedQueries: true
              - lookup: quote-headless.kiada
                expect:
                  queries: [quote-headless.kiada.svc.cluster.local]
              - http: http://quote
                expect:
                  queries: [quote.kiada.svc.cluster.local]
                  noUnexpectedQueries: true
              - http: http://quote.kiada
                expect:
                  noUnexpectedQueries: true

            """)
        let steps = report.scenarios[0].steps
        let unexpected = try Self.check(steps[0], "noUnexpectedQueries")
        #expect(!unexpected.passed)
        #expect(
            unexpected.diff == ["--- expected", "+++ actual", "+quote-headless.kiada.kiada.svc.cluster.local.", " quote-headless.kiada.svc.cluster.local."])
        #expect(Self.text(report).contains("         +quote-headless.kiada.kiada.svc.cluster.local.\n"))
        #expect(steps[1].passed, "listed in searchQueries: \(steps[1].checks)")
        #expect(steps[2].passed, "a fully qualified name sends one query: \(steps[2].checks)")
        #expect(steps[2].observations.count == 1)
        #expect(steps[3].passed, "listed in queries: \(steps[3].checks)")
        let queries = try Self.check(steps[4], "queries")
        #expect(!queries.passed)
        #expect(queries.expected == ["quote-headless.kiada.svc.cluster.local."])
        #expect(queries.actual == ["quote-headless.kiada.kiada.svc.cluster.local.", "quote-headless.kiada.svc.cluster.local."])
        #expect(steps[5].passed, "\(steps[5].checks)")
        let http = try Self.check(steps[6], "noUnexpectedQueries")
        #expect(!http.passed)
        #expect(http.diff == ["--- expected", "+++ actual", "+quote.kiada.kiada.svc.cluster.local.", " quote.kiada.svc.cluster.local."])
        #expect(report.failedStepCount == 3)
    }

    /// Negative answers are cached for the SOA's negative TTL (RFC 2308); a reply without records
    /// (REFUSED for the bare name) is not cached and is asked again.
    @Test func negativeAnswersAreCachedForTheSOAMinimum() async throws {
        let report = try await Self.run(
            "negative-cache",
            """
            cluster:
              manifests: \(Self.kiada)
              ttl: 30
            client:
              cache: true
            steps:
              - lookup: nonexistent
                expect:
                  queries: [nonexistent.kiada.svc.cluster.local, nonexistent.svc.cluster.local, nonexistent.cluster.local, nonexistent.]
              - wait: 29s
              - lookup: nonexistent
                expect:
                  queries: [nonexistent.]
                  searchQueries: [nonexistent.kiada.svc.cluster.local, nonexistent.svc.cluster.local, nonexistent.cluster.local]
              - wait: 1s
              - lookup: nonexistent
                expect:
                  queries: [nonexistent.kiada.svc.cluster.local, nonexistent.svc.cluster.local, nonexistent.cluster.local, nonexistent.]

            """)
        #expect(report.passed, "\(Self.text(report))")
        let cached = report.scenarios[0].steps[2].observations
        #expect(cached.count == 4)
        #expect(cached.prefix(3).allSatisfy { $0.hasSuffix("NXDOMAIN (cached)") }, "\(cached)")
        #expect(cached.last == "nonexistent. A REFUSED")
    }

    @Test func cachedQueriesAreNotSentAndSoNotUnexpected() async throws {
        let report = try await Self.run(
            "queries-cache",
            """
            cluster:
              manifests: \(Self.kiada)
            client:
              cache: true
            steps:
              - lookup: quote
              - lookup: quote
                expect:
                  queries: []

            """)
        #expect(report.passed, "\(Self.text(report))")
        let queries = try Self.check(report.scenarios[0].steps[1], "queries")
        #expect(queries.actual.isEmpty)
    }

    // MARK: capture from http and ${NAME} in deletePod

    @Test func capturedServingPodIsDeleted() async throws {
        let report = try await Self.run(
            "capture-http",
            """
            cluster:
              manifests: \(Self.kiada)
              seed: 11
            steps:
              - http: http://quote
                capture: served
              - deletePod: ${served}
              - lookup: quote-headless
                expect:
                  count: 3
              - http: {url: http://quote, repeat: 12}
                expect:
                  servedBy: {atLeast: 2}

            """)
        #expect(report.passed, "\(Self.text(report))")
        let steps = report.scenarios[0].steps
        let captured = try #require(steps[0].observations.last)
        #expect(captured.hasPrefix("captured ${served} = kiada/quote-"), "\(steps[0].observations)")
        let pod = String(captured.dropFirst("captured ${served} = ".count))
        let address = try #require(Self.quotePods[pod], "captured \(pod)")
        #expect(steps[0].observations.contains { $0.hasSuffix("served by \(pod) → 200") })
        #expect(steps[1].observations == ["\(pod) deleted"])
        // the step name shows the expanded reference
        #expect(steps[1].name == "deletePod \(pod)")
        #expect(!Self.answers(steps[2]).contains(address))
        #expect(!steps[3].distribution.contains { $0.pod == pod }, "the deleted pod still served: \(steps[3].distribution)")
    }

    /// A change restarts the fake cluster and kube-proxy's seeded choice with it: the same first
    /// fetch reaches the same pod, which `servedBy: ["${NAME}"]` names.
    @Test func capturedPodInServedBy() async throws {
        let report = try await Self.run(
            "capture-served-by",
            """
            cluster:
              manifests: \(Self.kiada)
            steps:
              - http: http://quote
                capture: first
              - setReady: {pod: quote-canary, ready: true}
              - http: http://quote
                expect:
                  servedBy: ["${first}"]
                  connectsTo: service-ip

            """)
        #expect(report.passed, "\(Self.text(report))")
        let check = try Self.check(report.scenarios[0].steps[2], "servedBy")
        #expect(check.expected.count == 1 && check.expected[0].hasPrefix("kiada/quote-") && !check.expected[0].contains("$"), "\(check)")
    }

    @Test func httpThatNoPodServedHasNothingToCapture() async throws {
        let report = try await Self.run(
            "capture-nothing",
            """
            cluster:
              manifests: \(Self.kiada)
            steps:
              - http: http://nonexistent
                capture: served

            """)
        let step = report.scenarios[0].steps[0]
        let capture = try Self.check(step, "capture")
        #expect(!capture.passed)
        #expect(capture.expected == ["a pod that served to capture as ${served}"])
        #expect(capture.actual == ["nothing to capture"])
    }

    // MARK: scale

    static let statefulSet = """
        cluster:
          inline: |
            apiVersion: v1
            kind: Namespace
            metadata: {name: shop}
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: web, namespace: shop}
            spec:
              clusterIP: None
              selector: {app: web}
              ports: [{name: http, port: 80, targetPort: http}]
            ---
            apiVersion: apps/v1
            kind: StatefulSet
            metadata: {name: web, namespace: shop}
            spec:
              serviceName: web
              replicas: 2
              selector: {matchLabels: {app: web}}
              template:
                metadata: {labels: {app: web}}
                spec:
                  containers:
                    - name: web
                      image: nginx
                      ports: [{name: http, containerPort: 80}]
        client:
          namespace: shop
        steps:
          - lookup: web
            expect: {count: 2}
          - scale: {name: web, replicas: 4}
          - lookup: web
            expect: {count: 4}
          - http: http://web-3.web
            expect:
              servedBy: [web-3]
              connectsTo: pod-ips
              body: "This is the web service running in pod web-3\\n"
          - scale: {name: shop/web, replicas: 1, kind: StatefulSet}
          - lookup: web
            expect: {count: 1}
          - lookup: web-3.web.shop.svc.cluster.local.
            expect: {rcode: NXDOMAIN}

        """

    @Test func scalingAStatefulSetChangesTheHeadlessAnswer() async throws {
        let report = try await Self.run("scale", Self.statefulSet)
        #expect(report.passed, "\(Self.text(report))")
        let steps = report.scenarios[0].steps
        let before = Self.answers(steps[0])
        #expect(before.count == 2)
        // "shop/web scaled to 4; created web-2 (10.244.0.x), web-3 (10.244.0.y)"
        let scaled = try #require(steps[1].observations.first)
        #expect(scaled.hasPrefix("shop/web scaled to 4; created web-2 ("), "\(scaled)")
        #expect(scaled.contains("web-3 ("))
        let created = scaled.split(whereSeparator: { "(), ;".contains($0) }).map(String.init).filter { IPv4Address($0) != nil }
        #expect(created.count == 2, "\(scaled)")
        let after = Self.answers(steps[2])
        #expect(after.count == 4)
        #expect(Set(after) == Set(before + created), "\(steps[2].observations)")
        #expect(steps[3].distribution.map(\.pod) == ["shop/web-3"])
        #expect(steps[4].observations == ["shop/web scaled to 1; deleted web-3, web-2, web-1"])
        let last = Self.answers(steps[5])
        #expect(last.count == 1 && before.contains(last[0]), "web-0 keeps its address: \(last) of \(before)")
    }

    /// A Deployment and a StatefulSet of the same name: `kind:` says which one to scale; without
    /// it the step is bad input at the name. Deployments get seeded pod names and lose their
    /// newest pods first.
    @Test func scalingADeploymentAndChoosingTheKind() async throws {
        let manifests = """
                apiVersion: v1
                kind: Namespace
                metadata: {name: shop}
                ---
                apiVersion: v1
                kind: Service
                metadata: {name: api, namespace: shop}
                spec: {clusterIP: None, selector: {app: api}, ports: [{port: 80}]}
                ---
                apiVersion: v1
                kind: Service
                metadata: {name: api-set, namespace: shop}
                spec: {clusterIP: None, selector: {app: api-set}, ports: [{port: 80}]}
                ---
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: api, namespace: shop}
                spec:
                  replicas: 2
                  selector: {matchLabels: {app: api}}
                  template:
                    metadata: {labels: {app: api}}
                    spec: {containers: [{name: api, image: api}]}
                ---
                apiVersion: apps/v1
                kind: StatefulSet
                metadata: {name: api, namespace: shop}
                spec:
                  serviceName: api-set
                  replicas: 1
                  selector: {matchLabels: {app: api-set}}
                  template:
                    metadata: {labels: {app: api-set}}
                    spec: {containers: [{name: api, image: api}]}
            """
        let report = try await Self.run(
            "scale-kind",
            """
            cluster:
              inline: |
            \(manifests)
            client:
              namespace: shop
            steps:
              - lookup: api
                expect: {count: 2}
              - scale: {name: api, kind: Deployment, replicas: 3}
              - lookup: api
                expect: {count: 3}
              - lookup: api-set
                expect: {count: 1}
              - scale: {name: api, kind: StatefulSet, replicas: 2}
              - lookup: api-set
                expect: {count: 2}
              - scale: {name: api, kind: Deployment, replicas: 2}
              - lookup: api
                expect: {count: 2}

            """)
        #expect(report.passed, "\(Self.text(report))")
        let steps = report.scenarios[0].steps
        let grown = try #require(steps[1].observations.first)
        #expect(grown.hasPrefix("shop/api scaled to 3; created api-"), "\(grown)")
        let created = String(grown.dropFirst("shop/api scaled to 3; created ".count).prefix { $0 != " " })
        // a Deployment's pods are NAME-HASH-SUFFIX
        #expect(created.split(separator: "-").count == 3, "\(created)")
        #expect(steps[4].observations.first?.hasPrefix("shop/api scaled to 2; created api-1 (") == true, "\(steps[4].observations)")
        // scaling down removes the newest pod: the one the earlier scale created
        #expect(steps[6].observations == ["shop/api scaled to 2; deleted \(created)"])

        let ambiguous = try Self.scenario(
            "scale-ambiguous",
            "cluster:\n  inline: |\n\(manifests)\nsteps:\n  - scale: {name: shop/api, replicas: 2}\n")
        await #expect {
            _ = try await ScenarioRunner(options: Self.options()).run([ambiguous])
        } throws: { error in
            "\(error)".hasPrefix("features/scale-ambiguous.yaml:")
                && "\(error)".contains("scale: shop/api is both a Deployment and StatefulSet; say which kind to scale")
        }
    }

    @Test func scalingSomethingThatIsNotThereIsBadInputAtTheName() async throws {
        let scenario = try Self.scenario(
            "scale-missing", "cluster:\n  manifests: \(Self.kiada)\nsteps:\n  - lookup: quote\n  - scale: {name: quote, replicas: 2}\n")
        await #expect {
            _ = try await ScenarioRunner(options: Self.options()).run([scenario])
        } throws: { error in
            "\(error)".hasPrefix("features/scale-missing.yaml:5:19: scale: no Deployment, ReplicaSet or StatefulSet kiada/quote in the manifests")
        }
    }

    // MARK: client dnsPolicy and dnsConfig

    @Test func dnsPolicyNoneUsesTheGivenSearchList() async throws {
        let report = try await Self.run(
            "dns-policy-none",
            """
            cluster:
              manifests: \(Self.kiada)
            client:
              namespace: kiada
              dnsPolicy: None
              dnsConfig:
                nameservers: [10.96.0.10]
                searches: [kiada.svc.cluster.local]
            steps:
              - lookup: quote
                expect:
                  answers: [10.96.161.97]
                  searchQueries: []
                  queries: [quote.kiada.svc.cluster.local]
              - lookup: quote-headless.kiada.svc.cluster.local
                expect:
                  count: 4
                  queries: [quote-headless.kiada.svc.cluster.local]
              - http: http://quote
                expect:
                  connectsTo: service-ip
                  status: 200

            """)
        #expect(report.passed, "\(Self.text(report))")
        // ndots is 1 without the kubelet's options: a name with dots is tried as is, first and only
        let qualified = report.scenarios[0].steps[1].observations
        #expect(qualified.count == 1 && qualified[0].hasPrefix("quote-headless.kiada.svc.cluster.local. A NOERROR "), "\(qualified)")
        #expect(report.scenarios[0].steps[0].observations == ["quote.kiada.svc.cluster.local. A NOERROR 10.96.161.97"])
    }

    @Test func dnsPolicyNoneWithSearchesButNdotsFromOptions() async throws {
        let report = try await Self.run(
            "dns-policy-none-ndots",
            """
            cluster:
              manifests: \(Self.kiada)
            client:
              namespace: kiada
              dnsPolicy: None
              dnsConfig:
                nameservers: [10.96.0.10]
                searches: [kiada.svc.cluster.local, svc.cluster.local]
                options: [{name: ndots, value: "5"}]
            steps:
              - lookup: quote.kiada
                expect:
                  searchQueries: [quote.kiada.kiada.svc.cluster.local]
                  answers: [10.96.161.97]

            """)
        #expect(report.passed, "\(Self.text(report))")
    }

    @Test func dnsPolicyDefaultAsksTheNodesServerWhichIsNeverContacted() async throws {
        let report = try await Self.run(
            "dns-policy-default",
            """
            cluster:
              manifests: \(Self.kiada)
            client:
              namespace: kiada
              dnsPolicy: Default
            steps:
              - lookup: quote
                expect:
                  rcode: NOERROR
              - http: http://quote
                expect:
                  status: 200

            """)
        #expect(!report.passed)
        let steps = report.scenarios[0].steps
        #expect(steps[0].observations == ["error: nameserver 172.18.0.1 is outside the fake cluster (not contacted)"])
        let rcode = try Self.check(steps[0], "rcode")
        #expect(!rcode.passed)
        #expect(rcode.actual == ["no reply (nameserver 172.18.0.1 is outside the fake cluster (not contacted))"])
        let status = try Self.check(steps[1], "status")
        #expect(!status.passed)
        #expect(status.actual.first?.contains("could not resolve host quote") == true, "\(status.actual)")
        #expect(status.actual.first?.contains("172.18.0.1") == true, "\(status.actual)")
    }

    @Test func dnsPolicyNoneWithoutNameserversHasNoNameserver() async throws {
        let report = try await Self.run(
            "dns-policy-none-empty",
            """
            cluster:
              manifests: \(Self.kiada)
            client:
              dnsPolicy: None
            steps:
              - lookup: quote
                expect:
                  count: 1

            """)
        #expect(!report.passed)
        let step = report.scenarios[0].steps[0]
        #expect(step.observations == ["error: the pod's resolv.conf has no nameserver (dnsPolicy None)"])
        #expect(try Self.check(step, "count").actual == ["0"])
    }

    // MARK: cluster CIDRs

    @Test func customCIDRsAddressPodsAndServicesWithoutAddresses() async throws {
        let report = try await Self.run(
            "cidrs",
            """
            cluster:
              podCIDR: 10.50.0.0/16
              serviceCIDR: 10.60.0.0/16
              dnsServiceIP: 10.60.0.10
              inline: |
                apiVersion: v1
                kind: Namespace
                metadata: {name: shop}
                ---
                apiVersion: v1
                kind: Pod
                metadata: {name: api-1, namespace: shop, labels: {app: api}}
                spec: {containers: [{name: api, image: api, ports: [{name: http, containerPort: 8080}]}]}
                ---
                apiVersion: v1
                kind: Pod
                metadata: {name: api-2, namespace: shop, labels: {app: api}}
                spec: {containers: [{name: api, image: api, ports: [{name: http, containerPort: 8080}]}]}
                ---
                apiVersion: v1
                kind: Service
                metadata: {name: api, namespace: shop}
                spec: {selector: {app: api}, ports: [{port: 80, targetPort: http}]}
                ---
                apiVersion: v1
                kind: Service
                metadata: {name: api-headless, namespace: shop}
                spec: {clusterIP: None, selector: {app: api}, ports: [{port: 80, targetPort: http}]}
            client:
              namespace: shop
            steps:
              - lookup: api
                capture: vip
                expect: {count: 1}
              - lookup: api-headless
                expect: {count: 2}
              - http: {url: "http://api", repeat: 6}
                expect:
                  connectsTo: service-ip
                  servedBy: [api-1, api-2]
                  status: 200
              - http: http://api-headless:8080/
                expect:
                  connectsTo: pod-ips
                  status: 200

            """)
        #expect(report.passed, "\(Self.text(report))")
        let steps = report.scenarios[0].steps
        let pods = try #require(CIDR("10.50.0.0/16"))
        let services = try #require(CIDR("10.60.0.0/16"))
        let vip = Self.answers(steps[0])
        #expect(vip.count == 1 && vip.allSatisfy { IPAddress($0).map(services.contains) == true }, "\(vip)")
        #expect(vip != ["10.60.0.10"], "the DNS service IP is reserved")
        let podIPs = Self.answers(steps[1])
        #expect(podIPs.count == 2 && podIPs.allSatisfy { IPAddress($0).map(pods.contains) == true }, "\(podIPs)")
        #expect(steps[2].observations.contains { $0.contains("→ \(vip.first ?? "?"):80 served by shop/api-") })
    }

    // MARK: --timings

    static let timingScenario = """
        cluster:
          manifests: \(kiada)
        steps:
          - lookup: quote-headless
            expect: {count: 4}
          - http: http://quote
            expect: {status: 200}
          - deletePod: quote-001
          - lookup: nonexistent
            expect: {count: 0}

        """

    @Test func timingsAddDurationsAndLoopbackDetails() async throws {
        let report = try await Self.run("timings", Self.timingScenario, timings: true)
        let steps = report.scenarios[0].steps
        for step in steps {
            let timing = try #require(step.timing, "step \(step.index) has no timing")
            #expect(timing.microseconds > 0)
        }
        #expect(steps[0].timing?.details.count == 1)
        #expect(steps[0].timing?.details.first?.hasPrefix("quote-headless A: 1 query to 127.0.0.1:") == true, "\(steps[0].timing?.details ?? [])")
        #expect(
            steps[1].timing?.details.contains { $0.hasPrefix("GET http://quote: 127.") && $0.contains(" → 127.") } == true, "\(steps[1].timing?.details ?? [])")
        #expect(steps[3].timing?.details.first?.hasPrefix("nonexistent A: 4 queries to 127.0.0.1:") == true, "\(steps[3].timing?.details ?? [])")

        let json = ReportFormat.json.render(report)
        #expect(json.contains("\"timing\": {"))
        #expect(json.contains("\"microseconds\": "))
        #expect(json.contains("127."))
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let jsonSteps = try #require(((parsed["scenarios"] as? [[String: Any]])?.first?["steps"]) as? [[String: Any]])
        for step in jsonSteps {
            let timing = try #require(step["timing"] as? [String: Any], "\(step)")
            #expect((timing["microseconds"] as? Int ?? 0) > 0)
            #expect(timing["details"] is [String])
        }
        let junit = ReportFormat.junit.render(report)
        let times = junit.matches(of: /<testcase [^>]* time="(\d+)\.(\d{6})"/)
        #expect(times.count == steps.count, "\(junit)")
        let text = ReportFormat.text.render(report)
        #expect(text.contains(" ms)\n       quote-headless A: 1 query to 127.0.0.1:"))
    }

    @Test func withoutTimingsReportsHaveNoTimesAndNoLoopbackAddresses() async throws {
        let first = try await Self.run("no-timings", Self.timingScenario)
        let second = try await Self.run("no-timings", Self.timingScenario)
        #expect(first.scenarios[0].steps.allSatisfy { $0.timing == nil })
        let json = ReportFormat.json.render(first)
        #expect(!json.contains("\"timing\""))
        #expect(!json.contains("microseconds"))
        #expect(!json.contains("127."), "a loopback address leaked into the report")
        #expect(json == ReportFormat.json.render(second), "two runs differ")
        let junit = ReportFormat.junit.render(first)
        #expect(!junit.contains(" time=\""))
        #expect(!ReportFormat.text.render(first).contains(" ms)"))
    }

    /// `${NAME}` in a distribution key is the captured pod.
    @Test func capturedPodInDistribution() async throws {
        let report = try await Self.run(
            "capture-distribution",
            """
            cluster:
              manifests: \(Self.kiada)
            steps:
              - http: http://quote
                capture: first
              - http: {url: http://quote, repeat: 20}
                expect:
                  distribution: {"${first}": {min: 1}}

            """)
        #expect(report.passed, "\(Self.text(report))")
    }
}
