import DNSWire

/// Outcomes computed with the index for the names clients ask most, looked up by the question's
/// exact wire form and type (see `ClusterDNSIndex.precomputeAnswers()` for which names and why
/// handing them out changes no answer).
///
/// An open-addressing table rather than a `Dictionary`: the slots are one word each (a tag from
/// the hash and the entry's position), so a probe touches one small array that stays in cache and
/// the entry itself only when the tag matches; a name's three outcomes sit side by side.
struct PrecomputedAnswers: Sendable {
    /// One name and its outcomes, `nil` for the types not computed.
    struct Entry: Sendable {
        /// The question name's wire form, spelled exactly as a query must spell it to match.
        let wire: [UInt8]
        let a: Outcome?
        let aaaa: Outcome?
        let srv: Outcome?
    }

    /// A power-of-two number of slots: 0 when empty, else the high 32 bits of the name's hash
    /// and, in the low 32 bits, the entry's position plus one. Linear probing.
    private let slots: [UInt64]
    private let entries: [Entry]

    /// No precomputed answers.
    static let none = PrecomputedAnswers([])

    /// A table over `entries`, whose names must be distinct.
    init(_ entries: [Entry]) {
        self.entries = entries
        guard !entries.isEmpty else {
            slots = []
            return
        }
        var size = 16
        while size < entries.count + entries.count / 2 { size *= 2 }
        var slots = [UInt64](repeating: 0, count: size)
        for (position, entry) in entries.enumerated() {
            let hash = entry.wire.withUnsafeBytes { WireKey.hash($0) }
            var i = Int(truncatingIfNeeded: hash) & (size - 1)
            while slots[i] != 0 { i = (i + 1) & (size - 1) }
            slots[i] = (hash & 0xffff_ffff_0000_0000) | UInt64(position + 1)
        }
        self.slots = slots
    }

    /// The number of names.
    var count: Int { entries.count }

    /// True for the types that may have precomputed answers.
    @inline(__always) static func covers(_ type: DNSType) -> Bool {
        type == .a || type == .aaaa || type == .srv
    }

    /// The outcome for a question spelled exactly as `wire`, if precomputed.
    @inline(__always) func outcome(_ wire: [UInt8], _ type: DNSType) -> Outcome? {
        guard !slots.isEmpty else { return nil }
        let hash = wire.withUnsafeBytes { WireKey.hash($0) }
        let tag = hash & 0xffff_ffff_0000_0000
        let position: Int? = slots.withUnsafeBufferPointer { slots in
            let mask = slots.count - 1
            var i = Int(truncatingIfNeeded: hash) & mask
            while true {
                let slot = slots[i]
                if slot == 0 { return nil }
                if slot & 0xffff_ffff_0000_0000 == tag {
                    let position = Int(truncatingIfNeeded: slot & 0xffff_ffff) - 1
                    if entries.withUnsafeBufferPointer({ PrecomputedAnswers.same($0[position].wire, wire) }) { return position }
                }
                i = (i + 1) & mask
            }
        }
        guard let position else { return nil }
        switch type {
        case .a: return entries[position].a
        case .aaaa: return entries[position].aaaa
        case .srv: return entries[position].srv
        default: return nil
        }
    }

    @inline(__always) static func same(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        return a.withUnsafeBytes { x in
            b.withUnsafeBytes { y in
                let n = x.count
                var i = 0
                while i + 8 <= n {
                    if x.loadUnaligned(fromByteOffset: i, as: UInt64.self) != y.loadUnaligned(fromByteOffset: i, as: UInt64.self) { return false }
                    i += 8
                }
                while i < n {
                    if x[i] != y[i] { return false }
                    i += 1
                }
                return true
            }
        }
    }
}
