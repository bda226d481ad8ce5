import DNSWire
import Yams

/// Collects the errors and warnings of one load, so that a file reports every problem it has
/// rather than only the first.
final class DiagnosticLog {
    private(set) var errors: [ManifestDiagnostic] = []
    private(set) var warnings: [ManifestDiagnostic] = []

    func error(_ location: SourceLocation?, _ message: String) {
        errors.append(ManifestDiagnostic(.error, at: location, message))
    }

    func warning(_ location: SourceLocation?, _ message: String) {
        warnings.append(ManifestDiagnostic(.warning, at: location, message))
    }

    /// Puts diagnostics in file order (the order the files were read), then line order; those
    /// without a location come first (they concern whole paths). The sort is stable.
    static func ordered(_ diagnostics: [ManifestDiagnostic], files: [String]) -> [ManifestDiagnostic] {
        var rank: [String: Int] = [:]
        for file in files where rank[file] == nil { rank[file] = rank.count }
        func key(_ d: ManifestDiagnostic) -> (Int, Int) {
            guard let location = d.location else { return (-1, 0) }
            return (rank[location.file] ?? files.count, location.line)
        }
        return diagnostics.enumerated().sorted { a, b in
            let (ka, kb) = (key(a.element), key(b.element))
            return ka != kb ? ka < kb : a.offset < b.offset
        }.map(\.element)
    }
}

/// Typed, diagnosing access to the fields of one manifest document.
///
/// Every accessor returns `nil` both when the field is absent (or `null`) and when it has the
/// wrong type; in the second case it records an error at the field's line first, so decoding can
/// go on and report the next problem as well.
struct ManifestReader {
    let file: String
    let log: DiagnosticLog

    func location(_ node: Node?) -> SourceLocation? {
        guard let mark = node?.mark else { return nil }
        return SourceLocation(file: file, line: mark.line, column: mark.column)
    }

    func location(_ mapping: Node.Mapping) -> SourceLocation {
        location(Node.mapping(mapping)) ?? SourceLocation(file: file, line: 1)
    }

    func error(_ node: Node?, _ message: String) { log.error(location(node), message) }
    func warning(_ node: Node?, _ message: String) { log.warning(location(node), message) }

    static func isNull(_ node: Node) -> Bool {
        if case .scalar(let scalar) = node, node.tagName == .null { return scalar.style == .plain }
        return false
    }

    /// The value of `key`, or nil when absent or `null`.
    func value(_ mapping: Node.Mapping?, _ key: String) -> Node? {
        guard let mapping, let node = mapping[key], !Self.isNull(node) else { return nil }
        return node
    }

    private func describe(_ node: Node) -> String {
        switch node {
        case .scalar(let scalar):
            switch node.tagName {
            case .int: return "the number \(scalar.string)"
            case .bool: return "the boolean \(scalar.string)"
            case .float: return "the number \(scalar.string)"
            default: return "\"\(scalar.string)\""
            }
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        }
    }

    func mapping(_ mapping: Node.Mapping?, _ key: String, path: String) -> Node.Mapping? {
        guard let node = value(mapping, key) else { return nil }
        guard let result = node.mapping else {
            error(node, "\(path) must be a mapping, found \(describe(node))")
            return nil
        }
        return result
    }

    func sequence(_ mapping: Node.Mapping?, _ key: String, path: String) -> [Node] {
        guard let node = value(mapping, key) else { return [] }
        guard let result = node.sequence else {
            error(node, "\(path) must be a list, found \(describe(node))")
            return []
        }
        return Array(result)
    }

    /// The entries of a list that must hold mappings (`ports`, `containers`…).
    func mappings(_ mapping: Node.Mapping?, _ key: String, path: String) -> [Node.Mapping] {
        sequence(mapping, key, path: path).compactMap { item in
            guard let result = item.mapping else {
                error(item, "each entry of \(path) must be a mapping, found \(describe(item))")
                return nil
            }
            return result
        }
    }

    func string(_ node: Node, path: String) -> String? {
        guard case .scalar(let scalar) = node, node.tagName == .str else {
            error(node, "\(path) must be a string, found \(describe(node)) (quote it)")
            return nil
        }
        return scalar.string
    }

    func string(_ mapping: Node.Mapping?, _ key: String, path: String) -> String? {
        guard let node = value(mapping, key) else { return nil }
        return string(node, path: path)
    }

    func strings(_ mapping: Node.Mapping?, _ key: String, path: String) -> [String] {
        sequence(mapping, key, path: path).compactMap { string($0, path: "\(path)[]") }
    }

    func int(_ node: Node, path: String) -> Int? {
        guard case .scalar = node, node.tagName == .int, let value = node.int else {
            error(node, "\(path) must be an integer, found \(describe(node))")
            return nil
        }
        return value
    }

    func int(_ mapping: Node.Mapping?, _ key: String, path: String) -> Int? {
        guard let node = value(mapping, key) else { return nil }
        return int(node, path: path)
    }

    /// A port number (1–65535).
    func port(_ mapping: Node.Mapping?, _ key: String, path: String) -> UInt16? {
        guard let node = value(mapping, key), let number = int(node, path: path) else { return nil }
        guard (1...65535).contains(number) else {
            error(node, "\(path) must be between 1 and 65535, found \(number)")
            return nil
        }
        return UInt16(number)
    }

    func bool(_ mapping: Node.Mapping?, _ key: String, path: String) -> Bool? {
        guard let node = value(mapping, key) else { return nil }
        guard case .scalar = node, node.tagName == .bool, let value = node.bool else {
            error(node, "\(path) must be true or false, found \(describe(node))")
            return nil
        }
        return value
    }

    /// A map of strings to strings (labels, annotations, selectors).
    func stringMap(_ mapping: Node.Mapping?, _ key: String, path: String) -> [String: String]? {
        guard let map = self.mapping(mapping, key, path: path) else { return nil }
        var result: [String: String] = [:]
        for (keyNode, valueNode) in map {
            guard let key = string(keyNode, path: "a key of \(path)") else { continue }
            if Self.isNull(valueNode) {
                result[key] = ""
            } else if let value = string(valueNode, path: "\(path).\(key)") {
                result[key] = value
            }
        }
        return result
    }

    func ip(_ node: Node, path: String) -> IPAddress? {
        guard let text = string(node, path: path) else { return nil }
        guard let address = IPAddress(text) else {
            error(node, "\(path) \"\(text)\" is not an IPv4 or IPv6 address")
            return nil
        }
        return address
    }

    func ip(_ mapping: Node.Mapping?, _ key: String, path: String) -> IPAddress? {
        guard let node = value(mapping, key) else { return nil }
        return ip(node, path: path)
    }

    /// A string field restricted to the spellings of a Kubernetes enum.
    func enumeration<E: RawRepresentable & CaseIterable>(_ mapping: Node.Mapping?, _ key: String, path: String, as: E.Type) -> E? where E.RawValue == String {
        guard let node = value(mapping, key), let text = string(node, path: path) else { return nil }
        guard let result = E(rawValue: text) else {
            let allowed = E.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
            error(node, "\(path) \"\(text)\" is not one of \(allowed)")
            return nil
        }
        return result
    }
}

extension Node {
    /// The resolved YAML tag (`tag:yaml.org,2002:int`…): a quoted scalar is always a string.
    var tagName: Tag.Name { Tag.Name(rawValue: tag.rawValue) }
}
