import ClusterModel
import DNSWire
import Testing

@testable import Scenario

/// `cluster.upstream:` zone-file records for names outside the cluster zones.
@Suite struct UpstreamParserTests {
    @Test func recordsAreReadAsZoneFileText() throws {
        let scenario = try ScenarioParser().parse(
            yaml: """
                cluster:
                  manifests: clusters/kiada
                  upstream: |
                    api.payments.example. 300 IN A 203.0.113.10
                    www.example.         IN CNAME api.payments.example.
                steps:
                  - lookup: www.example.
                """, file: scenarioPath)
        #expect(scenario.cluster.upstream.count == 2)
        #expect(scenario.cluster.upstream.first?.ttl == 300)
        // a record without a TTL gets CoreDNS's cache-less default of 30
        #expect(scenario.cluster.upstream.last?.ttl == 30)
        #expect(scenario.cluster.upstream.last?.data.presentation == "api.payments.example.")
    }

    @Test func aBadRecordIsReportedAtItsLineInTheScenario() throws {
        do {
            _ = try ScenarioParser().parse(
                yaml: """
                    cluster:
                      manifests: clusters/kiada
                      upstream: |
                        api.payments.example. 300 IN A 203.0.113.10
                        broken.example. IN A not-an-address
                    steps:
                      - lookup: quote
                    """, file: scenarioPath)
            Issue.record("a bad upstream record parsed")
        } catch let error as ScenarioError {
            #expect(error.location.line == 5, "\(error)")
            #expect(error.description.contains("cluster.upstream: expected zone-file records"), "\(error)")
        }
    }
}

/// `${NAME}` substitution into regular expressions.
@Suite struct RegexExpansionTests {
    @Test func valuesAreMatchedLiterally() throws {
        let pattern = Step.expandRegex("served by ${pod} at ${ip}", ["pod": "kiada/quote-001", "ip": "10.244.2.9"])
        #expect(pattern == "served by kiada\\/quote-001 at 10\\.244\\.2\\.9")
        let regex = try Regex(pattern)
        #expect("served by kiada/quote-001 at 10.244.2.9".wholeMatch(of: regex) != nil)
        #expect("served by kiada/quote-001 at 10x244.2.9".wholeMatch(of: regex) == nil)
        #expect(Step.expandRegex("plain (no references)", ["a": "b"]) == "plain (no references)")
    }
}
