import CVidTemporal

// The DAM workspace's size, which the op table's DAM functions derive their workspace dim from.

@c @implementation
public func vt_dual_attention_matching_workspace_count(_ n: Int64, _ t: Int64, _ d: Int64, _ dk: Int64,
                                                       _ count: UnsafeMutablePointer<Int64>?,
                                                       _ err: UnsafeMutablePointer<vt_error>?) -> Int32 {
    cabiCall("vt_dual_attention_matching_workspace_count", err) { () throws(VTError) in
        guard let count else { throw .nullPointer("count is NULL", argument: "count") }
        guard n >= 0, t >= 0, d >= 0, dk >= 0 else {
            throw .invalidArgument("n=\(n), t=\(t), d=\(d) and dk=\(dk) must be >= 0", argument: "n")
        }
        count.pointee = Int64(try DualAttentionMatching.workspaceCount(Int(n), Int(t), Int(d), Int(dk)))
    }
}
