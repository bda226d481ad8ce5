import ClusterModel

/// Why a scenario file could not be read: where (`file:line:column`) and what was expected.
public struct ScenarioError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Matchable kinds of failure.
    public enum Code: String, Hashable, Sendable {
        /// The file could not be read.
        case unreadable
        /// Not YAML.
        case invalidYAML
        /// A key the format does not know (never ignored).
        case unknownKey
        /// A required key is missing.
        case missingKey
        /// A value of the wrong shape or out of range.
        case invalidValue
        /// A reference (pod, manifest path) that does not exist.
        case unknownReference
    }

    public var code: Code
    public var location: SourceLocation
    public var reason: String

    public init(_ code: Code, at location: SourceLocation, _ reason: String) {
        self.code = code
        self.location = location
        self.reason = reason
    }

    /// `file:line:column: reason`.
    public var description: String { "\(location): \(reason)" }
}
