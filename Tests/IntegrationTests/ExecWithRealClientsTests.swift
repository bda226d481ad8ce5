import Foundation
import Testing

/// The chapter's transcript through `kubetape exec`, with unmodified nslookup, getent, dig and curl
/// running inside the client pod's network namespace. Needs root (network namespaces); as root in
/// CI, so a missing privilege or tool is a failure with a message, never a silent pass.
@Suite(.serialized) struct ExecWithRealClientsTests {
    static var manifests: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("scenarios/clusters/kiada").path
    }

    static let podIPs: Set<String> = ["10.244.2.9", "10.244.2.10", "10.244.2.8", "10.244.1.10"]

    func exec(_ shell: String) throws -> KubetapeBinary.Result {
        try #require(getuid() == 0, "kubetape exec needs root (network namespaces); run the tests as root as CI does")
        for tool in ["/usr/bin/nslookup", "/usr/bin/dig", "/usr/bin/curl", "/usr/bin/getent"] {
            try #require(FileManager.default.isExecutableFile(atPath: tool), "\(tool) missing: run scripts/setup.sh")
        }
        return try KubetapeBinary.run(["exec", "--manifests", Self.manifests, "--", "/bin/sh", "-c", shell])
    }

    func addresses(_ text: String) -> [String] {
        text.split(separator: "\n").compactMap { line in
            line.hasPrefix("Address: ") ? String(line.dropFirst("Address: ".count)) : nil
        }
    }

    @Test func nslookupOfTheHeadlessServiceListsEveryPod() throws {
        let result = try exec("nslookup quote-headless")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(Set(addresses(result.stdout)) == Self.podIPs)
        #expect(result.stdout.contains("Server:\t\t10.96.0.10"))
        #expect(result.stdout.contains("Name:\tquote-headless.kiada.svc.cluster.local"))
        #expect(!result.stdout.contains("Non-authoritative answer"), "cluster answers carry AA")
    }

    @Test func nslookupOfTheClusterIPServiceGivesTheVirtualIP() throws {
        let result = try exec("nslookup quote")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(addresses(result.stdout) == ["10.96.161.97"])
    }

    @Test func getentAndDigSeeWhatAPodSees() throws {
        let result = try exec(
            """
            echo '# getent'; getent ahosts quote-headless | awk '{print $1}' | sort -u
            echo '# srv'; dig +short +search SRV _http._tcp.quote-headless.kiada.svc.cluster.local
            echo '# ptr'; dig +short -x 10.244.2.9
            echo '# tcp'; dig +tcp +short quote.kiada.svc.cluster.local
            echo '# hostname'; hostname
            """)
        #expect(result.status == 0, "\(result.stderr)")
        let sections = Dictionary(
            uniqueKeysWithValues: result.stdout.components(separatedBy: "# ").dropFirst().map { chunk -> (String, [String]) in
                let lines = chunk.split(separator: "\n").map(String.init)
                return (lines[0], Array(lines.dropFirst()))
            })
        #expect(Set(sections["getent"] ?? []) == Self.podIPs)
        #expect(
            Set(sections["srv"] ?? [])
                == Set(["10-244-2-9", "10-244-2-10", "10-244-2-8", "10-244-1-10"].map { "0 25 80 \($0).quote-headless.kiada.svc.cluster.local." }))
        #expect(Set(sections["ptr"] ?? []) == ["10-244-2-9.quote.kiada.svc.cluster.local.", "10-244-2-9.quote-headless.kiada.svc.cluster.local."])
        #expect(sections["tcp"] == ["10.96.161.97"])
        #expect(sections["hostname"] == ["dns-test"])
    }

    @Test func curlThroughBothNamesSpreadsOverPods() throws {
        let result = try exec(
            """
            for i in $(seq 30); do curl -s --max-time 3 http://quote-headless; done
            echo SPLIT
            for i in $(seq 30); do curl -s --max-time 3 http://quote; done
            """)
        #expect(result.status == 0, "\(result.stderr)")
        let halves = result.stdout.components(separatedBy: "SPLIT\n")
        try #require(halves.count == 2)
        let headless = halves[0].split(separator: "\n").map(String.init)
        let clusterIP = halves[1].split(separator: "\n").map(String.init)
        #expect(headless.count == 30 && clusterIP.count == 30)
        #expect(headless.allSatisfy { $0.hasPrefix("This is the quote service running in pod quote-") })
        #expect(Set(headless).count >= 3, "curl http://quote-headless reached only \(Set(headless))")
        #expect(Set(clusterIP).count >= 3, "curl http://quote reached only \(Set(clusterIP))")
    }

    @Test func curlVerboseShowsWhoIsDialled() throws {
        let result = try exec(
            "curl -sv --max-time 3 http://quote 2>&1 | grep 'Connected to'; curl -sv --max-time 3 http://quote-headless 2>&1 | grep 'Connected to'")
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        try #require(lines.count == 2, "\(result.stdout)")
        #expect(lines[0].contains("Connected to quote (10.96.161.97) port 80"))
        // "* Connected to quote-headless (10.244.2.9) port 80 (#0)"
        let podIP = lines[1].components(separatedBy: "quote-headless (").last?.components(separatedBy: ")").first ?? ""
        #expect(Self.podIPs.contains(podIP), "\(lines[1])")
    }

    @Test func pcapRecordsTheWholeExchangeForInspectAndTshark() throws {
        try #require(getuid() == 0, "needs root")
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("kubetape-exec-\(getpid()).pcap").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        let result = try KubetapeBinary.run([
            "exec", "--manifests", Self.manifests, "--pcap", file, "--", "/bin/sh", "-c", "nslookup quote-headless >/dev/null; curl -s http://quote",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("packets written to \(file)"))
        let inspect = try KubetapeBinary.run(["inspect", file, "--json"])
        #expect(inspect.status == 0, "\(inspect.stderr)")
        let events = inspect.stdout.split(separator: "\n").compactMap { line in
            try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        }
        let dnsQueries = events.filter { $0["kind"] as? String == "dns" && $0["qr"] as? Bool == false }
        // the client pod's queries carry its pod IP and go to the cluster DNS service IP
        #expect(
            dnsQueries.contains {
                $0["qname"] as? String == "quote-headless.kiada.svc.cluster.local." && ($0["src"] as? String)?.hasPrefix("10.244.1.20:") == true
                    && $0["dst"] as? String == "10.96.0.10:53"
            }, "\(dnsQueries)")
        let http = events.filter { $0["kind"] as? String == "http" }
        #expect(http.contains { ($0["server"] as? String)?.hasPrefix("10.96.161.97") == true && $0["status"] as? Int == 200 }, "\(http)")
        let tshark = "/usr/bin/tshark"
        try #require(FileManager.default.isExecutableFile(atPath: tshark), "tshark missing: run scripts/setup.sh")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tshark)
        process.arguments = ["-r", file, "-Y", "dns.qry.name == \"quote-headless.kiada.svc.cluster.local\"", "-T", "fields", "-e", "dns.qry.name"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(output.contains("quote-headless.kiada.svc.cluster.local"), "tshark read: \(output)")
    }

    @Test func worksWithStandardInputClosed() throws {
        // as CI runs it: with descriptor 0 closed, nslookup (libuv) must not get a socket as fd 0
        try #require(getuid() == 0, "needs root")
        let shell = "exec '\(KubetapeBinary.path)' exec --manifests '\(Self.manifests)' -- nslookup quote <&-"
        let result = try KubetapeBinary.runProgram("/bin/sh", ["-c", shell])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(addresses(result.stdout) == ["10.96.161.97"])
    }

    @Test func exitStatusOfTheCommandIsKubetapesAndNothingIsLeftBehind() throws {
        _ = try exec("true")  // checks root and tools
        let process = Process()
        process.executableURL = URL(fileURLWithPath: KubetapeBinary.path)
        process.arguments = ["exec", "--manifests", Self.manifests, "--", "/bin/sh", "-c", "exit 7"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 7)
        // this run's namespaces only: other suites (ExecStepTests) run kubetape in namespaces in parallel
        #expect(try Self.namespaces(of: process.processIdentifier).isEmpty)
    }

    @Test func aKilledExecLeavesNoNamespaceAfterTheNextRun() throws {
        let process = try Self.execSleepingUntilNamespacesExist()
        let pid = process.processIdentifier
        #expect(try !Self.namespaces(of: pid).isEmpty)
        // killed without a chance to clean up
        kill(pid, SIGKILL)
        process.waitUntilExit()
        // the killed run left its namespaces; the next run removes them
        #expect(try !Self.namespaces(of: pid).isEmpty)
        let next = try exec("true")
        #expect(next.status == 0)
        #expect(try Self.namespaces(of: pid).isEmpty, "stale namespaces of pid \(pid) were not removed")
        #expect(try Self.processes(named: "sleep 30").isEmpty, "the killed run's command was left running")
    }

    @Test func sigintTearsDownEverything() throws {
        let process = try Self.execSleepingUntilNamespacesExist()
        let pid = process.processIdentifier
        usleep(200_000)
        kill(pid, SIGINT)
        process.waitUntilExit()
        #expect(process.terminationStatus == 130)
        #expect(try Self.namespaces(of: pid).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: "/etc/netns/kubetape-\(pid)-client"))
    }

    /// Starts `kubetape exec -- sleep 30` and returns once its namespaces exist (or 10 s passed).
    static func execSleepingUntilNamespacesExist() throws -> Process {
        try #require(getuid() == 0, "needs root")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: KubetapeBinary.path)
        process.arguments = ["exec", "--manifests", manifests, "--", "sleep", "30"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(10)
        while try namespaces(of: process.processIdentifier).isEmpty && Date() < deadline { usleep(50_000) }
        return process
    }

    static func processes(named commandLine: String) throws -> [Int32] {
        try FileManager.default.contentsOfDirectory(atPath: "/proc").compactMap { entry in
            guard let pid = Int32(entry), let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else { return nil }
            let line = String(decoding: data, as: UTF8.self).replacingOccurrences(of: "\0", with: " ").trimmingCharacters(in: .whitespaces)
            return line == commandLine ? pid : nil
        }
    }

    static func namespaces(of pid: Int32) throws -> [String] {
        try allNamespaces().filter { $0.hasPrefix("kubetape-\(pid)-") }
    }

    static func ourNamespaces() throws -> [String] {
        try allNamespaces().filter { $0.hasPrefix("kubetape-") }
    }

    static func allNamespaces() throws -> [String] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
        process.arguments = ["netns", "list"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self).split(separator: "\n").map { String($0.split(separator: " ")[0]) }
    }
}
