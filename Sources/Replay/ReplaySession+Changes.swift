import ClusterDNS
import ClusterModel
import DNSWire
import FakeCluster
import Logging
import NIOCore
import Scenario

#if canImport(Glibc)
    import Glibc
#endif

/// Running a step; the steps that change the cluster (setReady, deletePod, deleteService, apply, scale) and `wait:`.
extension ReplaySession {
    mutating func run(_ original: Step, index: Int) async throws -> StepReport {
        let step = expanded(original)
        var report: StepReport
        switch step.action {
        case .lookup(let lookup):
            report = lookupStep(step, lookup, index: index)
        case .http(let fetch):
            report = try await httpStep(step, fetch, index: index)
        case .exec(let command):
            report = try await execStep(step, command, index: index)
        case .wait(let milliseconds):
            clock += milliseconds
            var what = "clock +\(ScenarioParser.durationText(milliseconds)) (now \(ScenarioParser.durationText(clock)))"
            if usesNetns {
                // unmodified programs keep their own time: wait for real
                try await Task.sleep(for: .milliseconds(milliseconds))
                what += ", slept for real"
            }
            return StepReport(index: index, name: step.name, kind: step.kind, line: step.location.line, observations: [what], checks: [])
        case .apply(let manifests):
            // reload every manifest so far plus the new ones, then redo the earlier changes
            appliedPaths += manifests.paths
            do {
                cluster = try ManifestLoader(options: loaderOptions).load(paths: scenario.cluster.manifests, applying: appliedPaths)
            } catch let error as ManifestError {
                throw ReplayError("\(scenario.displayPath):\(step.location.line):\(step.location.column): apply: \(error.description)")
            }
            for change in changes { _ = try mutate(change) }
            return try await changed(step, index: index, "applied \(manifests.written.joined(separator: " "))")
        case .setReady, .deletePod, .deleteService, .scale:
            let what = try mutate(step.action)
            changes.append(step.action)
            return try await changed(step, index: index, what)
        }
        if let variable = step.capture {
            if let value = report.capturedValue {
                variables[variable] = value
                report.observations.append("captured ${\(variable)} = \(value)")
            } else {
                let wanted = step.kind == "lookup" ? "an answer" : step.kind == "http" ? "a pod that served" : "a line of output"
                report.checks.append(
                    Check(expectation: "capture", passed: false, expected: ["\(wanted) to capture as ${\(variable)}"], actual: ["nothing to capture"]))
            }
        }
        return report
    }

    /// Applies a cluster change to `cluster` (without re-deriving) and says what it did.
    mutating func mutate(_ action: Step.Action) throws -> String {
        switch action {
        case .setReady(let reference, let ready):
            let position = try podIndex(reference)
            cluster.pods[position].ready = ready
            let pod = cluster.pods[position]
            return "\(pod.meta.namespace)/\(pod.meta.name) ready=\(ready)"
        case .deletePod(let reference):
            let position = try podIndex(reference)
            let pod = cluster.pods.remove(at: position)
            return "\(pod.meta.namespace)/\(pod.meta.name) deleted"
        case .deleteService(let reference):
            let namespace = reference.namespace ?? clientNamespace
            guard let position = cluster.services.firstIndex(where: { $0.meta.namespace == namespace && $0.meta.name == reference.name }) else {
                let known = cluster.services.filter { $0.meta.namespace == namespace }.map(\.meta.name)
                throw ReplayError(
                    "\(scenario.displayPath):\(reference.location.line):\(reference.location.column): no service \(namespace)/\(reference.name) in the cluster (services in \(namespace): \(known.joined(separator: ", ")))"
                )
            }
            cluster.services.remove(at: position)
            // its slices go with it: the controller's are garbage-collected, mirrored ones deleted
            cluster.endpointSlices.removeAll { $0.meta.namespace == namespace && $0.serviceName == reference.name }
            return "service \(namespace)/\(reference.name) deleted"
        case .scale(let scale):
            let namespace = scale.workload.namespace ?? clientNamespace
            let result: ScaleResult
            do {
                result = try cluster.scale(scale.workload.name, namespace: namespace, kind: scale.kind, to: scale.replicas, seed: seed)
            } catch {
                throw ReplayError("\(scenario.displayPath):\(scale.workload.location.line):\(scale.workload.location.column): scale: \(error)")
            }
            let created = result.created.map { "\($0.meta.name) (\($0.ips.map(\.description).joined(separator: ", ")))" }
            return "\(namespace)/\(scale.workload.name) scaled to \(scale.replicas)" + (created.isEmpty ? "" : "; created " + created.joined(separator: ", "))
                + (result.deleted.isEmpty ? "" : "; deleted " + result.deleted.joined(separator: ", "))
        default:
            return ""
        }
    }

    func podIndex(_ reference: PodReference) throws -> Int {
        let namespace = reference.namespace ?? clientNamespace
        guard let position = cluster.pods.firstIndex(where: { $0.meta.namespace == namespace && $0.meta.name == reference.name }) else {
            let known = cluster.pods.filter { $0.meta.namespace == namespace }.map(\.meta.name)
            throw ReplayError(
                "\(scenario.displayPath):\(reference.location.line):\(reference.location.column): no pod \(namespace)/\(reference.name) in the cluster (pods in \(namespace): \(known.joined(separator: ", ")))"
            )
        }
        return position
    }

    /// After a change: re-derive the slices, rebuild the DNS responder, and stop the runtime (its
    /// forwarding table and listeners are fixed at start), which the next http step starts anew.
    mutating func changed(_ step: Step, index: Int, _ what: String) async throws -> StepReport {
        cluster.deriveEndpointSlices()
        handler.replace(with: ClusterDNSResponder(cluster: cluster, options: dnsOptions))
        await shutdown()
        try await start()
        return StepReport(index: index, name: step.name, kind: step.kind, line: step.location.line, observations: [what], checks: [])
    }

}
