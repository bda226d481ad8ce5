import Replay
import Scenario

/// The repository root, from this file's path.
let repositoryRoot: String = {
    var parts = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(3)
    return parts.joined(separator: "/")
}()

let fixtures = repositoryRoot + "/Tests/ReplayTests/Fixtures"
let goldenPath = fixtures + "/scenarios.golden.json"

/// Parses scenarios by repository-relative path, naming them by that path in reports.
func scenarios(_ relativePaths: [String]) throws -> [Scenario] {
    let files = try ScenarioFiles.expand(relativePaths.map { repositoryRoot + "/" + $0 })
    return try files.map { file in
        try ScenarioParser().parse(file: file, displayPath: String(file.dropFirst(repositoryRoot.count + 1)))
    }
}

/// Runs in-process in loopback block 41 (the CLI tests use 51; other suites 1, 11, 21, 31).
func run(_ relativePaths: [String], seed: UInt64? = nil) async throws -> Report {
    var options = ReplayOptions()
    options.loopbackBlock = 41
    options.seed = seed
    return try await ScenarioRunner(options: options).run(try scenarios(relativePaths))
}
