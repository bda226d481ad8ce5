import Testing

@testable import Scenario

@Suite struct ScenarioParserTests {
    @Test func editDistance() {
        #expect(NodeReader.editDistance("stepz", "steps") == 1)
    }
}
