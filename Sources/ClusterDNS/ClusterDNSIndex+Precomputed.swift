import DNSWire

/// The key of a precomputed answer: the question name's exact wire form and the question type.
struct PrecomputedKey: Hashable, Sendable {
    let name: WireKey
    let type: UInt16

    @inline(__always) init(_ name: WireKey, _ type: DNSType) {
        self.name = name
        self.type = type.rawValue
    }

    /// True for the types that may have precomputed answers.
    @inline(__always) static func covers(_ type: DNSType) -> Bool {
        type == .a || type == .aaaa || type == .srv
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(name.fnv &+ UInt64(type))
    }
}

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
    func precomputeAnswers() -> [PrecomputedKey: Outcome] {
        let responder = ClusterDNSResponder(index: self)
        var table: [PrecomputedKey: Outcome] = [:]
        table.reserveCapacity(services.count * 4)
        func add(_ name: DNSName, _ types: [DNSType]) {
            let key = WireKey(name.wire[...])
            for type in types where table[PrecomputedKey(key, type)] == nil {
                table[PrecomputedKey(key, type)] = responder.answer(name: name, type: type, depth: 0).classified()
            }
        }
        for entry in services.values {
            guard let name = entry.canonical else { continue }
            add(name, [.a, .aaaa, .srv])
            for port in entry.ports + entry.slicePorts.joined() {
                // `_<name>._<proto>`: each label at most 63 octets
                guard !port.name.isEmpty, !port.proto.isEmpty, port.name.count < 63, port.proto.count < 63 else { continue }
                var wire: [UInt8] = [UInt8(port.name.count + 1), UInt8(ascii: "_")] + port.name
                wire += [UInt8(port.proto.count + 1), UInt8(ascii: "_")] + port.proto
                guard let portName = try? DNSName(wire: wire + name.wire) else { continue }
                add(portName, [.srv])
            }
        }
        return table
    }

    /// The number of precomputed answers.
    var precomputedCount: Int { precomputed.count }
}
