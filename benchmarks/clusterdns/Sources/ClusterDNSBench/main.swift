import ClusterDNS
import ClusterModel
import DNSWire

#if canImport(Glibc)
    import Glibc
#endif

// ClusterDNS at scale: 10,000 services and 100,000 pods (10 per service, half the services
// headless), built directly as values with their EndpointSlices. Measures the index build, the
// memory it holds, and answers per second on one core for a mix of queries. Prints
// `key value` lines; ./bench turns them into the report. Times are the thread's CPU time, so
// the figures hold when other processes share the core.

let serviceCount = Int(CommandLine.arguments.first { $0.hasPrefix("--services=") }?.dropFirst(11) ?? "") ?? 10_000
let podsPerService = 10
let namespaces = 100
let seconds = Double(CommandLine.arguments.first { $0.hasPrefix("--seconds=") }?.dropFirst(10) ?? "") ?? 1.0
// --rounds=N: exactly N passes over each query set instead of timed ones (for instruction and
// cache counts under valgrind, which do not depend on the machine's load); --builds=N index builds
let rounds = Int(CommandLine.arguments.first { $0.hasPrefix("--rounds=") }?.dropFirst(9) ?? "")
let builds = Int(CommandLine.arguments.first { $0.hasPrefix("--builds=") }?.dropFirst(9) ?? "") ?? 3

func rssKiB(_ field: String) -> Int {
    guard let file = fopen("/proc/self/status", "r") else { return -1 }
    defer { fclose(file) }
    var line = [CChar](repeating: 0, count: 256)
    while fgets(&line, 256, file) != nil {
        let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if text.hasPrefix(field + ":") {
            return Int(text.dropFirst(field.count + 1).filter { $0.isNumber }) ?? -1
        }
    }
    return -1
}

func makeCluster() -> Cluster {
    var pods: [Pod] = []
    var services: [Service] = []
    var slices: [EndpointSlice] = []
    pods.reserveCapacity(serviceCount * podsPerService)
    for s in 0..<serviceCount {
        let namespace = "ns-\(s % namespaces)"
        let name = "svc-\(s)"
        let headless = s % 2 == 1
        var endpoints: [Endpoint] = []
        for p in 0..<podsPerService {
            let n = s * podsPerService + p
            let ip = IPAddress.v4(IPv4Address(UInt32(0x0AF4_0000) + UInt32(n)))  // 10.244.0.0/14 and up
            let podName = "\(name)-pod-\(p)"
            pods.append(Pod(meta: ObjectMeta(name: podName, namespace: namespace, labels: ["app": name]), ips: [ip]))
            endpoints.append(Endpoint(addresses: [ip], ready: true, targetPodName: podName))
        }
        let clusterIPs = headless ? [] : [IPAddress.v4(IPv4Address(UInt32(0x0A60_0000) + UInt32(s)))]
        services.append(
            Service(
                meta: ObjectMeta(name: name, namespace: namespace), clusterIPs: clusterIPs, isHeadless: headless, selector: ["app": name],
                ports: [ServicePort(name: "http", port: 80, targetPort: .number(8080))]))
        slices.append(
            EndpointSlice(
                meta: ObjectMeta(name: name + "-abcde", namespace: namespace, labels: ["kubernetes.io/service-name": name]), serviceName: name,
                addressType: .ipv4, endpoints: endpoints, ports: [EndpointPort(name: "http", port: 8080)], origin: .derived))
    }
    return Cluster(namespaces: Set((0..<namespaces).map { "ns-\($0)" } + ["default", "kube-system"]), pods: pods, services: services, endpointSlices: slices)
}

let clock = ContinuousClock()

/// CPU time of this thread in seconds: rates per CPU-second stay meaningful when other
/// processes share the core.
func cpuSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}
func secondsOf(_ d: Duration) -> Double {
    let (s, atto) = d.components
    return Double(s) + Double(atto) / 1e18
}

let rssBefore = rssKiB("VmRSS")
let cluster = makeCluster()
let rssCluster = rssKiB("VmRSS")
print("services \(cluster.services.count)")
print("pods \(cluster.pods.count)")

var options = ClusterDNSOptions()
options.seed = 1
var bestBuild = Double.infinity
var index: ClusterDNSIndex?
for _ in 0..<builds {
    index = nil
    let start = cpuSeconds()
    let built = ClusterDNSIndex(cluster: cluster, options: options)
    bestBuild = min(bestBuild, cpuSeconds() - start)
    index = built
}
guard let index else { fatalError("no index") }
let rssIndex = rssKiB("VmRSS")
print("index-build-seconds \(bestBuild)")
print("rss-baseline-mib \(Double(rssBefore) / 1024)")
print("rss-cluster-mib \(Double(rssCluster) / 1024)")
print("rss-with-index-mib \(Double(rssIndex) / 1024)")
print("index-mib \(Double(rssIndex - rssCluster) / 1024)")

// query sets: names of real objects, spread over the cluster
func name(_ text: String) -> DNSName {
    do { return try DNSName(text) } catch { fatalError("\(text): \(error)") }
}
var sets: [(String, [DNSMessage])] = []
let sample = stride(from: 0, to: serviceCount, by: max(1, serviceCount / 2000)).map { $0 }
sets.append(("clusterip-a", sample.filter { $0 % 2 == 0 }.map { s in .query(id: 1, name: name("svc-\(s).ns-\(s % namespaces).svc.cluster.local."), type: .a) }))
sets.append(("headless-a", sample.filter { $0 % 2 == 1 }.map { s in .query(id: 1, name: name("svc-\(s).ns-\(s % namespaces).svc.cluster.local."), type: .a) }))
sets.append(("srv", sample.map { s in .query(id: 1, name: name("_http._tcp.svc-\(s).ns-\(s % namespaces).svc.cluster.local."), type: .srv) }))
sets.append(
    (
        "ptr",
        sample.map { s in
            let n = s * podsPerService
            return .query(id: 1, name: name("\(n & 0xff).\((n >> 8) & 0xff).\(244 + (n >> 16)).10.in-addr.arpa."), type: .ptr)
        }
    ))
sets.append(("nxdomain", sample.map { s in .query(id: 1, name: name("svc-\(s).ns-\(s % namespaces).svc.cluster.local.ns-1.svc.cluster.local."), type: .a) }))
sets.append(
    ("aaaa-nodata", sample.filter { $0 % 2 == 0 }.map { s in .query(id: 1, name: name("svc-\(s).ns-\(s % namespaces).svc.cluster.local."), type: .aaaa) }))
// the mix a pod's getaddrinfo produces for `svc-N` with ndots:5: NXDOMAIN x2 per hit pair is
// typical of other-namespace lookups; here one of each kind per round
var mix: [DNSMessage] = []
for i in 0..<sets[0].1.count {
    for (_, queries) in sets { mix.append(queries[i % queries.count]) }
}
sets.append(("mix", mix))

var responder = ClusterDNSResponder(index: index)
// sanity: every set answers as expected
for (label, queries) in sets {
    let reply = responder.respond(to: queries[0])
    let ok: Bool
    switch label {
    case "nxdomain": ok = reply.rcode == .nxDomain
    case "aaaa-nodata": ok = reply.rcode == .noError && reply.answers.isEmpty
    case "headless-a": ok = reply.answers.count == podsPerService
    default: ok = reply.rcode == .noError && !reply.answers.isEmpty
    }
    if !ok { fatalError("\(label): unexpected reply\n\(reply)") }
}

let only = CommandLine.arguments.first { $0.hasPrefix("--only=") }.map { String($0.dropFirst(7)) }
for (label, queries) in sets where only == nil || only == label {
    var best = 0.0
    var sink = 0
    for _ in 0..<(rounds == nil ? 3 : 1) {
        var count = 0
        var passes = 0
        let start = clock.now
        let cpuStart = cpuSeconds()
        let deadline = start + .milliseconds(Int(seconds * 1000 / 3))
        while rounds.map({ passes < $0 }) ?? (clock.now < deadline) {
            passes += 1
            for q in queries {
                sink &+= responder.respond(to: q).answers.count
            }
            count += queries.count
        }
        best = max(best, Double(count) / (cpuSeconds() - cpuStart))
    }
    if sink == -1 { print("") }
    print("answers-per-second \(label) \(Int(best))")
}
print("rss-peak-mib \(Double(rssKiB("VmHWM")) / 1024)")
