import ClusterDNS
import ClusterModel
import DNSWire
import FakeCluster
import Foundation
import Testing

@testable import Replay
@testable import Scenario

/// Runs the engine in-process; serialized because every test uses the same loopback block.
@Suite(.serialized) struct ReplayEngineTests {
    /// The JSON report of scenarios/ is byte-identical across runs and equal to the golden file
    /// (re-recorded only with KUBETAPE_RECORD_GOLDEN=1).
    @Test func scenariosMatchGoldenReportByteForByte() async throws {
        let first = ReportFormat.json.render(try await run(["scenarios"]))
        let second = ReportFormat.json.render(try await run(["scenarios"]))
        #expect(first == second, "two runs of scenarios/ gave different JSON")
        if ProcessInfo.processInfo.environment["KUBETAPE_RECORD_GOLDEN"] == "1" {
            try first.write(toFile: goldenPath, atomically: true, encoding: .utf8)
        }
        let golden = try String(contentsOfFile: goldenPath, encoding: .utf8)
        #expect(
            Array(first.utf8) == Array(golden.utf8),
            "report differs from \(goldenPath); run with KUBETAPE_RECORD_GOLDEN=1 to re-record after checking the change")
        #expect(golden.contains("\"schemaVersion\": 1"))
        #expect(!golden.contains("127."), "loopback addresses leaked into the report")
    }

    /// Text, JUnit and Markdown forms of the same report, golden too.
    @Test(arguments: [(ReportFormat.text, "txt"), (.junit, "xml"), (.markdown, "md")])
    func otherFormatsMatchGolden(format: ReportFormat, suffix: String) async throws {
        let rendered = format.render(try await run(["scenarios"]))
        let path = fixtures + "/scenarios.golden." + suffix
        if ProcessInfo.processInfo.environment["KUBETAPE_RECORD_GOLDEN"] == "1" {
            try rendered.write(toFile: path, atomically: true, encoding: .utf8)
        }
        let golden = try String(contentsOfFile: path, encoding: .utf8)
        #expect(Array(rendered.utf8) == Array(golden.utf8), "\(format) report differs from \(path)")
    }

    @Test func markdownDrawsTheForwarderForClusterIPAndNotForHeadless() async throws {
        let markdown = ReportFormat.markdown.render(try await run(["scenarios/04-curl-headless.yaml", "scenarios/05-curl-cluster-ip.yaml"]))
        #expect(markdown.contains("    C->>P1: GET http://quote-headless to 10.244.2.8:80\n"))
        #expect(markdown.contains("    C->>S1: GET http://quote to 10.96.161.97:80\n    S1->>P1: forwarded\n"))
        #expect(markdown.contains("  (repeats 1–3 of 20 drawn)\n"))
    }

    @Test func everyShippedScenarioPasses() async throws {
        let report = try await run(["scenarios"])
        #expect(report.scenarios.count >= 8)
        for scenario in report.scenarios {
            for step in scenario.steps where !step.passed {
                Issue.record("\(scenario.file) step \(step.index) \(step.name): \(step.checks.filter { !$0.passed }.map { $0.diff.joined(separator: "\n") })")
            }
        }
    }

    @Test func headlessAnswerListsTheFourPodIPs() async throws {
        let report = try await run(["scenarios/01-headless-a-records.yaml"])
        let check = try #require(report.scenarios.first?.steps.first?.checks.first { $0.expectation == "answers" })
        #expect(check.passed)
        #expect(check.actual == ["10.244.1.10", "10.244.2.10", "10.244.2.8", "10.244.2.9"])
    }

    @Test func anotherSeedChangesOrderButNotVerdicts() async throws {
        let one = try await run(["scenarios/03-headless-rotates.yaml"], seed: 1)
        let two = try await run(["scenarios/03-headless-rotates.yaml"], seed: 2)
        #expect(one.passed && two.passed)
        #expect(one.scenarios[0].steps[0].observations != two.scenarios[0].steps[0].observations)
        #expect(two.scenarios[0].seed == 2)
    }

    /// Deliberately wrong scenarios fail with the expected diff lines.
    @Test(arguments: [
        ("headless-answers.yaml", "answers", ["--- expected", "+++ actual", " 10.244.1.10", " 10.244.2.10", " 10.244.2.8", "-10.244.2.99", "+10.244.2.9"]),
        ("headless-answers.yaml", "ttl", ["--- expected", "+++ actual", "-30", "+5"]),
        ("cluster-ip-connects-to-pods.yaml", "connectsTo", ["--- expected", "+++ actual", "-10.96.161.97 pod IP", "+10.96.161.97 service IP"]),
        ("nonexistent-is-nxdomain.yaml", "rcode", ["--- expected", "+++ actual", "-NXDOMAIN", "+REFUSED"]),
        (
            "nonexistent-is-nxdomain.yaml", "searchQueries",
            ["--- expected", "+++ actual", " nonexistent.kiada.svc.cluster.local.", "+nonexistent.svc.cluster.local.", " nonexistent.cluster.local."]
        ),
        (
            "not-ready-still-serves.yaml", "servedBy",
            ["--- expected", "+++ actual", " kiada/quote-001", " kiada/quote-002", " kiada/quote-003", "-kiada/quote-canary"]
        ),
    ])
    func wrongScenarioFailsWithDiff(file: String, expectation: String, diff: [String]) async throws {
        let report = try await run(["Tests/ReplayTests/Fixtures/wrong/" + file])
        #expect(!report.passed)
        let checks = report.scenarios.flatMap(\.steps).flatMap(\.checks)
        let check = try #require(checks.first { $0.expectation == expectation })
        #expect(!check.passed)
        #expect(check.diff == diff)
        let text = ReportFormat.text.render(report)
        for line in diff { #expect(text.contains("         \(line)\n"), "text report lacks '\(line)'") }
        let junit = ReportFormat.junit.render(report)
        #expect(junit.contains("<failure message=\""))
        #expect(junit.contains("\(expectation) does not hold"))
        #expect(junit.contains(ReportFormat.xml(diff.joined(separator: "\n"))))
    }

    /// `--dns`: the lookups go to another server. The kiada lessons hold against a DNS-only fake
    /// cluster with the same manifests and fail against one serving a different cluster.
    @Test func dnsStepsAgainstAnotherServer() async throws {
        func server(_ cluster: Cluster) async throws -> (ClusterRuntime, DNSServerAddress) {
            var configuration = ClusterRuntimeConfiguration()
            configuration.dnsOnly = true
            configuration.dns.host = "127.0.0.1"
            configuration.dns.port = 0
            let handler = ClusterDNSQueryHandler(responder: ClusterDNSResponder(cluster: cluster))
            let runtime = ClusterRuntime(cluster: cluster, configuration: configuration, dnsHandler: handler)
            try await runtime.start()
            let address = try #require(runtime.dnsAddress)
            let dns = try #require(DNSServerAddress(parsing: "127.0.0.1:\(address.port ?? 0)"))
            return (runtime, dns)
        }
        let kiada = try ManifestLoader().load(paths: [repositoryRoot + "/scenarios/clusters/kiada"])
        let other = try ManifestLoader().load(yaml: "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: kiada\n", file: "other.yaml")
        let (same, sameAddress) = try await server(kiada)
        let (different, differentAddress) = try await server(other)
        var options = ReplayOptions()
        options.loopbackBlock = 41
        options.dnsServer = sameAddress
        let lessons = try scenarios(["scenarios/01-headless-a-records.yaml", "scenarios/09-search-walk.yaml"])
        let held = try await ScenarioRunner(options: options).run(lessons)
        #expect(held.passed)
        options.dnsServer = differentAddress
        let failed = try await ScenarioRunner(options: options).run(lessons)
        await same.shutdown()
        await different.shutdown()
        #expect(!failed.passed)
        let check = try #require(failed.scenarios[0].steps[0].checks.first { $0.expectation == "rcode" })
        // every search candidate is NXDOMAIN there; the walk ends with the bare name, refused
        #expect(check.actual == ["REFUSED"])
        #expect(DNSServerAddress(parsing: "10.96.0.10:53") == nil, "a non-loopback server must be refused")
    }

    /// `apply:` adds a service mid-scenario; earlier changes survive the reload.
    @Test func applyAddsObjectsAndKeepsEarlierChanges() async throws {
        let report = try await run(["Tests/ReplayTests/Fixtures/apply/apply-after-change.yaml"])
        #expect(report.passed, "\(ReportFormat.text.render(report))")
        #expect(report.scenarios[0].steps[2].observations == ["applied canary-service.yaml"])
        await #expect {
            _ = try await run(["Tests/ReplayTests/Fixtures/invalid/apply-duplicate.yaml"])
        } throws: { error in
            "\(error)".hasPrefix("Tests/ReplayTests/Fixtures/invalid/apply-duplicate.yaml:4:5: apply: ") && "\(error)".contains("duplicate Service \"quote\"")
        }
    }

    @Test func unknownPodIsBadInputWithLocation() async throws {
        await #expect {
            _ = try await run(["Tests/ReplayTests/Fixtures/invalid/unknown-pod.yaml"])
        } throws: { error in
            "\(error)".hasPrefix("Tests/ReplayTests/Fixtures/invalid/unknown-pod.yaml:4:16: no pod kiada/quote-999")
        }
    }

    @Test func inlineManifestErrorCarriesTheScenarioFilesLineAndColumn() async throws {
        await #expect {
            _ = try await run(["Tests/ReplayTests/Fixtures/invalid/bad-inline-manifest.yaml"])
        } throws: { error in
            "\(error)".hasPrefix("Tests/ReplayTests/Fixtures/invalid/bad-inline-manifest.yaml:9:14: error: status.podIP \"10.0.0.999\"")
        }
    }

    @Test func junitHasASuitePerScenarioAndACasePerStep() async throws {
        let report = try await run(["scenarios/07-not-ready-pod.yaml", "scenarios/09-search-walk.yaml"])
        let junit = ReportFormat.junit.render(report)
        #expect(junit.components(separatedBy: "<testsuite ").count - 1 == 2)
        #expect(junit.components(separatedBy: "<testcase ").count - 1 == 9)
        #expect(junit.contains("failures=\"0\""))
        let markdown = ReportFormat.markdown(report)
        #expect(markdown.contains("| kiada/quote-001 |"))
        #expect(!markdown.contains("kiada/quote-canary |"), "the not-ready canary got requests")
    }
}
