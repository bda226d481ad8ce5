/// A scenario that cannot be run as written (bad manifests, a pod that does not exist, a zone that
/// does not parse) or a fake cluster that cannot start: bad input, never an expectation failure.
public struct ReplayError: Error, Hashable, Sendable, CustomStringConvertible {
    /// `file:line:column: reason` (or `file: reason`).
    public var description: String

    public init(_ description: String) {
        self.description = description
    }
}
