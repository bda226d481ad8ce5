import Foundation
import PacketCapture
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The `kubetape` executable SwiftPM builds next to the test bundle.
func kubetapeBinary() throws -> String {
    let bundleDirectory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for candidate in [
        bundleDirectory.appendingPathComponent("kubetape").path, bundleDirectory.deletingLastPathComponent().appendingPathComponent("kubetape").path,
    ] {
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    struct Missing: Error, CustomStringConvertible {
        var description = "the kubetape executable was not found next to the test bundle; build it (scripts/swift-locked build) before running these tests"
    }
    throw Missing()
}

/// A running `kubetape capture` whose standard error is collected in a file.
final class CaptureProcess {
    let process = Process()
    let directory: URL
    let errURL: URL

    init(_ arguments: [String], executable: String? = nil, prefix: [String] = []) throws {
        directory = try temporaryDirectory()
        errURL = directory.appendingPathComponent("stderr")
        FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let binary = try kubetapeBinary()
        if let executable {
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = prefix + [binary] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: binary)
            process.arguments = arguments
        }
        process.standardError = try FileHandle(forWritingTo: errURL)
        process.standardOutput = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        try? FileManager.default.removeItem(at: directory)
    }

    var stderr: String { (try? String(contentsOf: errURL, encoding: .utf8)) ?? "" }

    /// Waits until standard error contains `text`, or the process exits, or `seconds` pass.
    func wait(for text: String, seconds: Double = 10) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if stderr.contains(text) { return true }
            if !process.isRunning { return stderr.contains(text) }
            usleep(20_000)
        }
        return false
    }

    /// Waits for exit (killing the process after `seconds`) and returns the status.
    func finish(seconds: Double = 15) -> Int32? {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            return nil
        }
        process.waitUntilExit()
        return process.terminationStatus
    }
}

/// A DNS query for `kubetape.test. A` with the given ID, as wire octets.
func dnsQuery(id: UInt16) -> [UInt8] {
    var bytes: [UInt8] = [UInt8(id >> 8), UInt8(id & 0xFF), 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]
    for label in ["kubetape", "test"] {
        bytes.append(UInt8(label.utf8.count))
        bytes += Array(label.utf8)
    }
    bytes += [0, 0, 1, 0, 1]
    return bytes
}

@Suite("kubetape capture (needs root and the built binary)")
struct CaptureCommandTests {
    @Test("default filter plus --dns-port: datagrams to the extra port are written and counted as DNS; periodic progress lines")
    func dnsPortDuration() throws {
        try requireRoot()
        let receiver = try LoopbackUDPReceiver()
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("dns.pcap").path
        let run = try CaptureProcess(["capture", "-i", "lo", "-w", file, "--dns-port", "\(receiver.port)", "--duration", "2.6"])
        #expect(run.wait(for: "listening on lo"), "no start line: \(run.stderr)")
        #expect(run.stderr.contains("filter \"port 53 or tcp port 80 or port \(receiver.port)\""))
        for id in 1...3 { receiver.send(dnsQuery(id: UInt16(id))) }
        let status = run.finish()
        let stderr = run.stderr
        #expect(status == 0, "stderr: \(stderr)")
        // Other traffic on lo (port 53/80) may be captured too; ours must be there.
        let rows = try tsharkFields(file, ["frame.number"], options: ["-Y", "udp.dstport == \(receiver.port)"])
        #expect(rows.count == 3)
        let packets = try CaptureFileReader.readAll(path: file)
        #expect(packets.allSatisfy { $0.linkType == .ethernet })
        let summary = try #require(stderr.split(separator: "\n").last { $0.contains("packets written to") })
        #expect(summary.contains("received by filter"))
        #expect(summary.contains("dropped by kernel"))
        let dnsCount = summary.split(separator: ";").first { $0.contains("DNS messages") }.flatMap { Int($0.split(separator: " ").first ?? "") } ?? -1
        #expect(dnsCount >= 3, "summary: \(summary)")
        // Not a terminal: progress comes as whole lines, no carriage returns.
        #expect(stderr.contains("capture: ") && stderr.contains(" packets, "))
        #expect(!stderr.contains("\r"))
    }

    @Test("SIGTERM and SIGINT stop the capture cleanly with the file flushed", arguments: [SIGTERM, SIGINT])
    func signalStops(signal: Int32) throws {
        try requireRoot()
        let receiver = try LoopbackUDPReceiver()
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("sig.pcap").path
        let run = try CaptureProcess(["capture", "-i", "any", "-w", file, "-f", "udp dst port \(receiver.port)"])
        #expect(run.wait(for: "listening on any"), "no start line: \(run.stderr)")
        #expect(run.stderr.contains("LINUX_SLL2"))
        for id in 1...4 { receiver.send(dnsQuery(id: UInt16(id))) }
        usleep(300_000)
        let sent = ContinuousClock.now
        kill(run.process.processIdentifier, signal)
        let status = run.finish(seconds: 5)
        #expect(ContinuousClock.now - sent < .seconds(2), "stop took too long")
        #expect(status == 0, "stderr: \(run.stderr)")
        let packets = try CaptureFileReader.readAll(path: file)
        #expect(packets.count == 4)
        #expect(packets.allSatisfy { $0.linkType == .linuxSLL2 })
        #expect(run.stderr.contains("4 packets written to"))
    }

    @Test("--count stops after N packets; --link-type sll on any; --snaplen cuts packets; --immediate")
    func countAndOptions() throws {
        try requireRoot()
        let receiver = try LoopbackUDPReceiver()
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("count.pcap").path
        let run = try CaptureProcess([
            "capture", "-i", "any", "-w", file, "-f", "udp dst port \(receiver.port)", "--count", "2", "--link-type", "sll", "--snaplen", "40",
            "--no-promiscuous", "--immediate", "--duration", "20",
        ])
        #expect(run.wait(for: "listening on any"), "no start line: \(run.stderr)")
        for id in 1...5 { receiver.send(dnsQuery(id: UInt16(id))) }
        let status = run.finish()
        #expect(status == 0, "stderr: \(run.stderr)")
        let reader = try CaptureFileReader(path: file)
        #expect(reader.fileLinkType == .linuxSLL)
        var packets: [CapturedPacket] = []
        while let packet = try reader.next() { packets.append(packet) }
        #expect(packets.count == 2)
        #expect(packets.allSatisfy { $0.data.count == 40 && $0.originalLength > 40 })
    }

    @Test(
        "bad input exits 2 with a plain message",
        arguments: [
            (["capture", "-i", "kubetape-nope0", "-w", "/tmp/kubetape-never.pcap"], "available interfaces"),
            (["capture", "-i", "lo", "-w", "/tmp/kubetape-never.pcap", "-f", "udp port banana"], "udp port banana"),
            (["capture", "-i", "lo", "-w", "/nonexistent-dir/x.pcap"], "/nonexistent-dir/x.pcap"),
            (["capture", "-i", "lo", "-w", "/tmp/kubetape-never.pcap", "--count", "0"], "--count"),
            (["capture", "-w", "/tmp/kubetape-never.pcap"], "--interface"),
            (["capture", "-i", "lo", "-w", "/tmp/kubetape-never.pcap", "--duration", "1e300"], "--duration"),
        ])
    func badInput(arguments: [String], message: String) throws {
        try requireRoot()
        let run = try CaptureProcess(arguments)
        #expect(run.finish() == 2)
        #expect(run.stderr.contains(message), "stderr: \(run.stderr)")
        if message == "available interfaces" { #expect(run.stderr.contains("lo")) }
    }

    @Test("on a terminal the progress is one line updated in place with \\r")
    func terminalProgress() throws {
        try requireRoot()
        let receiver = try LoopbackUDPReceiver()
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("tty.pcap").path
        let binary = try kubetapeBinary()
        // script(1) gives the command a pseudo-terminal; its output carries our standard error.
        let sender = Thread {
            usleep(400_000)
            for id in 1...3 { receiver.send(dnsQuery(id: UInt16(id))) }
        }
        sender.start()
        let result = try run("script", ["-qec", "\(binary) capture -i lo -w \(file) -f 'udp dst port \(receiver.port)' --duration 1.5", "/dev/null"])
        #expect(result.status == 0, "output: \(result.stdout)")
        #expect(result.stdout.contains("\r3 packets, "), "output: \(result.stdout.debugDescription)")
        #expect(result.stdout.contains("\u{1B}[K"))
        #expect(result.stdout.contains("3 packets written to"))
    }

    @Test("without CAP_NET_RAW/CAP_NET_ADMIN (uid nobody) the error says which capabilities are missing")
    func noPermission() throws {
        try requireRoot()
        let setpriv = try requireTool("setpriv")
        let run = try CaptureProcess(
            ["capture", "-i", "lo", "-w", "/tmp/kubetape-nobody-\(getpid()).pcap"], executable: setpriv,
            prefix: ["--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all"])
        #expect(run.finish() == 2)
        #expect(run.stderr.contains("CAP_NET_RAW") && run.stderr.contains("CAP_NET_ADMIN"), "stderr: \(run.stderr)")
    }
}
