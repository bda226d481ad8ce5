import CNetNamespace
import Foundation

/// A Linux network namespace that kubetape made (`ip netns add`), named `kubetape-<pid>-<role>`
/// so that a later run can tell whether its owner is still alive and remove it if not.
public struct NetworkNamespace: Hashable, Sendable {
    public let name: String

    /// Path of the namespace's bind mount.
    public var path: String { "/var/run/netns/\(name)" }

    /// The prefix of every namespace this process creates.
    public static func prefix(pid: Int32 = getpid()) -> String { "kubetape-\(pid)-" }

    /// Creates `kubetape-<pid>-<role>`.
    public static func create(role: String) throws -> NetworkNamespace {
        let namespace = NetworkNamespace(name: prefix() + role)
        try IPCommand.run(["netns", "add", namespace.name])
        return namespace
    }

    /// Removes the namespace; errors are ignored (it may already be gone).
    public func remove() {
        _ = try? IPCommand.run(["netns", "delete", name])
        try? FileManager.default.removeItem(atPath: "/etc/netns/\(name)")
    }

    /// Runs `ip -n <name> ARGS`.
    public func ip(_ arguments: [String]) throws {
        try IPCommand.run(["-n", name] + arguments)
    }

    /// Removes every namespace of this process (`kubetape-<own pid>-…`) after ending what runs in
    /// it (all started by kubetape): the last resort on SIGINT/SIGTERM. Returns the names removed.
    @discardableResult
    public static func removeOwned() -> [String] {
        removeAll { $0.hasPrefix(prefix()) }
    }

    /// Removes every `kubetape-<pid>-…` namespace whose process no longer exists, after ending the
    /// commands a killed run left inside (kubetape started them). Returns the names removed.
    @discardableResult
    public static func removeStale() -> [String] {
        removeAll { name in
            let parts = name.split(separator: "-")
            guard parts.count >= 3, parts[0] == "kubetape", let pid = Int32(parts[1]) else { return false }
            return pid != getpid() && kill(pid, 0) != 0 && errno == ESRCH
        }
    }

    /// SIGKILL to every process inside the namespace (never this one).
    public func killProcesses() {
        guard let pids = try? IPCommand.output(["netns", "pids", name]) else { return }
        for pid in pids.split(separator: "\n").compactMap({ Int32($0) }) where pid != getpid() { kill(pid, SIGKILL) }
    }

    /// Ends the processes in, and removes, every listed namespace whose name `selected` accepts.
    private static func removeAll(where selected: (String) -> Bool) -> [String] {
        guard let listing = try? IPCommand.output(["netns", "list"]) else { return [] }
        var removed: [String] = []
        for line in listing.split(separator: "\n") {
            let name = String(line.split(separator: " ").first ?? "")
            guard !name.isEmpty, selected(name) else { continue }
            let namespace = NetworkNamespace(name: name)
            namespace.killProcesses()
            namespace.remove()
            removed.append(name)
        }
        return removed
    }

    /// Runs `body` on a fresh thread that has entered this namespace, and returns its result.
    /// Sockets created there stay in the namespace after the thread ends.
    public func perform<T: Sendable>(_ body: @escaping @Sendable () throws -> T) throws -> T {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw NetnsError("cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let box = ResultBox<T>()
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            if kubetape_setns_net(fd) != 0 {
                box.result = .failure(NetnsError("setns(\(self.name)) failed: \(String(cString: strerror(errno)))"))
            } else {
                box.result = Result { try body() }
            }
            done.signal()
        }
        thread.start()
        done.wait()
        guard let result = box.result else { throw NetnsError("namespace worker produced no result") }
        return try result.get()
    }
}

final class ResultBox<T>: @unchecked Sendable {
    var result: Result<T, Error>?
}

/// A failure while building or tearing down network namespaces.
public struct NetnsError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}

/// Runs iproute2's `ip`.
enum IPCommand {
    static var path: String {
        ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"].first { FileManager.default.isExecutableFile(atPath: $0) } ?? "/usr/sbin/ip"
    }

    @discardableResult
    static func run(_ arguments: [String]) throws -> String {
        try output(arguments)
    }

    static func output(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        do {
            try process.run()
        } catch {
            throw NetnsError("cannot run \(path): \(error) (apt-get install iproute2)")
        }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errors = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw NetnsError(
                "ip \(arguments.joined(separator: " ")): \(String(decoding: errors, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        return String(decoding: data, as: UTF8.self)
    }
}

/// Opens sockets with plain system calls, for handing to NIO once they are bound inside a namespace.
enum RawSocket {
    /// A bound (and, for TCP, listening) IPv4 or IPv6 socket.
    static func bound(address: String, port: UInt16, tcp: Bool) throws -> CInt {
        try open(address: address, port: port, type: tcp ? SOCK_STREAM : SOCK_DGRAM, operation: "bind") { fd, socketAddress, length in
            var one: CInt = 1
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<CInt>.size))
            guard bind(fd, socketAddress, length) == 0 else { return false }
            return !tcp || listen(fd, 512) == 0
        }
    }

    /// A TCP socket connected to `address:port`, IPv4 or IPv6 (blocking connect; the peer is local
    /// to the namespace).
    static func connected(address: String, port: UInt16) throws -> CInt {
        try open(address: address, port: port, type: SOCK_STREAM, operation: "connect") { fd, socketAddress, length in
            connect(fd, socketAddress, length) == 0
        }
    }

    /// Creates a socket of the address's family (IPv4 or IPv6, IPv6 sockets IPv6-only), runs
    /// `operation` on it with `address:port`, and returns it, or closes it and throws with errno's
    /// reason when any step fails.
    private static func open(
        address: String, port: UInt16, type: __socket_type, operation name: String,
        _ operation: (CInt, UnsafePointer<sockaddr>, socklen_t) -> Bool
    ) throws -> CInt {
        var sin = sockaddr_in()
        var sin6 = sockaddr_in6()
        let family: CInt
        if inet_pton(AF_INET, address, &sin.sin_addr) == 1 {
            family = AF_INET
            sin.sin_family = sa_family_t(AF_INET)
            sin.sin_port = port.bigEndian
        } else if inet_pton(AF_INET6, address, &sin6.sin6_addr) == 1 {
            family = AF_INET6
            sin6.sin6_family = sa_family_t(AF_INET6)
            sin6.sin6_port = port.bigEndian
        } else {
            throw NetnsError("not an IP address: \(address)")
        }
        let fd = socket(family, Int32(type.rawValue), 0)
        guard fd >= 0 else { throw NetnsError("socket(): \(String(cString: strerror(errno)))") }
        let succeeded: Bool
        if family == AF_INET6 {
            var one: CInt = 1
            setsockopt(fd, CInt(IPPROTO_IPV6), IPV6_V6ONLY, &one, socklen_t(MemoryLayout<CInt>.size))
            succeeded = withUnsafePointer(to: &sin6) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { operation(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
            }
        } else {
            succeeded = withUnsafePointer(to: &sin) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { operation(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        }
        guard succeeded else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw NetnsError("\(name) \(address):\(port): \(reason)")
        }
        return fd
    }
}
