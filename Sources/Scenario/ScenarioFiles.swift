import ClusterModel

#if canImport(Glibc)
    import Glibc
#endif

/// Which files `kubetape run PATH...` treats as scenarios.
public enum ScenarioFiles {
    /// Files as given; for a directory, its `*.yaml`/`*.yml` files sorted by name (not descending
    /// into subdirectories, so `scenarios/clusters/` is never read as scenarios).
    public static func expand(_ paths: [String]) throws -> [String] {
        var files: [String] = []
        for path in paths {
            var info = stat()
            guard stat(path, &info) == 0 else {
                throw ScenarioError(.unreadable, at: SourceLocation(file: path, line: 1), "no such file or directory")
            }
            if (info.st_mode & S_IFMT) == S_IFDIR {
                guard let directory = opendir(path) else {
                    throw ScenarioError(.unreadable, at: SourceLocation(file: path, line: 1), "cannot list the directory")
                }
                var names: [String] = []
                while let entry = readdir(directory) {
                    let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                        String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
                    }
                    guard !name.hasPrefix("."), name.hasSuffix(".yaml") || name.hasSuffix(".yml") else { continue }
                    let full = path.hasSuffix("/") ? path + name : path + "/" + name
                    var entryInfo = stat()
                    if stat(full, &entryInfo) == 0, (entryInfo.st_mode & S_IFMT) == S_IFREG { names.append(full) }
                }
                closedir(directory)
                files += names.sorted()
            } else {
                files.append(path)
            }
        }
        return files
    }
}
