import ClusterModel
import DNSWire
import Testing

@testable import Scenario

/// The repository root, from this file's path.
let repositoryRoot: String = {
    var parts = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(3)
    return parts.joined(separator: "/")
}()

/// A scenario file path inside scenarios/, so that `clusters/kiada` resolves.
let scenarioPath = repositoryRoot + "/scenarios/test.yaml"

@Suite struct ScenarioParserTests {
    @Test func editDistance() {
        #expect(NodeReader.editDistance("stepz", "steps") == 1)
        #expect(NodeReader.editDistance("", "abc") == 3)
        #expect(NodeReader.editDistance("connectTo", "connectsTo") == 1)
    }

    @Test func parsesEveryKindOfStep() throws {
        let yaml = """
            name: all steps
            cluster:
              manifests: [clusters/kiada]
              ttl: 30
              pods: insecure
              answerOrder: rotate
              seed: 42
              zones: [cluster.local, in-addr.arpa]
            client:
              namespace: kiada
              name: dns-test
              resolver: musl
            steps:
              - lookup: quote-headless
                expect:
                  rcode: NOERROR
                  answers: [10.244.2.9]
                  ordered: true
                  count: 4
                  rotates: true
                  searchQueries: [a.b.]
                  ttl: 30
                  cname: [x.y.]
                  srv: [a.quote.kiada.svc.cluster.local.]
              - name: srv
                lookup: {name: _http._tcp.quote, type: SRV, repeat: 3, transport: tcp}
              - http: {url: "http://quote:8080/x?y", repeat: 5}
                expect:
                  connectsTo: [10.96.161.97]
                  servedBy: {atLeast: 2}
                  distribution: {quote-001: {min: 1, max: 4}, kiada/quote-002: {max: 3}}
                  status: 200
                  body: {regex: "This .*"}
              - http: http://quote-headless
                expect:
                  connectsTo: pod-ips
                  servedBy: [quote-001, kiada/quote-002]
                  body: "hello"
              - setReady: {pod: kiada/quote-canary, ready: false}
              - deletePod: quote-003
              - deleteService: kiada/quote
            """
        let scenario = try ScenarioParser().parse(yaml: yaml, file: scenarioPath, displayPath: "scenarios/test.yaml")
        #expect(scenario.name == "all steps")
        #expect(scenario.displayPath == "scenarios/test.yaml")
        #expect(scenario.cluster.manifests == [repositoryRoot + "/scenarios/clusters/kiada"])
        #expect(scenario.cluster.ttl == 30)
        #expect(scenario.cluster.pods == "insecure")
        #expect(scenario.cluster.answerOrder == "rotate")
        #expect(scenario.cluster.seed == 42)
        #expect(scenario.cluster.zones == ["cluster.local", "in-addr.arpa"])
        #expect(scenario.client.namespace == "kiada")
        #expect(scenario.client.resolver == "musl")
        #expect(scenario.steps.count == 7)
        guard case .lookup(let lookup) = scenario.steps[0].action else {
            Issue.record("step 1 is not a lookup")
            return
        }
        #expect(lookup.name == "quote-headless" && lookup.type == .a && lookup.repeatCount == 1)
        #expect(scenario.steps[0].name == "lookup quote-headless A")
        #expect(scenario.steps[0].location.line == 14 && scenario.steps[0].location.column == 5)
        let e = scenario.steps[0].expect
        #expect(e.rcode == .noError && e.answers == ["10.244.2.9"] && e.ordered && e.count == 4 && e.rotates == true && e.searchQueries == ["a.b."])
        guard case .lookup(let srv) = scenario.steps[1].action else {
            Issue.record("step 2 is not a lookup")
            return
        }
        #expect(srv.type == .srv && srv.repeatCount == 3 && srv.transport == "tcp")
        #expect(lookup.transport == "udp")
        #expect(scenario.steps[1].name == "srv")
        guard case .http(let fetch) = scenario.steps[2].action else {
            Issue.record("step 3 is not http")
            return
        }
        #expect(fetch.host == "quote" && fetch.port == 8080 && fetch.path == "/x?y" && fetch.repeatCount == 5)
        #expect(scenario.steps[2].expect.connectsTo == .addresses(["10.96.161.97"]))
        #expect(scenario.steps[2].expect.servedBy == .atLeast(2))
        #expect(scenario.steps[2].expect.distribution == [.init(pod: "quote-001", min: 1, max: 4), .init(pod: "kiada/quote-002", min: 0, max: 3)])
        #expect(scenario.steps[2].expect.body == .regex("This .*"))
        #expect(scenario.steps[3].expect.connectsTo == .podIPs)
        #expect(scenario.steps[3].expect.servedBy == .exactly(["quote-001", "kiada/quote-002"]))
        #expect(scenario.steps[3].expect.body == .text("hello"))
        guard case .setReady(let pod, let ready) = scenario.steps[4].action, case .deletePod(let deleted) = scenario.steps[5].action else {
            Issue.record("steps 5 and 6 are not cluster changes")
            return
        }
        #expect(pod.namespace == "kiada" && pod.name == "quote-canary" && !ready)
        #expect(deleted.namespace == nil && deleted.name == "quote-003")
        #expect(e.ttl == 30 && e.cname == ["x.y."] && e.srv == ["a.quote.kiada.svc.cluster.local."])
        guard case .deleteService(let service) = scenario.steps[6].action else {
            Issue.record("step 7 is not deleteService")
            return
        }
        #expect(service.namespace == "kiada" && service.name == "quote")
        #expect(scenario.steps[6].kind == "deleteService")
    }

    @Test func everyShippedScenarioParses() throws {
        let files = try ScenarioFiles.expand([repositoryRoot + "/scenarios"])
        #expect(files.count >= 8)
        #expect(!files.contains { $0.contains("/clusters/") })
        for file in files {
            let scenario = try ScenarioParser().parse(file: file)
            #expect(!scenario.steps.isEmpty, "\(file)")
        }
    }

    /// Invalid scenarios: the exact line and column, and the message.
    @Test(arguments: [
        // unknown top-level key with a did-you-mean
        ("cluster:\n  manifests: clusters/kiada\nstep:\n  - lookup: quote\n", 3, 1, "unknown key 'step' (did you mean 'steps'?)"),
        // unknown expectation key
        (
            "cluster:\n  manifests: clusters/kiada\nsteps:\n  - lookup: quote\n    expect:\n      answer: [1.2.3.4]\n", 6, 7,
            "unknown key 'answer' (did you mean 'answers'?)"
        ),
        (
            "cluster:\n  manifests: clusters/kiada\nsteps:\n  - http: http://quote\n    expect:\n      connectTo: pod-ips\n", 6, 7,
            "(did you mean 'connectsTo'?)"
        ),
        // a lookup expectation on an http step
        (
            "cluster:\n  manifests: clusters/kiada\nsteps:\n  - http: http://quote\n    expect:\n      answers: [1.2.3.4]\n", 6, 7,
            "expect.answers: applies to lookup steps, not to a http step"
        ),
        // bad values
        ("cluster:\n  manifests: clusters/kiada\nsteps:\n  - lookup: {name: quote, type: QQQ}\n", 4, 33, "lookup.type: expected a DNS type"),
        (
            "cluster:\n  manifests: clusters/kiada\nsteps:\n  - lookup:\n      name: quote\n      repeat: many\n", 6, 15,
            "lookup.repeat: expected an integer in 1...1000"
        ),
        ("cluster:\n  manifests: clusters/kiada\nsteps:\n  - lookup: quote\n    expect:\n      rcode: NOPE\n", 6, 14, "expect.rcode: expected an rcode"),
        ("cluster:\n  manifests: clusters/kiada\nsteps:\n  - http: ftp://quote\n", 4, 11, "http.url: expected http://HOST[:PORT][/PATH]"),
        ("cluster:\n  manifests: clusters/kiada\nsteps:\n  - http: http://quote\n    expect:\n      connectsTo: pod-ip\n", 6, 19, "(did you mean 'pod-ips'?)"),
        (
            "cluster:\n  manifests: clusters/kiada\nsteps:\n  - http: http://quote\n    expect:\n      body: {regex: \"(\"}\n", 6, 21,
            "expect.body.regex: not a valid regular expression"
        ),
        (
            "cluster:\n  manifests: clusters/kiada\nsteps:\n  - http: http://quote\n    expect:\n      distribution:\n        quote-001: {min: 5, max: 2}\n", 7,
            20, "expect.distribution.quote-001: min 5 is above max 2"
        ),
        (
            "cluster:\n  manifests: clusters/kiada\nsteps:\n  - http: http://quote\n    expect:\n      distribution:\n        quote-001: {mni: 5}\n", 7, 21,
            "unknown key 'mni' (did you mean 'min'?)"
        ),
        (
            "cluster:\n  manifests: clusters/kiada\nsteps:\n  - lookup: quote\n    capture: vip\n  - http: http://${vpi}/\n", 6, 11,
            "${vpi}: no earlier step captures 'vpi' (did you mean 'vip'?)"
        ),
        (
            "cluster:\n  manifests: clusters/kiada\nsteps:\n  - lookup: quote\n    expect:\n      answers: [\"${vip}\"]\n    capture: vip\n", 6, 17,
            "${vip}: no earlier step captures 'vip'"
        ),
        (
            "cluster:\n  manifests: clusters/kiada\nsteps:\n  - deletePod: quote-001\n    capture: x\n", 5, 5,
            "capture: only lookup (first answer), http (the serving pod) and exec (first line of output) steps capture a value"
        ),
        ("cluster:\n  manifests: clusters/kiada\nsteps:\n  - lookup: quote\n    capture: 9lives\n", 5, 14, "capture: expected a variable name"),
        ("cluster:\n  manifests: clusters/kiada\nsteps:\n  - apply: clusters/nowhere.yaml\n", 4, 12, "apply: no file or directory 'clusters/nowhere.yaml'"),
        (
            "cluster:\n  inline: \"apiVersion: v1\\nkind: Namespace\\nmetadata: {name: a}\\n\"\nsteps:\n  - apply: clusters/kiada\n", 4, 5,
            "apply: needs a cluster given by cluster.manifests"
        ),
        ("cluster:\n  manifests: clusters/kiada\n  ttl: 4000\nsteps:\n  - lookup: quote\n", 3, 8, "cluster.ttl: expected an integer in 0...3600, found 4000"),
        ("cluster:\n  manifests: []\nsteps:\n  - lookup: quote\n", 2, 14, "cluster.manifests: expected a path or a list of paths, found an empty list"),
        ("cluster:\n  manifests: \"\"\nsteps:\n  - lookup: quote\n", 2, 14, "cluster.manifests: expected a path (a file or directory), found an empty string"),
        ("cluster:\n  manifests: clusters/kiada\nsteps:\n  - apply: []\n", 4, 12, "apply: expected a path or a list of paths, found an empty list"),
        ("cluster:\n  manifests: clusters/kiada\nsteps:\n  - wait: 1 5s\n", 4, 11, "wait: expected a duration"),
        ("cluster:\n  manifests: clusters/kiada\nsteps:\n  - wait: 1e3ms\n", 4, 11, "wait: expected a duration"),
        ("cluster:\n  manifests: clusters/kiada\nsteps:\n  - http: http://a:b:80/\n", 4, 11, "http.url: expected http://HOST[:PORT][/PATH]"),
        // structure
        ("cluster:\n  manifests: clusters/nowhere\nsteps:\n  - lookup: quote\n", 2, 14, "cluster.manifests: no file or directory 'clusters/nowhere'"),
        (
            "cluster:\n  manifests: clusters/kiada\nsteps:\n  - lookup: quote\n    http: http://quote\n", 4, 5,
            "expected exactly one of lookup:, http:, exec:, setReady:, deletePod:, deleteService:, apply:, scale:, wait: (found lookup, http)"
        ),
        (
            "cluster:\n  manifests: clusters/kiada\nsteps:\n  - deletePod: quote-001\n    expect:\n      count: 1\n", 5, 5,
            "a deletePod step changes the cluster and has no expectations"
        ),
        ("cluster:\n  manifests: clusters/kiada\nsteps: []\n", 3, 8, "steps: expected a non-empty list of steps"),
        ("steps:\n  - lookup: quote\n", 1, 1, "expected a cluster: key"),
        ("cluster:\n  manifests: clusters/kiada\nsteps:\n  - lookup: [quote\n", 5, 1, "invalid YAML"),
    ])
    func invalidScenarioIsReportedAtLineAndColumn(yaml: String, line: Int, column: Int, message: String) {
        do {
            _ = try ScenarioParser().parse(yaml: yaml, file: scenarioPath)
            Issue.record("parsed, but expected \(line):\(column): \(message)")
        } catch let error as ScenarioError {
            #expect(error.location.line == line && error.location.column == column, "\(error)")
            #expect(error.reason.contains(message), "\(error)")
            #expect(error.description.hasPrefix("\(scenarioPath):\(line):\(column): "))
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func captureAndReferences() throws {
        let yaml =
            "cluster:\n  manifests: clusters/kiada\nsteps:\n  - lookup: quote-headless\n    capture: podIP\n  - http: http://${podIP}:8080/\n    expect:\n      connectsTo: [\"${podIP}\"]\n"
        let scenario = try ScenarioParser().parse(yaml: yaml, file: scenarioPath)
        #expect(scenario.steps[0].capture == "podIP")
        #expect(scenario.steps[1].expect.connectsTo == .addresses(["${podIP}"]))
        #expect(Step.references(in: "a ${x} b ${y_2}") == ["x", "y_2"])
        #expect(Step.expand("http://${ip}:80/${ip}", ["ip": "10.244.2.9"]) == "http://10.244.2.9:80/10.244.2.9")
    }

    @Test func urlsParseAsCurlWould() {
        #expect(ScenarioParser.parseURL("http://quote") == Step.HTTPFetch(url: "http://quote", host: "quote", port: 80, path: "/"))
        #expect(
            ScenarioParser.parseURL("http://10.96.161.97:8080/a/b")
                == Step.HTTPFetch(url: "http://10.96.161.97:8080/a/b", host: "10.96.161.97", port: 8080, path: "/a/b"))
        #expect(ScenarioParser.parseURL("https://quote") == nil)
        #expect(ScenarioParser.parseURL("http://quote:0") == nil)
        #expect(ScenarioParser.parseURL("http://:80") == nil)
    }
}
