import DNSWire

extension ClusterDNSIndex {
    /// The answers for the names a pod's resolver asks most, each computed by the general path of
    /// a responder over this index (which must have none precomputed itself):
    /// `<svc>.<ns>.svc.<zone>` for A, AAAA and SRV, and `_<port>._<proto>.<svc>.<ns>.svc.<zone>`
    /// for SRV, for every named port of the Service and of its EndpointSlices.
    ///
    /// What `answer(name:type:depth:)` gives at depth 0 is a pure function of the index and the
    /// question, so handing out the stored outcome (its record arrays shared, not rebuilt) changes
    /// no answer; the steps that depend on the responder's state (shuffle, rotation, EDNS) still
    /// run on every reply. Names are spelled in lowercase with the zone as configured and the key
    /// is the exact wire form: a query spelled any other way is answered afresh, so that owner
    /// names keep the query's spelling.
    func precomputeAnswers() -> PrecomputedAnswers {
        let responder = ClusterDNSResponder(index: self)
        var entries: [PrecomputedAnswers.Entry] = []
        var seen = Set<[UInt8]>()
        entries.reserveCapacity(services.count * 2)
        seen.reserveCapacity(services.count * 2)
        func add(_ name: DNSName, address: Bool) {
            guard seen.insert(name.wire).inserted else { return }
            func outcome(_ type: DNSType) -> Outcome { responder.answer(name: name, type: type, depth: 0).classified() }
            entries.append(
                PrecomputedAnswers.Entry(wire: name.wire, a: address ? outcome(.a) : nil, aaaa: address ? outcome(.aaaa) : nil, srv: outcome(.srv)))
        }
        for entry in services.values {
            guard let name = entry.canonical else { continue }
            add(name, address: true)
            for port in entry.ports + entry.slicePorts.joined() {
                // `_<name>._<proto>`: each label at most 63 octets
                guard !port.name.isEmpty, !port.proto.isEmpty, port.name.count < 63, port.proto.count < 63 else { continue }
                var wire: [UInt8] = [UInt8(port.name.count + 1), UInt8(ascii: "_")] + port.name
                wire += [UInt8(port.proto.count + 1), UInt8(ascii: "_")] + port.proto
                guard let portName = try? DNSName(wire: wire + name.wire) else { continue }
                add(portName, address: false)
            }
        }
        return PrecomputedAnswers(entries)
    }

    /// The number of names with precomputed answers.
    var precomputedCount: Int { precomputed.count }
}
