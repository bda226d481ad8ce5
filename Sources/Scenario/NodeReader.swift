import ClusterModel
import Yams

/// Typed reads of Yams nodes with `file:line:column` errors.
struct NodeReader {
    var file: String
    /// The whole file, for positions Yams does not report.
    var text: String

    func location(_ node: Node) -> SourceLocation {
        guard let mark = node.mark else { return SourceLocation(file: file, line: 1) }
        return SourceLocation(file: file, line: mark.line, column: mark.column)
    }

    func yamlError(_ error: YamlError) -> ScenarioError {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
            return ScenarioError(.invalidYAML, at: SourceLocation(file: file, line: mark.line, column: mark.column), "invalid YAML: \(problem)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            return ScenarioError(
                .invalidYAML, at: SourceLocation(file: file, line: context.mark.line, column: context.mark.column),
                "the key \(duplicates.map { "\"\($0)\"" }.joined(separator: ", ")) appears twice in the mapping that starts here")
        default:
            return ScenarioError(.invalidYAML, at: SourceLocation(file: file, line: 1), "invalid YAML: \(error)")
        }
    }

    /// A mapping whose keys are all in `keys`; an unknown key is an error with a did-you-mean.
    func mapping(_ node: Node, _ what: String, keys: [String]) throws -> Node.Mapping {
        guard let map = node.mapping else {
            throw ScenarioError(.invalidValue, at: location(node), "\(what): expected a mapping with keys \(keys.joined(separator: ", "))")
        }
        for (key, _) in map {
            guard let text = key.scalar?.string else {
                throw ScenarioError(.invalidValue, at: location(key), "\(what): expected a plain key")
            }
            if !keys.contains(text) {
                throw ScenarioError(
                    .unknownKey, at: location(key),
                    "\(what): unknown key '\(text)'\(NodeReader.suggestion(text, keys)); expected one of \(keys.joined(separator: ", "))")
            }
        }
        return map
    }

    func string(_ node: Node, _ what: String) throws -> String {
        guard let scalar = node.scalar else {
            throw ScenarioError(.invalidValue, at: location(node), "\(what): expected a string")
        }
        return scalar.string
    }

    func int(_ node: Node, _ what: String, range: ClosedRange<Int>) throws -> Int {
        guard let text = node.scalar?.string, let value = Int(text) else {
            throw ScenarioError(.invalidValue, at: location(node), "\(what): expected an integer in \(range.lowerBound)...\(range.upperBound)")
        }
        guard range.contains(value) else {
            throw ScenarioError(.invalidValue, at: location(node), "\(what): expected an integer in \(range.lowerBound)...\(range.upperBound), found \(value)")
        }
        return value
    }

    func bool(_ node: Node, _ what: String) throws -> Bool {
        switch node.scalar?.string {
        case "true": return true
        case "false": return false
        default: throw ScenarioError(.invalidValue, at: location(node), "\(what): expected true or false")
        }
    }

    func oneOf(_ node: Node, _ what: String, _ choices: [String]) throws -> String {
        let text = try string(node, what)
        guard choices.contains(text) else {
            throw ScenarioError(
                .invalidValue, at: location(node),
                "\(what): expected one of \(choices.joined(separator: ", ")), found '\(text)'\(NodeReader.suggestion(text, choices))")
        }
        return text
    }

    /// A string or a list of strings, each with its location.
    func stringList(_ node: Node, _ what: String) throws -> [(text: String, location: SourceLocation)] {
        if let scalar = node.scalar { return [(scalar.string, location(node))] }
        guard let sequence = node.sequence else {
            throw ScenarioError(.invalidValue, at: location(node), "\(what): expected a string or a list of strings")
        }
        return try sequence.map { item in
            guard let scalar = item.scalar else {
                throw ScenarioError(.invalidValue, at: location(item), "\(what): expected a string")
            }
            return (scalar.string, location(item))
        }
    }

    /// ` (did you mean 'x'?)` for the closest candidate within a small edit distance.
    static func suggestion(_ text: String, _ candidates: [String]) -> String {
        let scored = candidates.map { ($0, editDistance(text.lowercased(), $0.lowercased())) }
        guard let best = scored.min(by: { $0.1 < $1.1 }), best.1 <= max(2, text.count / 3) else { return "" }
        return " (did you mean '\(best.0)'?)"
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a.unicodeScalars)
        let b = Array(b.unicodeScalars)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}
