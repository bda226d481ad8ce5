import Foundation
import Testing

/// `--upstream-records`: names outside the cluster zones answered from a zone file, as an upstream
/// would through CoreDNS's forward (nothing is forwarded for real).
@Suite struct UpstreamRecordsTests {
    /// A zone file of its own for each call: the tests run in parallel, and two zone texts can
    /// have the same length (as the two below do), so the name must not come from the text.
    func zoneFile(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("kubetape-upstream-\(getpid())-\(UUID().uuidString).zone").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func resolveAnswersOutsideNamesFromTheRecords() throws {
        let file = try zoneFile("api.payments.example. 300 IN A 203.0.113.10\n")
        defer { try? FileManager.default.removeItem(atPath: file) }
        let result = try KubetapeBinary.run(["resolve", "api.payments.example.", "--manifests", ExecWithRealClientsTests.manifests, "--upstream-records", file])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("Non-authoritative answer:\nName:\tapi.payments.example\nAddress: 203.0.113.10\n"), "\(result.stdout)")
        // without the records the name is REFUSED, as kubetape never forwards
        let refused = try KubetapeBinary.run(["resolve", "api.payments.example.", "--manifests", ExecWithRealClientsTests.manifests])
        #expect(refused.stdout.contains("REFUSED"), "\(refused.stdout)")
    }

    @Test func aBadRecordIsExitTwoWithFileAndLine() throws {
        let file = try zoneFile("a.example. A 192.0.2.1\nb.example. IN A nope\n")
        defer { try? FileManager.default.removeItem(atPath: file) }
        let result = try KubetapeBinary.run(["resolve", "x.", "--manifests", ExecWithRealClientsTests.manifests, "--upstream-records", file])
        #expect(result.status == 2)
        #expect(result.stderr.contains("\(file):2: A address 'nope' is not IPv4"), "\(result.stderr)")
    }
}
