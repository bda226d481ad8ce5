import Testing

@testable import Replay

@Suite struct CheckDiffTests {
    @Test func diffMarksMissingAndExtraLines() {
        let check = Check(expectation: "answers", passed: false, expected: ["10.244.1.10", "10.244.2.9"], actual: ["10.244.1.10", "10.244.2.8"])
        #expect(check.diff == ["--- expected", "+++ actual", " 10.244.1.10", "-10.244.2.9", "+10.244.2.8"])
    }
}
