/// Differences between packet times. Times come from capture files and per-interface offsets
/// (pcapng's `if_tsoffset`), so two of them may lie further apart than an Int64 of nanoseconds
/// holds: every difference saturates instead of trapping.
enum Elapsed {
    /// `end - start`, clamped to Int64's range.
    static func nanoseconds(from start: Int64, to end: Int64) -> Int64 {
        let (value, overflow) = end.subtractingReportingOverflow(start)
        guard overflow else { return value }
        return end > start ? .max : .min
    }

    /// `time + delta`, clamped to Int64's range.
    static func adding(_ delta: Int64, to time: Int64) -> Int64 {
        let (value, overflow) = time.addingReportingOverflow(delta)
        guard overflow else { return value }
        return delta > 0 ? .max : .min
    }
}
