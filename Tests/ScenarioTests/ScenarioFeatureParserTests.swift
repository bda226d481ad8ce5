import ClusterModel
import DNSWire
import Testing

@testable import Scenario

/// The scenario features of issue 6 as the parser reads them: `wait:`, `exec:`, `scale:`,
/// `newConnectionEachTime`, `capture:` on http and exec steps, the expectations of each step kind,
/// `client.dnsPolicy`/`dnsConfig`/`cache`, the cluster's CIDRs and plan, and `${NAME}` in the names
/// of cluster changes. Every error is checked at its exact line and column.
@Suite struct ScenarioFeatureParserTests {
    /// The cluster every scenario here uses; its steps start on line 4.
    static let head = "cluster:\n  manifests: clusters/kiada\nsteps:\n"

    func parse(_ yaml: String) throws -> Scenario {
        try ScenarioParser().parse(yaml: yaml, file: scenarioPath)
    }

    /// The steps after ``head``.
    func parseSteps(_ steps: String) throws -> [Step] {
        try parse(Self.head + steps).steps
    }

    /// The scenario does not parse, with `message` at `line:column`.
    func expectError(_ yaml: String, _ line: Int, _ column: Int, _ message: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        do {
            _ = try parse(yaml)
            Issue.record("parsed, but expected \(line):\(column): \(message)", sourceLocation: sourceLocation)
        } catch let error as ScenarioError {
            #expect(error.location.line == line && error.location.column == column, "\(error)", sourceLocation: sourceLocation)
            #expect(error.reason.contains(message), "\(error)", sourceLocation: sourceLocation)
            #expect(error.description.hasPrefix("\(scenarioPath):\(line):\(column): "), "\(error)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
        }
    }

    // MARK: wait

    @Test(arguments: [
        ("30s", 30_000, "wait 30s"),
        ("1500ms", 1500, "wait 1500ms"),
        ("2m", 120_000, "wait 2m"),
        ("1h", 3_600_000, "wait 1h"),
        ("45", 45_000, "wait 45s"),
        ("90", 90_000, "wait 90s"),
        ("1.5s", 1500, "wait 1500ms"),
        ("1ms", 1, "wait 1ms"),
        ("24h", 86_400_000, "wait 24h"),
        ("\"31s\"", 31_000, "wait 31s"),
    ])
    func waitDurations(text: String, milliseconds: Int, name: String) throws {
        let steps = try parseSteps("  - wait: \(text)\n")
        #expect(steps[0].action == .wait(milliseconds: milliseconds))
        #expect(steps[0].name == name)
        #expect(steps[0].kind == "wait")
        #expect(steps[0].expect.isEmpty && steps[0].capture == nil)
    }

    /// Zero, negative, more than a day and text that is no duration, at the value's position.
    @Test(arguments: [
        "0", "0s", "0ms", "-5s", "-1", "25h", "86400001ms", "1441m", "abc", "30x", "s", "1h30m", "nan", "inf", "0.4ms", "1e3", "0x10", "+5", "3 s", "1.", ".5s",
        "1.5.2s", "5S",
    ])
    func waitRejectsABadDuration(text: String) {
        expectError(
            Self.head + "  - lookup: quote\n  - wait: \(text)\n", 5, 11,
            "wait: expected a duration from 1ms to 24h such as 30s, 1500ms or 2m, found '\(text)'")
    }

    @Test func waitAsAMappingIsRejected() {
        expectError(Self.head + "  - wait: {seconds: 3}\n", 4, 11, "wait: expected a string")
    }

    @Test func waitHasNoExpectationsAndCapturesNothing() {
        expectError(Self.head + "  - wait: 5s\n    expect:\n      count: 1\n", 5, 5, "expect: a wait step advances the clock and has no expectations")
        expectError(
            Self.head + "  - wait: 5s\n    capture: t\n", 5, 5, "capture: only lookup (first answer), http (the serving pod) and exec (first line of output)")
    }

    @Test func durationTextUsesTheLargestExactUnit() {
        #expect(ScenarioParser.durationText(1500) == "1500ms")
        #expect(ScenarioParser.durationText(90_000) == "90s")
        #expect(ScenarioParser.durationText(120_000) == "2m")
        #expect(ScenarioParser.durationText(5_400_000) == "90m")
        #expect(ScenarioParser.durationText(7_200_000) == "2h")
    }

    // MARK: exec

    @Test func execStringRunsThroughTheShell() throws {
        let steps = try parseSteps("  - exec: for i in 1 2 3; do curl -s http://quote; done\n")
        guard case .exec(let command) = steps[0].action else {
            Issue.record("not an exec step: \(steps[0].action)")
            return
        }
        #expect(command.arguments == ["/bin/sh", "-c", "for i in 1 2 3; do curl -s http://quote; done"])
        #expect(command.written == "for i in 1 2 3; do curl -s http://quote; done")
        #expect(command.timeoutMilliseconds == 30_000)
        #expect(steps[0].name == "exec for i in 1 2 3; do curl -s http://quote; done")
        #expect(steps[0].kind == "exec")
    }

    @Test func execListIsTheArgumentVector() throws {
        let steps = try parseSteps("  - exec: [nslookup, quote-headless.kiada]\n  - exec:\n      - sh\n      - -c\n      - echo 'it''s' $HOME\n")
        guard case .exec(let first) = steps[0].action, case .exec(let second) = steps[1].action else {
            Issue.record("not exec steps: \(steps.map(\.action))")
            return
        }
        #expect(first.arguments == ["nslookup", "quote-headless.kiada"])
        #expect(first.written == "nslookup quote-headless.kiada")
        #expect(steps[0].name == "exec nslookup quote-headless.kiada")
        // the report shows the vector as a shell would need it quoted
        #expect(second.arguments == ["sh", "-c", "echo 'it''s' $HOME"])
        #expect(second.written == "sh -c 'echo '\\''it'\\'''\\''s'\\'' $HOME'")
        #expect(ScenarioParser.shellQuoted("") == "''")
        #expect(ScenarioParser.shellQuoted("a b") == "'a b'")
        #expect(ScenarioParser.shellQuoted("http://quote:80/x") == "http://quote:80/x")
    }

    @Test func execMappingWithCommandAndTimeout() throws {
        let steps = try parseSteps(
            "  - exec: {command: sleep 10, timeout: 500ms}\n  - exec:\n      command: [sleep, \"1\"]\n      timeout: 2m\n  - exec: {command: \"true\"}\n")
        guard case .exec(let first) = steps[0].action, case .exec(let second) = steps[1].action, case .exec(let third) = steps[2].action else {
            Issue.record("not exec steps: \(steps.map(\.action))")
            return
        }
        #expect(first.arguments == ["/bin/sh", "-c", "sleep 10"] && first.timeoutMilliseconds == 500)
        #expect(second.arguments == ["sleep", "1"] && second.timeoutMilliseconds == 120_000)
        #expect(third.arguments == ["/bin/sh", "-c", "true"] && third.timeoutMilliseconds == 30_000)
    }

    @Test func execExpectations() throws {
        let steps = try parseSteps(
            """
              - exec: curl -s http://quote
                capture: body
                expect:
                  exitCode: 3
                  output: {regex: "This is .*"}
                  connectsTo: service-ip
                  servedBy: {atLeast: 2}
                  distribution: {quote-001: {max: 5}}
                  searchQueries: [quote.kiada.svc.cluster.local]
                  queries: [quote.kiada.svc.cluster.local]
                  noUnexpectedQueries: true
              - exec: hostname
                expect:
                  output: "dns-test\\n"

            """)
        let e = steps[0].expect
        #expect(e.exitCode == 3)
        #expect(e.output == .regex("This is .*"))
        #expect(e.connectsTo == .serviceIP)
        #expect(e.servedBy == .atLeast(2))
        #expect(e.distribution == [.init(pod: "quote-001", min: 0, max: 5)])
        #expect(e.searchQueries == ["quote.kiada.svc.cluster.local"])
        #expect(e.queries == ["quote.kiada.svc.cluster.local"])
        #expect(e.noUnexpectedQueries)
        #expect(steps[0].capture == "body")
        #expect(steps[1].expect.output == .text("dns-test\n"))
        #expect(steps[1].expect.exitCode == nil)
    }

    @Test(arguments: [
        ("  - exec: \"\"\n", 4, 11, "exec.command: expected a command, found an empty string"),
        ("  - exec: \"   \"\n", 4, 11, "exec.command: expected a command, found an empty string"),
        ("  - exec: []\n", 4, 11, "exec.command: expected the program and its arguments"),
        ("  - exec: [\"\", x]\n", 4, 11, "exec.command: expected the program and its arguments"),
        ("  - exec: {command: []}\n", 4, 21, "exec.command: expected the program and its arguments"),
        ("  - exec: {command: \"\"}\n", 4, 21, "exec.command: expected a command, found an empty string"),
        ("  - exec: [ls, [a]]\n", 4, 16, "exec.command: expected a string"),
        ("  - exec: {timeout: 1s}\n", 4, 11, "exec: expected a command: key (a shell command or a list of arguments)"),
        ("  - exec: {command: ls, timout: 1s}\n", 4, 25, "exec: unknown key 'timout' (did you mean 'timeout'?); expected one of command, timeout"),
        ("  - exec: {cmd: ls}\n", 4, 12, "exec: unknown key 'cmd'"),
        ("  - exec: {command: ls, timeout: 0}\n", 4, 34, "exec.timeout: expected a duration from 1ms to 10m such as 30s, 1500ms or 2m, found '0'"),
        ("  - exec: {command: ls, timeout: 11m}\n", 4, 34, "exec.timeout: expected a duration from 1ms to 10m"),
        ("  - exec: {command: ls, timeout: soon}\n", 4, 34, "found 'soon'"),
        ("  - exec: ls\n    expect:\n      exitCode: 256\n", 6, 17, "expect.exitCode: expected an integer in 0...255, found 256"),
        ("  - exec: ls\n    expect:\n      exitcode: 1\n", 6, 7, "expect: unknown key 'exitcode' (did you mean 'exitCode'?)"),
        ("  - exec: ls\n    expect:\n      output: {regex: \"[\"}\n", 6, 23, "expect.output.regex: not a valid regular expression"),
        ("  - exec: ls\n    expect:\n      output: {regx: a}\n", 6, 16, "unknown key 'regx' (did you mean 'regex'?)"),
        ("  - exec: ls\n    expext: {}\n", 5, 5, "step 1: unknown key 'expext' (did you mean 'expect'?)"),
        ("  - exec: ls\n    capture: 1st\n", 5, 14, "capture: expected a variable name (letters, digits, _), found '1st'"),
    ])
    func execRejects(steps: String, line: Int, column: Int, message: String) {
        expectError(Self.head + steps, line, column, message)
    }

    /// exec runs an unmodified program in a network namespace: the loopback plan cannot run it,
    /// and the error points at the exec step, not at the plan.
    @Test func loopbackPlanRejectsAnExecStepAtItsLocation() {
        let yaml = "cluster:\n  manifests: clusters/kiada\n  plan: loopback\nsteps:\n  - lookup: quote\n  - name: the second step\n    exec: nslookup quote\n"
        expectError(
            yaml, 6, 5, "exec: runs an unmodified program in the client pod's network namespace, which needs cluster.plan: netns (or no plan), not loopback")
    }

    @Test func planWithoutExecAndExecWithoutPlanParse() throws {
        let loopback = try parse("cluster:\n  manifests: clusters/kiada\n  plan: loopback\nsteps:\n  - lookup: quote\n")
        #expect(loopback.cluster.plan == "loopback")
        let netns = try parse("cluster:\n  manifests: clusters/kiada\n  plan: netns\nsteps:\n  - exec: nslookup quote\n  - lookup: quote\n")
        #expect(netns.cluster.plan == "netns")
        let unspecified = try parse(Self.head + "  - exec: nslookup quote\n")
        #expect(unspecified.cluster.plan == nil)
    }

    // MARK: scale

    @Test func scaleSteps() throws {
        let steps = try parseSteps(
            "  - scale: {name: web, replicas: 4}\n  - scale: {name: kiada/web, replicas: 0, kind: StatefulSet}\n  - scale:\n      name: quote\n      kind: Deployment\n      replicas: 1000\n"
        )
        guard case .scale(let first) = steps[0].action, case .scale(let second) = steps[1].action, case .scale(let third) = steps[2].action else {
            Issue.record("not scale steps: \(steps.map(\.action))")
            return
        }
        #expect(first.workload.namespace == nil && first.workload.name == "web" && first.kind == nil && first.replicas == 4)
        #expect(first.workload.location.line == 4 && first.workload.location.column == 19)
        #expect(steps[0].name == "scale web to 4")
        #expect(steps[0].kind == "scale")
        #expect(second.workload.namespace == "kiada" && second.workload.name == "web" && second.kind == .statefulSet && second.replicas == 0)
        #expect(steps[1].name == "scale kiada/web to 0")
        #expect(third.kind == .deployment && third.replicas == 1000)
    }

    @Test(arguments: [
        (
            "  - scale: {name: web, replicas: 1, kind: Statefulset}\n", 4, 43,
            "scale.kind: expected one of Deployment, ReplicaSet, StatefulSet, found 'Statefulset' (did you mean 'StatefulSet'?)"
        ),
        ("  - scale: {name: web, replicas: 1, kind: DaemonSet}\n", 4, 43, "scale.kind: expected one of Deployment, ReplicaSet, StatefulSet, found 'DaemonSet'"),
        ("  - scale: {name: web}\n", 4, 12, "scale: expected name: (a Deployment, ReplicaSet or StatefulSet) and replicas:"),
        ("  - scale: {replicas: 2}\n", 4, 12, "scale: expected name:"),
        ("  - scale: {name: web, replicas: -1}\n", 4, 34, "scale.replicas: expected an integer in 0...1000, found -1"),
        ("  - scale: {name: web, replicas: 1001}\n", 4, 34, "scale.replicas: expected an integer in 0...1000, found 1001"),
        ("  - scale: {name: web, replicas: two}\n", 4, 34, "scale.replicas: expected an integer in 0...1000"),
        ("  - scale: {name: web, replica: 2}\n", 4, 24, "scale: unknown key 'replica' (did you mean 'replicas'?)"),
        ("  - scale: web\n", 4, 12, "scale: expected a mapping with keys name, kind, replicas"),
        ("  - scale: {name: web, replicas: 2}\n    expect:\n      count: 2\n", 5, 5, "expect: a scale step changes the cluster and has no expectations"),
        ("  - scale: {name: web, replicas: 2}\n    capture: x\n", 5, 5, "capture: only lookup (first answer), http (the serving pod) and exec"),
    ])
    func scaleRejects(steps: String, line: Int, column: Int, message: String) {
        expectError(Self.head + steps, line, column, message)
    }

    // MARK: http newConnectionEachTime

    @Test func newConnectionEachTime() throws {
        let steps = try parseSteps(
            "  - http: {url: http://quote, repeat: 10, newConnectionEachTime: false}\n  - http: {url: http://quote, newConnectionEachTime: true}\n  - http: http://quote\n"
        )
        guard case .http(let kept) = steps[0].action, case .http(let fresh) = steps[1].action, case .http(let plain) = steps[2].action else {
            Issue.record("not http steps")
            return
        }
        #expect(!kept.newConnectionEachTime && kept.repeatCount == 10)
        #expect(steps[0].name == "http GET http://quote ×10 on one connection")
        #expect(fresh.newConnectionEachTime && plain.newConnectionEachTime)
        #expect(steps[1].name == "http GET http://quote")
    }

    @Test(arguments: [
        ("  - http: {url: http://quote, newConnectionEachTime: no}\n", 4, 54, "http.newConnectionEachTime: expected true or false"),
        (
            "  - http: {url: http://quote, newConnectionEachtime: false}\n", 4, 31,
            "http: unknown key 'newConnectionEachtime' (did you mean 'newConnectionEachTime'?)"
        ),
        ("  - http: {url: http://quote, keepAlive: true}\n", 4, 31, "expected one of url, repeat, newConnectionEachTime"),
    ])
    func newConnectionEachTimeRejects(steps: String, line: Int, column: Int, message: String) {
        expectError(Self.head + steps, line, column, message)
    }

    // MARK: capture

    @Test func captureOnLookupHttpAndExec() throws {
        let steps = try parseSteps(
            """
              - lookup: quote
                capture: vip
              - http: http://${vip}/
                capture: served
              - exec: echo ${served}
                capture: line
              - deletePod: ${served}
              - lookup: ${line}.kiada.svc.cluster.local.

            """)
        #expect(steps.map(\.capture) == ["vip", "served", "line", nil, nil])
        guard case .exec(let command) = steps[2].action else {
            Issue.record("step 3 is not exec")
            return
        }
        #expect(command.arguments == ["/bin/sh", "-c", "echo ${served}"])
    }

    @Test(arguments: [
        ("  - deletePod: quote-001\n    capture: x\n", "deletePod"),
        ("  - deleteService: quote\n    capture: x\n", "deleteService"),
        ("  - setReady: {pod: quote-001, ready: false}\n    capture: x\n", "setReady"),
        ("  - apply: clusters/kiada/services.yaml\n    capture: x\n", "apply"),
    ])
    func captureIsRejectedOnChanges(steps: String, kind: String) {
        expectError(
            Self.head + steps, 5, 5,
            "capture: only lookup (first answer), http (the serving pod) and exec (first line of output) steps capture a value")
    }

    // MARK: expectations per step kind

    @Test(arguments: [
        ("  - lookup: quote\n    expect:\n      exitCode: 0\n", "expect.exitCode: applies to exec steps, not to a lookup step"),
        ("  - lookup: quote\n    expect:\n      output: hi\n", "expect.output: applies to exec steps, not to a lookup step"),
        ("  - http: http://quote\n    expect:\n      exitCode: 0\n", "expect.exitCode: applies to exec steps, not to a http step"),
        ("  - http: http://quote\n    expect:\n      output: hi\n", "expect.output: applies to exec steps, not to a http step"),
        ("  - exec: ls\n    expect:\n      answers: [10.244.2.9]\n", "expect.answers: applies to lookup steps, not to a exec step"),
        ("  - exec: ls\n    expect:\n      rcode: NOERROR\n", "expect.rcode: applies to lookup steps, not to a exec step"),
        ("  - exec: ls\n    expect:\n      status: 200\n", "expect.status: applies to http steps, not to a exec step"),
        ("  - exec: ls\n    expect:\n      body: hi\n", "expect.body: applies to http steps, not to a exec step"),
        ("  - lookup: quote\n    expect:\n      connectsTo: pod-ips\n", "expect.connectsTo: applies to http and exec steps, not to a lookup step"),
        ("  - lookup: quote\n    expect:\n      servedBy: {atLeast: 1}\n", "expect.servedBy: applies to http and exec steps, not to a lookup step"),
        ("  - http: http://quote\n    expect:\n      ttl: 5\n", "expect.ttl: applies to lookup steps, not to a http step"),
    ])
    func expectationOfAnotherKindIsRejected(steps: String, message: String) {
        expectError(Self.head + steps, 6, 7, message)
    }

    @Test(arguments: ["lookup: quote", "http: http://quote", "exec: nslookup quote"])
    func queryExpectationsOnEveryKindThatQueries(action: String) throws {
        let steps = try parseSteps(
            "  - \(action)\n    expect:\n      queries: [quote.kiada.svc.cluster.local, \"quote.kiada.svc.cluster.local.\"]\n      noUnexpectedQueries: true\n      searchQueries: [a.b.]\n"
        )
        #expect(steps[0].expect.queries == ["quote.kiada.svc.cluster.local", "quote.kiada.svc.cluster.local."])
        #expect(steps[0].expect.noUnexpectedQueries)
        #expect(steps[0].expect.searchQueries == ["a.b."])
    }

    @Test func noUnexpectedQueriesDefaultsToFalse() throws {
        let steps = try parseSteps("  - lookup: quote\n    expect:\n      noUnexpectedQueries: false\n  - lookup: quote\n")
        #expect(!steps[0].expect.noUnexpectedQueries && steps[0].expect.isEmpty)
        #expect(!steps[1].expect.noUnexpectedQueries && steps[1].expect.queries == nil)
    }

    @Test(arguments: [
        ("  - lookup: quote\n    expect:\n      queries: [\"a..b\"]\n", 6, 17, "expect.queries: expected a DNS name, found 'a..b'"),
        (
            "  - lookup: quote\n    expect:\n      queries: [ok.name, \"\(String(repeating: "x", count: 64)).y\"]\n", 6, 26,
            "expect.queries: expected a DNS name"
        ),
        ("  - lookup: quote\n    expect:\n      queries: {a: b}\n", 6, 16, "expect.queries: expected a string or a list of strings"),
        ("  - lookup: quote\n    expect:\n      noUnexpectedQueries: yes\n", 6, 28, "expect.noUnexpectedQueries: expected true or false"),
        ("  - lookup: quote\n    expect:\n      noUnexpectedQuery: true\n", 6, 7, "unknown key 'noUnexpectedQuery' (did you mean 'noUnexpectedQueries'?)"),
    ])
    func queryExpectationsReject(steps: String, line: Int, column: Int, message: String) {
        expectError(Self.head + steps, line, column, message)
    }

    // MARK: client

    @Test func clientDNSPolicyConfigAndCache() throws {
        let scenario = try parse(
            """
            cluster:
              manifests: clusters/kiada
            client:
              namespace: kiada
              dnsPolicy: None
              dnsConfig:
                nameservers: [10.96.0.10, "fd00::a"]
                searches: [kiada.svc.cluster.local, svc.cluster.local]
                options:
                  - name: ndots
                    value: "2"
                  - name: edns0
              cache: true
            steps:
              - lookup: quote

            """)
        #expect(scenario.client.dnsPolicy == "None")
        #expect(scenario.client.cache)
        let config = try #require(scenario.client.dnsConfig)
        #expect(config.nameservers == ["10.96.0.10", "fd00::a"])
        #expect(config.searches == ["kiada.svc.cluster.local", "svc.cluster.local"])
        #expect(config.options.map(\.name) == ["ndots", "edns0"])
        #expect(config.options.map(\.value) == ["2", nil])
        let plain = try parse(Self.head + "  - lookup: quote\n")
        #expect(plain.client.dnsPolicy == nil && plain.client.dnsConfig == nil && !plain.client.cache)
    }

    @Test(arguments: DNSPolicy.allCases.map(\.rawValue))
    func everyDNSPolicyParses(policy: String) throws {
        let scenario = try parse("cluster:\n  manifests: clusters/kiada\nclient:\n  dnsPolicy: \(policy)\nsteps:\n  - lookup: quote\n")
        #expect(scenario.client.dnsPolicy == policy)
    }

    @Test(arguments: [
        ("  dnsConfig:\n    nameservers: [10.96.0.10, 10.96.0.300]\n", 5, 31, "client.dnsConfig.nameservers: expected an IP address, found '10.96.0.300'"),
        ("  dnsConfig:\n    nameservers: kube-dns\n", 5, 18, "client.dnsConfig.nameservers: expected an IP address, found 'kube-dns'"),
        ("  dnsConfig:\n    nameserver: [10.96.0.10]\n", 5, 5, "client.dnsConfig: unknown key 'nameserver' (did you mean 'nameservers'?)"),
        ("  dnsConfig:\n    options: ndots\n", 5, 14, "client.dnsConfig.options: expected a list of {name:, value:}"),
        ("  dnsConfig:\n    options:\n      - value: \"2\"\n", 6, 9, "client.dnsConfig.options: expected name: (ndots, timeout, attempts…)"),
        ("  dnsConfig:\n    options:\n      - {name: ndots, vaule: \"2\"}\n", 6, 23, "unknown key 'vaule' (did you mean 'value'?)"),
        (
            "  dnsPolicy: ClusterFirts\n", 4, 14,
            "client.dnsPolicy: expected one of ClusterFirst, ClusterFirstWithHostNet, Default, None, found 'ClusterFirts' (did you mean 'ClusterFirst'?)"
        ),
        ("  dnsPolicy: none\n", 4, 14, "(did you mean 'None'?)"),
        ("  dnspolicy: None\n", 4, 3, "client: unknown key 'dnspolicy' (did you mean 'dnsPolicy'?)"),
        ("  cache: yes\n", 4, 10, "client.cache: expected true or false"),
        ("  caches: true\n", 4, 3, "client: unknown key 'caches' (did you mean 'cache'?)"),
    ])
    func clientRejects(client: String, line: Int, column: Int, message: String) {
        expectError("cluster:\n  manifests: clusters/kiada\nclient:\n" + client + "steps:\n  - lookup: quote\n", line, column, message)
    }

    // MARK: cluster

    @Test func clusterCIDRsDNSServiceIPAndPlan() throws {
        let scenario = try parse(
            """
            cluster:
              manifests: clusters/kiada
              podCIDR: 10.50.0.0/16
              serviceCIDR: [10.100.0.0/16, "fd00:10:96::/112"]
              dnsServiceIP: 10.100.0.10
              plan: netns
            steps:
              - lookup: quote

            """)
        #expect(scenario.cluster.podCIDRs == ["10.50.0.0/16"])
        #expect(scenario.cluster.serviceCIDRs == ["10.100.0.0/16", "fd00:10:96::/112"])
        #expect(scenario.cluster.dnsServiceIP == "10.100.0.10")
        #expect(scenario.cluster.plan == "netns")
        let dual = try parse(
            "cluster:\n  manifests: clusters/kiada\n  podCIDR: [\"fd00:10:244::/56\", 10.244.0.0/16]\n  serviceCIDR: 10.96.0.0/12\nsteps:\n  - lookup: quote\n")
        #expect(dual.cluster.podCIDRs == ["fd00:10:244::/56", "10.244.0.0/16"])
        #expect(dual.cluster.serviceCIDRs == ["10.96.0.0/12"])
        #expect(dual.cluster.dnsServiceIP == nil && dual.cluster.plan == nil)
        let plain = try parse(Self.head + "  - lookup: quote\n")
        #expect(plain.cluster.podCIDRs.isEmpty && plain.cluster.serviceCIDRs.isEmpty)
    }

    @Test(arguments: [
        ("  podCIDR: 10.50.0.0/33\n", 3, 12, "cluster.podCIDR: expected a prefix such as 10.244.0.0/16 or fd00:10:244::/56, found '10.50.0.0/33'"),
        ("  podCIDR: 10.50.0.0\n", 3, 12, "cluster.podCIDR: expected a prefix such as 10.244.0.0/16"),
        ("  podCIDR: [10.50.0.0/16, pods]\n", 3, 27, "cluster.podCIDR: expected a prefix such as 10.244.0.0/16 or fd00:10:244::/56, found 'pods'"),
        ("  podCIDR: {v4: 10.50.0.0/16}\n", 3, 12, "cluster.podCIDR: expected a string or a list of strings"),
        (
            "  serviceCIDR: [10.100.0.0/16, 10.101.0.0/16]\n", 3, 32,
            "cluster.serviceCIDR: at most one prefix per IP family (dual-stack: one IPv4 and one IPv6)"
        ),
        ("  serviceCIDR:\n    - fd00::/108\n    - fd01::/108\n", 5, 7, "cluster.serviceCIDR: at most one prefix per IP family"),
        ("  serviceCIDR: 10.96.0.0/40\n", 3, 16, "cluster.serviceCIDR: expected a prefix"),
        ("  dnsServiceIP: kube-dns\n", 3, 17, "cluster.dnsServiceIP: expected an IP address, found 'kube-dns'"),
        ("  dnsServiceIP: 10.96.0.256\n", 3, 17, "cluster.dnsServiceIP: expected an IP address, found '10.96.0.256'"),
        ("  plan: docker\n", 3, 9, "cluster.plan: expected one of loopback, netns, found 'docker'"),
        ("  plan: netn\n", 3, 9, "cluster.plan: expected one of loopback, netns, found 'netn' (did you mean 'netns'?)"),
        ("  podCidr: 10.50.0.0/16\n", 3, 3, "cluster: unknown key 'podCidr' (did you mean 'podCIDR'?)"),
        ("  dnsServiceIp: 10.96.0.10\n", 3, 3, "cluster: unknown key 'dnsServiceIp' (did you mean 'dnsServiceIP'?)"),
    ])
    func clusterRejects(option: String, line: Int, column: Int, message: String) {
        expectError("cluster:\n  manifests: clusters/kiada\n" + option + "steps:\n  - lookup: quote\n", line, column, message)
    }

    // MARK: ${NAME} in the names of changes

    @Test func referencesInDeletePodAndScaleNames() throws {
        let steps = try parseSteps(
            """
              - http: http://quote
                capture: served
              - lookup: quote
                capture: workload
              - deletePod: ${served}
              - scale: {name: "${workload}", replicas: 2, kind: StatefulSet}
              - setReady: {pod: "${served}", ready: true}
              - deleteService: kiada/${workload}

            """)
        guard case .deletePod(let pod) = steps[2].action, case .scale(let scale) = steps[3].action,
            case .setReady(let ready, _) = steps[4].action, case .deleteService(let service) = steps[5].action
        else {
            Issue.record("unexpected actions \(steps.map(\.action))")
            return
        }
        #expect(pod.namespace == nil && pod.name == "${served}")
        #expect(pod.location.line == 8 && pod.location.column == 16)
        #expect(scale.workload.name == "${workload}" && scale.kind == .statefulSet)
        #expect(ready.name == "${served}")
        #expect(service.namespace == "kiada" && service.name == "${workload}")
        #expect(steps[2].name == "deletePod ${served}")
        // the runner expands the reference, then splits NAMESPACE/NAME as written
        let expanded = PodReference(parsing: Step.expand(pod.description, ["served": "kiada/quote-002"]), at: pod.location)
        #expect(expanded.namespace == "kiada" && expanded.name == "quote-002")
    }

    @Test(arguments: [
        (
            "  - http: http://quote\n    capture: served\n  - deletePod: ${sevred}\n", 6, 16,
            "${sevred}: no earlier step captures 'sevred' (did you mean 'served'?)"
        ),
        (
            "  - deletePod: ${served}\n  - http: http://quote\n    capture: served\n", 4, 16,
            "${served}: no earlier step captures 'served' (capture: NAME on a lookup step defines one)"
        ),
        (
            "  - lookup: quote\n    capture: app\n  - scale: {name: \"${ap}\", replicas: 1}\n", 6, 19,
            "${ap}: no earlier step captures 'ap' (did you mean 'app'?)"
        ),
        ("  - exec: echo ${x}\n", 4, 11, "${x}: no earlier step captures 'x'"),
        ("  - exec: {command: [echo, \"${x}\"], timeout: 1s}\n", 4, 28, "${x}: no earlier step captures 'x'"),
    ])
    func unknownReferenceInAChange(steps: String, line: Int, column: Int, message: String) {
        expectError(Self.head + steps, line, column, message)
    }

    // MARK: action keys

    @Test func everyActionKeyIsListedWhenAStepHasTwo() {
        expectError(
            Self.head + "  - exec: ls\n    wait: 1s\n", 4, 5,
            "step 1: expected exactly one of lookup:, http:, exec:, setReady:, deletePod:, deleteService:, apply:, scale:, wait: (found exec, wait)")
        expectError(Self.head + "  - name: nothing\n", 4, 5, "(found none)")
        expectError(Self.head + "  - exce: ls\n", 4, 5, "step 1: unknown key 'exce' (did you mean 'exec'?)")
    }
}
