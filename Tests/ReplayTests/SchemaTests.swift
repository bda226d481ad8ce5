import Foundation
import Replay
import Scenario
import Testing

/// `docs/schemas`: every scenario in `scenarios/` validates against scenario.schema.json, and the
/// golden report and a report rendered with `--timings` against report.schema.json, checked with
/// python3's jsonschema (draft 2020-12). Documents that must not validate fail with the
/// validator's message; for scenario snippets the schema's verdict is compared with
/// ScenarioParser's, so the schema keeps up with the parser.
struct SchemaTests {
    static let scenarioSchema = repositoryRoot + "/docs/schemas/scenario.schema.json"
    static let reportSchema = repositoryRoot + "/docs/schemas/report.schema.json"

    /// `scenarios/*.yaml` and `scenarios/netns/*.yaml`, repository-relative, in name order.
    static let scenarioFiles: [String] = ["scenarios", "scenarios/netns"].flatMap { directory in
        let names = (try? FileManager.default.contentsOfDirectory(atPath: repositoryRoot + "/" + directory)) ?? []
        return names.filter { $0.hasSuffix(".yaml") }.sorted().map { directory + "/" + $0 }
    }

    @Test func scenarioDirectoriesAreFound() {
        #expect(SchemaTests.scenarioFiles.count >= 18, "found \(SchemaTests.scenarioFiles)")
        #expect(SchemaTests.scenarioFiles.contains("scenarios/netns/01-unmodified-clients.yaml"))
    }

    @Test(arguments: scenarioFiles) func scenarioValidates(_ file: String) throws {
        let result = try SchemaValidator.validate(.yaml, file: repositoryRoot + "/" + file, schema: SchemaTests.scenarioSchema)
        #expect(result.valid, "\(file) does not validate against docs/schemas/scenario.schema.json:\n\(result.output)")
    }

    @Test func goldenReportValidates() throws {
        let result = try SchemaValidator.validate(.json, file: goldenPath, schema: SchemaTests.reportSchema)
        #expect(result.valid, "the golden report does not validate against docs/schemas/report.schema.json:\n\(result.output)")
    }

    /// Runs in-process in loopback block 61: an http scenario (distribution), a cluster-IP one and
    /// one whose expectations fail, with timings.
    @Test func reportWithTimingsValidates() async throws {
        var options = ReplayOptions()
        options.loopbackBlock = 61
        options.timings = true
        let report = try await ScenarioRunner(options: options).run(
            try scenarios([
                "scenarios/04-curl-headless.yaml", "scenarios/05-curl-cluster-ip.yaml", "Tests/ReplayTests/Fixtures/wrong/headless-answers.yaml",
            ]))
        let json = ReportFormat.json.render(report)
        #expect(json.contains("\"timing\": {"), "no timing in the report:\n\(json)")
        #expect(json.contains("\"distribution\": {"), "no distribution in the report:\n\(json)")
        #expect(!report.passed, "the wrong fixture should fail its step")
        let result = try SchemaValidator.validate(.json, text: json, schema: SchemaTests.reportSchema)
        #expect(result.valid, "a report with timings does not validate against docs/schemas/report.schema.json:\n\(result.output)\n\(json)")
    }

    /// A report that does not validate, with a fragment of the validator's message.
    struct InvalidReport: CustomTestStringConvertible, Sendable {
        var label: String
        var json: String
        var message: String
        var testDescription: String { label }
    }

    static let invalidReports = [
        InvalidReport(label: "missing passed", json: #"{"schemaVersion": 1, "scenarios": []}"#, message: "'passed' is a required property"),
        InvalidReport(label: "schema version 2", json: #"{"schemaVersion": 2, "passed": true, "scenarios": []}"#, message: "1 was expected"),
        InvalidReport(
            label: "seed as a number",
            json: #"{"schemaVersion": 1, "passed": true, "scenarios": [{"name": "n", "file": "f", "seed": 1, "passed": true, "steps": []}]}"#,
            message: "is not of type 'string'"),
        InvalidReport(
            label: "timing without details",
            json: #"""
                {"schemaVersion": 1, "passed": true, "scenarios": [{"name": "n", "file": "f", "seed": "1", "passed": true, "steps": [
                  {"index": 1, "name": "s", "kind": "lookup", "line": 3, "passed": true, "observations": [], "timing": {"microseconds": 5}, "checks": []}]}]}
                """#,
            message: "'details' is a required property"),
        InvalidReport(
            label: "distribution count as text",
            json: #"""
                {"schemaVersion": 1, "passed": true, "scenarios": [{"name": "n", "file": "f", "seed": "1", "passed": true, "steps": [
                  {"index": 1, "name": "s", "kind": "http", "line": 3, "passed": true, "observations": [], "distribution": {"kiada/quote-001": "3"}, "checks": []}]}]}
                """#,
            message: "is not of type 'integer'"),
        InvalidReport(
            label: "passed although a check failed",
            json: #"""
                {"schemaVersion": 1, "passed": true, "scenarios": [{"name": "n", "file": "f", "seed": "1", "passed": true, "steps": [
                  {"index": 1, "name": "s", "kind": "lookup", "line": 3, "passed": true, "observations": [],
                   "checks": [{"expectation": "rcode", "passed": false, "expected": ["NOERROR"], "actual": ["NXDOMAIN"]}]}]}]}
                """#,
            message: "True was expected"),
    ]

    @Test(arguments: invalidReports) func invalidReportFails(_ report: InvalidReport) throws {
        let result = try SchemaValidator.validate(.json, text: report.json, schema: SchemaTests.reportSchema)
        #expect(!result.valid, "validated although it should not: \(report.json)")
        #expect(result.output.contains(report.message), "expected a message containing \(report.message), got:\n\(result.output)")
    }

    /// A scenario snippet, the verdict both the parser and the schema must give, and for invalid
    /// ones a fragment of the validator's message.
    struct Snippet: CustomTestStringConvertible, Sendable {
        var label: String
        var yaml: String
        var valid: Bool
        var message: String = ""
        var testDescription: String { label }
    }

    /// `cluster:` and `steps:` around a step (indented as a list item).
    static func scenario(cluster: String = "manifests: clusters/kiada", client: String? = nil, steps: String) -> String {
        "cluster:\n  " + cluster.replacing("\n", with: "\n  ") + "\n" + (client.map { "client:\n  " + $0.replacing("\n", with: "\n  ") + "\n" } ?? "")
            + "steps:\n" + steps
    }

    static let snippets: [Snippet] = [
        // must fail (the brief's three, and more shapes the parser refuses)
        Snippet(
            label: "unknown key in expect", yaml: scenario(steps: "  - lookup: quote-headless\n    expect: {anwsers: [10.244.2.9]}\n"), valid: false,
            message: "'anwsers' was unexpected"),
        Snippet(
            label: "lookup with expect.exitCode", yaml: scenario(steps: "  - lookup: quote-headless\n    expect: {exitCode: 0}\n"), valid: false,
            message: "'exitCode' was unexpected"),
        Snippet(
            label: "http with expect.rcode", yaml: scenario(steps: "  - http: http://quote\n    expect: {rcode: NOERROR}\n"), valid: false,
            message: "'rcode' was unexpected"),
        Snippet(
            label: "exec with expect.status", yaml: scenario(steps: "  - exec: curl http://quote\n    expect: {status: 200}\n"), valid: false,
            message: "'status' was unexpected"),
        Snippet(label: "unknown top-level key", yaml: scenario(steps: "  - lookup: quote\n") + "seed: 3\n", valid: false, message: "'seed' was unexpected"),
        Snippet(label: "no steps", yaml: scenario(steps: "  []\n"), valid: false, message: "[]"),
        Snippet(label: "two actions", yaml: scenario(steps: "  - lookup: quote\n    http: http://quote\n"), valid: false, message: "is valid under each of"),
        Snippet(label: "no action", yaml: scenario(steps: "  - name: nothing\n"), valid: false, message: "is not valid under any of"),
        Snippet(
            label: "duration with a blank inside", yaml: scenario(steps: "  - wait: 1 5s\n"), valid: false,
            message: "is not valid under any of the given schemas"),
        Snippet(
            label: "duration with an exponent", yaml: scenario(steps: "  - wait: 1e3ms\n"), valid: false, message: "is not valid under any of the given schemas"
        ),
        Snippet(
            label: "hexadecimal duration", yaml: scenario(steps: "  - wait: 0x10s\n"), valid: false, message: "is not valid under any of the given schemas"),
        Snippet(label: "empty manifests", yaml: scenario(cluster: "manifests: []", steps: "  - lookup: quote\n"), valid: false, message: "[]"),
        Snippet(
            label: "expect on a change step", yaml: scenario(steps: "  - deletePod: kiada/quote-001\n    expect: {rcode: NOERROR}\n"), valid: false,
            message: "False schema does not allow"),
        Snippet(
            label: "capture on wait", yaml: scenario(steps: "  - wait: 5s\n    capture: x\n"), valid: false, message: "False schema does not allow"),
        Snippet(label: "ttl out of range", yaml: scenario(cluster: "manifests: clusters/kiada\nttl: 3601", steps: "  - lookup: quote\n"), valid: false),
        Snippet(label: "repeat 0", yaml: scenario(steps: "  - lookup: {name: quote, repeat: 0}\n"), valid: false),
        Snippet(label: "unknown DNS type", yaml: scenario(steps: "  - lookup: {name: quote, type: AAAAA}\n"), valid: false),
        Snippet(label: "https URL", yaml: scenario(steps: "  - http: https://quote\n"), valid: false),
        Snippet(label: "URL port 0", yaml: scenario(steps: "  - http: http://quote:0/\n"), valid: false),
        Snippet(
            label: "servedBy with both bounds", yaml: scenario(steps: "  - http: http://quote\n    expect: {servedBy: {atLeast: 1, atMost: 2}}\n"), valid: false
        ),
        Snippet(label: "servedBy some", yaml: scenario(steps: "  - http: http://quote\n    expect: {servedBy: some}\n"), valid: false),
        Snippet(label: "connectsTo a single address", yaml: scenario(steps: "  - http: http://quote\n    expect: {connectsTo: 10.96.0.1}\n"), valid: false),
        Snippet(label: "connectsTo a name", yaml: scenario(steps: "  - http: http://quote\n    expect: {connectsTo: [quote]}\n"), valid: false),
        Snippet(
            label: "empty distribution bounds", yaml: scenario(steps: "  - http: http://quote\n    expect: {distribution: {quote-001: {}}}\n"), valid: false),
        Snippet(label: "exitCode 256", yaml: scenario(steps: "  - exec: 'true'\n    expect: {exitCode: 256}\n"), valid: false),
        Snippet(label: "exec empty list", yaml: scenario(steps: "  - exec: []\n"), valid: false),
        Snippet(label: "exec timeout above 10m", yaml: scenario(steps: "  - exec: {command: 'true', timeout: 601}\n"), valid: false),
        Snippet(
            label: "exec in the loopback plan", yaml: scenario(cluster: "manifests: clusters/kiada\nplan: loopback", steps: "  - exec: 'true'\n"), valid: false),
        Snippet(label: "wait of zero", yaml: scenario(steps: "  - wait: 0\n"), valid: false),
        Snippet(label: "wait with a unit typo", yaml: scenario(steps: "  - wait: 5sec\n"), valid: false),
        Snippet(label: "scale without replicas", yaml: scenario(steps: "  - scale: {name: quote}\n"), valid: false),
        Snippet(label: "scale of a DaemonSet", yaml: scenario(steps: "  - scale: {name: quote, replicas: 2, kind: DaemonSet}\n"), valid: false),
        Snippet(label: "setReady yes", yaml: scenario(steps: "  - setReady: {pod: quote-001, ready: yes}\n"), valid: false),
        Snippet(
            label: "both manifests and inline", yaml: scenario(cluster: "manifests: clusters/kiada\ninline: 'a: b'", steps: "  - lookup: quote\n"), valid: false
        ),
        Snippet(label: "neither manifests nor inline", yaml: scenario(cluster: "ttl: 5", steps: "  - lookup: quote\n"), valid: false),
        Snippet(label: "apply with an inline cluster", yaml: scenario(cluster: "inline: 'a: b'", steps: "  - apply: clusters/kiada\n"), valid: false),
        Snippet(
            label: "two IPv4 pod CIDRs",
            yaml: scenario(cluster: "manifests: clusters/kiada\npodCIDR: [10.1.0.0/16, 10.2.0.0/16]", steps: "  - lookup: quote\n"), valid: false),
        Snippet(
            label: "CIDR prefix 33", yaml: scenario(cluster: "manifests: clusters/kiada\nserviceCIDR: 10.96.0.0/33", steps: "  - lookup: quote\n"), valid: false
        ),
        Snippet(
            label: "dnsServiceIP with a leading zero",
            yaml: scenario(cluster: "manifests: clusters/kiada\ndnsServiceIP: 10.96.0.010", steps: "  - lookup: quote\n"), valid: false),
        Snippet(label: "unknown dnsPolicy", yaml: scenario(client: "dnsPolicy: ClusterFirstWithHostnet", steps: "  - lookup: quote\n"), valid: false),
        Snippet(
            label: "dnsConfig options as a mapping", yaml: scenario(client: "dnsConfig: {options: {ndots: 2}}", steps: "  - lookup: quote\n"), valid: false),
        Snippet(label: "capture of a number", yaml: scenario(steps: "  - lookup: quote\n    capture: 1st\n"), valid: false),
        Snippet(label: "rcode typo", yaml: scenario(steps: "  - lookup: quote\n    expect: {rcode: NXDOMIAN}\n"), valid: false),
        Snippet(label: "empty lookup name", yaml: scenario(steps: "  - lookup: ''\n"), valid: false),
        // must validate
        Snippet(
            label: "every lookup expectation",
            yaml: scenario(
                steps: """
                      - lookup: {name: quote-headless, type: a, repeat: 3, transport: tcp}
                        capture: first
                        expect: {rcode: noerror, answers: [10.244.2.9], ordered: true, count: 1, rotates: false, searchQueries: x.kiada.svc.cluster.local,
                                 ttl: 5, cname: [], srv: [a.], queries: [quote-headless.kiada.svc.cluster.local.], noUnexpectedQueries: true}
                      - lookup: {name: _http._tcp.quote.kiada.svc.cluster.local., type: TYPE33}
                        expect: {rcode: RCODE23, queries: ["${first}"], answers: "${first}"}

                    """),
            valid: true),
        Snippet(
            label: "every http expectation",
            yaml: scenario(
                steps: """
                      - http: {url: "http://quote.kiada:8080/x?y", repeat: 20, newConnectionEachTime: false}
                        capture: served
                        expect: {connectsTo: [10.96.161.97, "fd00::1"], servedBy: {atMost: 1}, distribution: {quote-001: {min: 1}, kiada/quote-002: {max: 3}},
                                 status: 200, body: {regex: ".*"}, searchQueries: [], queries: quote.kiada.svc.cluster.local, noUnexpectedQueries: false}
                      - http: http://quote
                        expect: {servedBy: ["${served}"], connectsTo: service-ip, body: plain text}
                      - http: http://quote
                        expect: {servedBy: all, connectsTo: pod-ips}
                      - http: http://quote
                        expect: {servedBy: {atLeast: 2}}

                    """),
            valid: true),
        Snippet(
            label: "every exec form and expectation",
            yaml: scenario(
                steps: """
                      - exec: curl -s http://quote
                        capture: line
                        expect: {exitCode: 0, output: {regex: "(?s).*"}, connectsTo: [10.96.161.97], servedBy: [quote-001], distribution: {quote-001: {min: 0, max: 8}},
                                 searchQueries: [a.b], queries: [], noUnexpectedQueries: true}
                      - exec: [nslookup, quote-headless.kiada]
                        expect: {connectsTo: ["${line}"], output: "${line}"}
                      - exec: {command: [getent, hosts, quote], timeout: 1500ms}
                        expect: {output: "10.96.161.97    quote.kiada.svc.cluster.local"}
                      - exec: {command: "sleep 1", timeout: 10}

                    """),
            valid: true),
        Snippet(
            label: "every change step",
            yaml: scenario(
                steps: """
                      - setReady: {pod: kiada/quote-001, ready: false}
                      - deletePod: quote-002
                      - deleteService: kiada/quote
                      - apply: [clusters/kiada]
                      - scale: {name: kiada/quote, replicas: 0, kind: Deployment}
                      - wait: 31s
                      - wait: 1.5
                      - wait: 2m
                      - name: a day
                        wait: 24h

                    """),
            valid: true),
        Snippet(
            label: "every cluster and client key",
            yaml: scenario(
                cluster: """
                    manifests: [clusters/kiada]
                    ttl: 0
                    zones: [cluster.local, in-addr.arpa]
                    pods: verified
                    answerOrder: rotate
                    seed: 18446744073709551615
                    podCIDR: [10.244.0.0/16, "fd00:10:244::/56"]
                    serviceCIDR: 10.96.0.0/12
                    dnsServiceIP: 10.96.0.10
                    plan: netns
                    upstream: |
                      example.com. 30 IN A 192.0.2.1
                      www.example.com. CNAME example.com.
                    """,
                client: """
                    namespace: kiada
                    name: dns-test
                    resolver: musl
                    dnsPolicy: None
                    dnsConfig: {nameservers: 10.96.0.10, searches: [kiada.svc.cluster.local], options: [{name: ndots, value: 2}, {name: edns0}]}
                    cache: true
                    """,
                steps: "  - exec: 'true'\n") + "name: 42\ndescription: every key\n",
            valid: true),
        Snippet(
            label: "inline cluster",
            yaml: scenario(cluster: "inline: |\n  apiVersion: v1\n  kind: Namespace\n  metadata: {name: a}", steps: "  - lookup: kubernetes.default\n"),
            valid: true),
    ]

    @Test(arguments: snippets) func schemaAgreesWithParser(_ snippet: Snippet) throws {
        let file = repositoryRoot + "/scenarios/schema-snippet.yaml"
        var parserError: String?
        do {
            _ = try ScenarioParser().parse(yaml: snippet.yaml, file: file)
        } catch {
            parserError = "\(error)"
        }
        #expect((parserError == nil) == snippet.valid, "ScenarioParser: \(parserError ?? "accepted")\n\(snippet.yaml)")
        let result = try SchemaValidator.validate(.yaml, text: snippet.yaml, schema: SchemaTests.scenarioSchema)
        #expect(
            result.valid == snippet.valid,
            "schema verdict \(result.valid ? "valid" : "invalid"), parser: \(parserError ?? "accepted"):\n\(result.output)\n\(snippet.yaml)")
        if !snippet.message.isEmpty {
            #expect(result.output.contains(snippet.message), "expected a message containing \(snippet.message), got:\n\(result.output)")
        }
    }
}

/// The keys ScenarioParser accepts in each mapping, read from its unknown-key errors ("expected
/// one of …"), are exactly the schema's properties at that place: a key added to the parser and
/// not to the schema (or the reverse) fails here.
struct SchemaKeyTests {
    /// A mapping of the scenario with an unknown key in it, and where the schema lists its keys
    /// (JSON pointers whose `properties` together are the keys).
    struct Place: CustomTestStringConvertible, Sendable {
        var label: String
        var yaml: String
        var pointers: [String]
        var testDescription: String { label }
    }

    static let lookup = "steps:\n  - lookup: quote\n"
    static let kiada = "cluster: {manifests: clusters/kiada}\n"

    static let places: [Place] = [
        Place(label: "top level", yaml: kiada + lookup + "zzzz: 1\n", pointers: ["/properties"]),
        Place(label: "cluster", yaml: "cluster: {manifests: clusters/kiada, zzzz: 1}\n" + lookup, pointers: ["/properties/cluster/properties"]),
        Place(label: "client", yaml: kiada + "client: {zzzz: 1}\n" + lookup, pointers: ["/properties/client/properties"]),
        Place(
            label: "client.dnsConfig", yaml: kiada + "client: {dnsConfig: {zzzz: 1}}\n" + lookup,
            pointers: ["/properties/client/properties/dnsConfig/properties"]),
        Place(
            label: "client.dnsConfig.options item", yaml: kiada + "client: {dnsConfig: {options: [{name: ndots, zzzz: 1}]}}\n" + lookup,
            pointers: ["/properties/client/properties/dnsConfig/properties/options/items/properties"]),
        Place(label: "step", yaml: kiada + "steps:\n  - {lookup: quote, zzzz: 1}\n", pointers: ["/$defs/step/properties"]),
        Place(label: "lookup", yaml: kiada + "steps:\n  - lookup: {name: quote, zzzz: 1}\n", pointers: ["/$defs/lookup/anyOf/1/properties"]),
        Place(label: "http", yaml: kiada + "steps:\n  - http: {url: http://quote, zzzz: 1}\n", pointers: ["/$defs/http/anyOf/1/properties"]),
        Place(label: "exec", yaml: kiada + "steps:\n  - exec: {command: 'true', zzzz: 1}\n", pointers: ["/$defs/exec/anyOf/1/properties"]),
        Place(label: "setReady", yaml: kiada + "steps:\n  - setReady: {pod: quote-001, ready: false, zzzz: 1}\n", pointers: ["/$defs/setReady/properties"]),
        Place(label: "scale", yaml: kiada + "steps:\n  - scale: {name: quote, replicas: 1, zzzz: 1}\n", pointers: ["/$defs/scale/properties"]),
        Place(
            label: "expect (any kind)", yaml: kiada + "steps:\n  - lookup: quote\n    expect: {zzzz: 1}\n",
            pointers: ["/$defs/lookupExpect/properties", "/$defs/httpExpect/properties", "/$defs/execExpect/properties"]),
        Place(
            label: "lookup expect", yaml: kiada + "steps:\n  - lookup: quote\n    expect: {status: 200}\n", pointers: ["/$defs/lookupExpect/properties"]),
        Place(
            label: "http expect", yaml: kiada + "steps:\n  - http: http://quote\n    expect: {rcode: NOERROR}\n", pointers: ["/$defs/httpExpect/properties"]),
        Place(
            label: "exec expect", yaml: kiada + "steps:\n  - exec: 'true'\n    expect: {rcode: NOERROR}\n", pointers: ["/$defs/execExpect/properties"]),
        Place(
            label: "servedBy", yaml: kiada + "steps:\n  - http: http://quote\n    expect: {servedBy: {zzzz: 1}}\n",
            pointers: ["/$defs/servedBy/anyOf/2/properties", "/$defs/servedBy/anyOf/3/properties"]),
        Place(
            label: "distribution bounds", yaml: kiada + "steps:\n  - http: http://quote\n    expect: {distribution: {quote-001: {zzzz: 1}}}\n",
            pointers: ["/$defs/distribution/additionalProperties/properties"]),
        Place(
            label: "body regex", yaml: kiada + "steps:\n  - http: http://quote\n    expect: {body: {zzzz: 1}}\n", pointers: ["/$defs/match/anyOf/1/properties"]),
    ]

    @Test(arguments: places) func parserKeysAreSchemaProperties(_ place: Place) throws {
        var reason = ""
        do {
            _ = try ScenarioParser().parse(yaml: place.yaml, file: repositoryRoot + "/scenarios/schema-keys.yaml")
        } catch let error as ScenarioError {
            reason = error.reason
        }
        let marker = "expected one of "
        guard let range = reason.range(of: marker, options: .backwards) else {
            Issue.record("the parser did not list the keys it expects: '\(reason)'\n\(place.yaml)")
            return
        }
        let parserKeys = Set(reason[range.upperBound...].split(separator: ", ").map(String.init))
        let data = try Data(contentsOf: URL(fileURLWithPath: SchemaTests.scenarioSchema))
        let schema = try JSONSerialization.jsonObject(with: data)
        var schemaKeys: Set<String> = []
        for pointer in place.pointers {
            var node: Any? = schema
            for token in pointer.split(separator: "/") {
                if let object = node as? [String: Any] {
                    node = object[String(token)]
                } else if let array = node as? [Any], let index = Int(token), array.indices.contains(index) {
                    node = array[index]
                } else {
                    node = nil
                }
            }
            guard let properties = node as? [String: Any] else {
                Issue.record("docs/schemas/scenario.schema.json has no properties at \(pointer)")
                return
            }
            schemaKeys.formUnion(properties.keys)
        }
        #expect(
            parserKeys == schemaKeys,
            "parser only: \(parserKeys.subtracting(schemaKeys).sorted()), schema only: \(schemaKeys.subtracting(parserKeys).sorted())")
    }
}

/// Runs python3's jsonschema (Draft202012Validator) on one YAML or JSON document.
enum SchemaValidator {
    enum Kind: String { case yaml, json }

    struct Result {
        var valid: Bool
        /// The validator's messages (`FILE: at PATH: message`), or `valid`.
        var output: String
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// YAML is read with YAML 1.2 core scalars as Yams reads them (booleans only `true`/`false`,
    /// decimal integers, no timestamps), so types match what ScenarioParser sees.
    static let script = #"""
        import json, re, sys
        try:
            import jsonschema, yaml
        except ImportError as error:
            print(f"{sys.executable}: {error}", file=sys.stderr)
            sys.exit(3)

        class Loader(yaml.SafeLoader):
            pass

        Loader.yaml_implicit_resolvers = {
            first: [(tag, regexp) for tag, regexp in resolvers if tag.rsplit(":", 1)[-1] not in ("bool", "int", "float", "timestamp", "value")]
            for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
        }
        Loader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|false)$"), list("tf"))
        Loader.add_implicit_resolver("tag:yaml.org,2002:int", re.compile(r"^[-+]?[0-9]+$"), list("-+0123456789"))
        Loader.add_implicit_resolver(
            "tag:yaml.org,2002:float", re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$"), list("-+.0123456789"))
        Loader.add_constructor("tag:yaml.org,2002:int", lambda loader, node: int(loader.construct_scalar(node), 10))

        kind, schema_path, document_path = sys.argv[1:4]
        with open(schema_path) as f:
            schema = json.load(f)
        jsonschema.Draft202012Validator.check_schema(schema)
        with open(document_path) as f:
            document = yaml.load(f, Loader=Loader) if kind == "yaml" else json.load(f)
        validator = jsonschema.Draft202012Validator(schema)
        errors = sorted(validator.iter_errors(document), key=lambda e: [str(p) for p in e.absolute_path])
        if not errors:
            print("valid")
            sys.exit(0)
        for error in errors[:10]:
            where = "/".join(str(p) for p in error.absolute_path) or "(root)"
            print(f"{document_path}: at {where}: {error.message}")
            if error.context:
                best = jsonschema.exceptions.best_match(error.context)
                print(f"  closest: at {'/'.join(str(p) for p in best.absolute_path) or '(root)'}: {best.message}")
        sys.exit(1)
        """#

    /// Validates `text`, written to a temporary file first.
    static func validate(_ kind: Kind, text: String, schema: String) throws -> Result {
        let path = NSTemporaryDirectory() + "kubetape-schema-\(getpid())-\(UUID().uuidString).\(kind.rawValue)"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try validate(kind, file: path, schema: schema)
    }

    /// Validates the document at `file` against the schema at `schema`. Throws when python3, its
    /// jsonschema or yaml module is missing, or the validator itself fails.
    static func validate(_ kind: Kind, file: String, schema: String) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, kind.rawValue, schema, file]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw Failure(description: "cannot start /usr/bin/env python3: \(error)")
        }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let output = String(decoding: data, as: UTF8.self)
        switch process.terminationStatus {
        case 0: return Result(valid: true, output: output)
        case 1: return Result(valid: false, output: output)
        case 3, 127:
            throw Failure(
                description:
                    "SchemaTests need python3 with the jsonschema (4.x, draft 2020-12) and yaml modules (Debian: apt-get install python3-jsonschema python3-yaml; scripts/setup.sh installs them): \(output)"
            )
        default:
            throw Failure(description: "the schema validator failed (exit \(process.terminationStatus)):\n\(output)")
        }
    }
}
