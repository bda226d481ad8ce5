/// The manifests could not be turned into a cluster: every error found, each with its file and line.
///
/// The CLI reports it as bad input (exit code 2). Warnings never end up here; they stay in
/// `Cluster.warnings` and the objects they concern are kept.
public struct ManifestError: Error, CustomStringConvertible, Hashable, Sendable {
    /// The errors, in file order and then line order within a file.
    public var diagnostics: [ManifestDiagnostic]

    /// An error carrying these diagnostics.
    public init(diagnostics: [ManifestDiagnostic]) {
        self.diagnostics = diagnostics
    }

    /// One line per error: `file:line:column: error: reason`.
    public var description: String {
        diagnostics.map(\.description).joined(separator: "\n")
    }
}
