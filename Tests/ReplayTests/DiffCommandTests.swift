import Foundation
import Testing

/// `kubetape diff OLD.json NEW.json` through the built binary: 0 for the same behaviour, 1 with the
/// changes listed when anything changed, 2 for input that is not a report.
@Suite(.serialized) struct DiffCommandTests {
    static func write(_ text: String, _ name: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("kubetape-diff-\(getpid())-\(name)").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static var golden: String {
        get throws { try String(contentsOfFile: repositoryRoot + "/Tests/ReplayTests/Fixtures/scenarios.golden.json", encoding: .utf8) }
    }

    @Test func sameReportIsNoChange() throws {
        let a = try Self.write(try Self.golden, "a.json")
        let b = try Self.write(try Self.golden, "b.json")
        let result = try RunCommandTests.kubetapeWithoutRunFlags(["diff", a, b])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "no behaviour changed\n")
    }

    @Test func aChangedObservationAndVerdictAreListed() throws {
        let golden = try Self.golden
        // the headless answer loses a pod, and its check fails
        let changed = golden.replacingOccurrences(
            of: "quote-headless.kiada.svc.cluster.local. A NOERROR 10.244.2.8 10.244.1.10 10.244.2.10 10.244.2.9",
            with: "quote-headless.kiada.svc.cluster.local. A NOERROR 10.244.2.8 10.244.1.10 10.244.2.10")
        try #require(changed != golden, "the golden report no longer has the line this test edits")
        let a = try Self.write(golden, "old.json")
        let b = try Self.write(changed, "new.json")
        let result = try RunCommandTests.kubetapeWithoutRunFlags(["diff", a, b])
        #expect(result.status == 1)
        #expect(result.stdout.contains("~ scenarios/01-headless-a-records.yaml step 1 \"quote-headless answers with every pod IP\""))
        #expect(result.stdout.contains("-observations[0]: \"quote-headless.kiada.svc.cluster.local. A NOERROR 10.244.2.8 10.244.1.10 10.244.2.10 10.244.2.9\""))
        #expect(result.stdout.contains("+observations[0]: \"quote-headless.kiada.svc.cluster.local. A NOERROR 10.244.2.8 10.244.1.10 10.244.2.10\""))
    }

    @Test func notAReportIsBadInput() throws {
        let a = try Self.write(try Self.golden, "good.json")
        let b = try Self.write("{\"hello\": 1}", "bad.json")
        let result = try RunCommandTests.kubetapeWithoutRunFlags(["diff", a, b])
        #expect(result.status == 2)
        #expect(result.stderr.contains("bad.json: not a kubetape report"))
        let missing = try RunCommandTests.kubetapeWithoutRunFlags(["diff", a, "/nonexistent/x.json"])
        #expect(missing.status == 2)
    }
}
