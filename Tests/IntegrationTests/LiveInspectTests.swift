import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `tcpdump -i lo -U -w - | kubetape inspect -` and `kubetape capture -w - | kubetape inspect -`:
/// a live capture watched as it happens. dig asks `kubetape serve` (loopback only); the query and
/// its response come out of inspect while the capture is still running, and inspect ends cleanly
/// when the capture stops.
///
/// The capture stops by itself after three packets (the first exchange, then the query of a
/// second one), not by a signal: processes started from the test runner inherit its blocked
/// signal mask, so a SIGTERM would stay pending in tcpdump.
@Suite(.serialized) struct LiveInspectTests {
    @Test func tcpdumpPipedIntoInspectShowsQueriesAsTheyHappen() throws {
        let tcpdumpPath = "/usr/bin/tcpdump"
        try #require(FileManager.default.isExecutableFile(atPath: tcpdumpPath), "\(tcpdumpPath) missing: run scripts/setup.sh")
        try Self.watch(capturer: tcpdumpPath, ready: "listening on") { port in ["-i", "lo", "-U", "-c", "3", "-w", "-", "udp port \(port)"] }
    }

    /// The same with `kubetape capture -w -`, which flushes what it wrote whenever the
    /// interface goes quiet.
    @Test func kubetapeCapturePipedIntoInspectShowsQueriesAsTheyHappen() throws {
        try Self.watch(capturer: KubetapeBinary.path, ready: "capture: listening on") { port in
            ["capture", "-i", "lo", "--count", "3", "-w", "-", "-f", "udp port \(port)"]
        }
    }

    /// Starts `capturer` (which must stop by itself after three packets) piped into
    /// `kubetape inspect -`, waits for it to print `ready` on stderr, has dig ask twice, and
    /// checks that the first exchange was shown while the capture still ran.
    static func watch(capturer: String, ready: String, arguments: (Int) -> [String]) throws {
        try #require(getuid() == 0, "capturing on lo needs root (CAP_NET_RAW); CI runs as root")
        let server = try ServeLoopbackTests.Server(port: ServeLoopbackTests.freePort(), extra: ["--dns-only"])
        defer { _ = server.stop() }
        try #require(server.ready, "serve printed: \(server.lines)")

        let capture = Process()
        capture.executableURL = URL(fileURLWithPath: capturer)
        capture.arguments = arguments(server.port)
        let stream = Pipe()
        let captureErrors = Pipe()
        capture.standardOutput = stream
        capture.standardError = captureErrors
        let inspect = Process()
        inspect.executableURL = URL(fileURLWithPath: KubetapeBinary.path)
        inspect.arguments = ["inspect", "--dns-port", "\(server.port)", "-"]
        let lines = Pipe()
        inspect.standardInput = stream
        inspect.standardOutput = lines
        inspect.standardError = FileHandle.nullDevice
        try inspect.run()
        try capture.run()
        defer {
            Self.end(capture)
            Self.end(inspect)
        }
        // Our copy of the stream's write end must go, or inspect never sees the end.
        try? stream.fileHandleForWriting.close()

        let listening = Self.readUntil(captureErrors.fileHandleForReading, contains: ready, seconds: 10)
        try #require(listening.contains(ready), "\(capturer): \(listening)")

        #expect(try Self.dig(port: server.port) == 0)
        let shown = Self.readUntil(lines.fileHandleForReading, contains: " response ", seconds: 10)
        #expect(capture.isRunning, "the lines came while the capture was still running (it waits for a third packet)")
        #expect(shown.contains(" query id=") && shown.contains("quote.kiada.svc.cluster.local. A"), "inspect printed: \(shown)")
        #expect(shown.contains(" response id=") && shown.contains("→ A 10.96.161.97"), "inspect printed: \(shown)")

        // the third packet ends the capture, and the end of the stream ends inspect
        _ = try Self.dig(port: server.port)
        #expect(Self.wait(for: capture, seconds: 10), "\(capturer) did not stop after three packets")
        #expect(Self.wait(for: inspect, seconds: 10), "inspect did not end with its input")
        if !inspect.isRunning { #expect(inspect.terminationStatus == 0, "inspect ends cleanly at the end of the stream") }
    }

    static func dig(port: Int) throws -> Int32 {
        let dig = Process()
        dig.executableURL = URL(fileURLWithPath: "/usr/bin/dig")
        dig.arguments = ["+tries=1", "+time=2", "+short", "@127.0.0.1", "-p", "\(port)", "quote.kiada.svc.cluster.local"]
        dig.standardOutput = FileHandle.nullDevice
        try dig.run()
        dig.waitUntilExit()
        return dig.terminationStatus
    }

    /// True when `process` ended within `seconds`.
    static func wait(for process: Process, seconds: Int) -> Bool {
        let deadline = Date().addingTimeInterval(TimeInterval(seconds))
        while process.isRunning, Date() < deadline { usleep(20_000) }
        return !process.isRunning
    }

    /// Ends a process this test started that is still running: SIGKILL (a SIGTERM would stay
    /// pending behind the inherited signal mask), then reaps it.
    static func end(_ process: Process) {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    /// Reads `handle` until the text read contains `needle` or `seconds` pass (poll, then read).
    static func readUntil(_ handle: FileHandle, contains needle: String, seconds: Int) -> String {
        var text = ""
        let deadline = Date().addingTimeInterval(TimeInterval(seconds))
        while !text.contains(needle), Date() < deadline {
            var descriptor = pollfd(fd: handle.fileDescriptor, events: Int16(POLLIN), revents: 0)
            let left = Int32(max(1, deadline.timeIntervalSinceNow * 1000))
            guard poll(&descriptor, 1, left) == 1 else { break }
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
        }
        return text
    }
}
