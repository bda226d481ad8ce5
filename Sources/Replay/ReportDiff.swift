import Foundation

/// What changed in behaviour between two JSON reports (docs/report-format.md): scenarios added or
/// removed, steps whose verdict, observations or checks differ. Scenarios are matched by file and
/// steps by index, so a renamed step shows as a change of its name.
public struct ReportDiff: Sendable {
    /// One line per change, in the order of the new report (then what only the old one has).
    public private(set) var lines: [String] = []

    /// True when the two reports describe the same behaviour.
    public var isEmpty: Bool { lines.isEmpty }

    /// Compares the JSON texts of two reports; throws `ReplayError` naming the file for text that
    /// is not a version-1 report.
    public init(old: Data, oldName: String, new: Data, newName: String) throws {
        let before = try ReportDiff.scenarios(of: old, name: oldName)
        let after = try ReportDiff.scenarios(of: new, name: newName)
        let beforeByFile = Dictionary(before.map { ($0.file, $0) }, uniquingKeysWith: { first, _ in first })
        let afterFiles = Set(after.map(\.file))
        for scenario in after {
            guard let previous = beforeByFile[scenario.file] else {
                lines.append("+ scenario \(scenario.file): added (\(scenario.passed ? "passes" : "fails"))")
                continue
            }
            compare(previous, scenario)
        }
        for scenario in before where !afterFiles.contains(scenario.file) {
            lines.append("- scenario \(scenario.file): removed")
        }
    }

    private mutating func compare(_ old: ScenarioJSON, _ new: ScenarioJSON) {
        if old.seed != new.seed {
            lines.append("~ scenario \(new.file): seed \(old.seed) -> \(new.seed)")
        }
        let oldSteps = Dictionary(old.steps.map { ($0.index, $0) }, uniquingKeysWith: { first, _ in first })
        let newIndexes = Set(new.steps.map(\.index))
        for step in new.steps {
            let place = "\(new.file) step \(step.index) \"\(step.name)\""
            guard let previous = oldSteps[step.index] else {
                lines.append("+ \(place): added (\(step.passed ? "pass" : "FAIL"))")
                continue
            }
            if previous.lines == step.lines { continue }
            lines.append("~ \(place): \(previous.passed ? "pass" : "FAIL") -> \(step.passed ? "pass" : "FAIL")")
            let diff = Check(expectation: "", passed: false, expected: previous.lines, actual: step.lines).diff
            lines += diff.dropFirst(2).filter { !$0.hasPrefix(" ") }.map { "    " + $0 }
        }
        for step in old.steps where !newIndexes.contains(step.index) {
            lines.append("- \(old.file) step \(step.index) \"\(step.name)\": removed")
        }
    }

    struct ScenarioJSON {
        var file: String
        var seed: String
        var passed: Bool
        var steps: [StepJSON]
    }

    struct StepJSON {
        var index: Int
        var name: String
        var passed: Bool
        /// Every field of the step, flattened to `path: value` lines with keys sorted.
        var lines: [String]
    }

    static func scenarios(of data: Data, name: String) throws -> [ScenarioJSON] {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw ReplayError("\(name): not JSON: \(error.localizedDescription)")
        }
        guard let report = object as? [String: Any], let version = report["schemaVersion"] as? Int else {
            throw ReplayError("\(name): not a kubetape report (no schemaVersion)")
        }
        guard version == Report.schemaVersion else {
            throw ReplayError("\(name): report schema version \(version); this kubetape reads version \(Report.schemaVersion)")
        }
        guard let scenarios = report["scenarios"] as? [[String: Any]] else {
            throw ReplayError("\(name): report has no scenarios list")
        }
        return try scenarios.enumerated().map { position, scenario in
            guard let file = scenario["file"] as? String, let steps = scenario["steps"] as? [[String: Any]] else {
                throw ReplayError("\(name): scenario \(position + 1) has no file or steps")
            }
            return ScenarioJSON(
                file: file, seed: "\(scenario["seed"] ?? "")", passed: scenario["passed"] as? Bool ?? false,
                steps: try steps.enumerated().map { stepPosition, step in
                    guard let index = step["index"] as? Int else {
                        throw ReplayError("\(name): scenario \(file) step \(stepPosition + 1) has no index")
                    }
                    return StepJSON(
                        index: index, name: step["name"] as? String ?? "", passed: step["passed"] as? Bool ?? false,
                        lines: flatten(step, path: ""))
                })
        }
    }

    /// `path: value` lines of a JSON value, keys sorted, list items numbered.
    static func flatten(_ value: Any, path: String) -> [String] {
        switch value {
        case let dictionary as [String: Any]:
            return dictionary.keys.sorted().flatMap { key in
                flatten(dictionary[key]!, path: path.isEmpty ? key : "\(path).\(key)")
            }
        case let list as [Any]:
            if list.isEmpty { return ["\(path): []"] }
            return list.enumerated().flatMap { index, item in flatten(item, path: "\(path)[\(index)]") }
        default:
            // scalars as JSON spells them (true, 1, "text", null)
            let data = (try? JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed])) ?? Data("\(value)".utf8)
            return ["\(path): \(String(decoding: data, as: UTF8.self))"]
        }
    }
}
