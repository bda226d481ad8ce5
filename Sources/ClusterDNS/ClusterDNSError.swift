/// The one error type of ClusterDNS: bad options or bad resolver input, with a matchable code.
public struct ClusterDNSError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong, matchable.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The code's name, as printed.
        public let name: String
        init(_ name: String) { self.name = name }
        /// The name.
        public var description: String { name }

        /// An option value that cannot be used (zone, TTL…).
        public static let badOption = Code("badOption")
        /// A name that cannot be turned into a query (too long, empty label…).
        public static let badName = Code("badName")
        /// A resolv.conf that cannot be built or read.
        public static let badResolvConf = Code("badResolvConf")
    }

    /// What went wrong.
    public var code: Code
    /// A human explanation naming the offending value.
    public var reason: String

    /// An error with a code and a reason.
    public init(_ code: Code, _ reason: String) {
        self.code = code
        self.reason = reason
    }

    /// `code: reason`.
    public var description: String { "\(code): \(reason)" }
}
