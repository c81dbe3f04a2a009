import CVidTemporal

/// Kept equal to VT_VERSION in the header (a test checks).
let libraryVersion: StaticString = "0.1.0"

@c @implementation
public func vt_abi_version() -> Int32 {
    Int32(VT_ABI_VERSION)
}

@c @implementation
public func vt_version_string() -> UnsafePointer<CChar>? {
    UnsafeRawPointer(libraryVersion.utf8Start).assumingMemoryBound(to: CChar.self)
}

/// The build's instruction set: the -DVT_BUILD_X86_64_V4 build is compiled for Skylake-X (AVX-512),
/// the -DVT_BUILD_X86_64_V3 one for Haswell (tools/build_library.sh), any other x86-64 build for
/// the baseline.
@c @implementation
public func vt_cpu_dispatch() -> UnsafePointer<CChar>? {
    let build: StaticString
    #if VT_BUILD_X86_64_V4
    build = "x86-64-v4"
    #elseif VT_BUILD_X86_64_V3
    build = "x86-64-v3"
    #elseif arch(x86_64)
    build = "x86-64"
    #elseif arch(arm64)
    build = "arm64"
    #else
    build = "portable"
    #endif
    return UnsafeRawPointer(build.utf8Start).assumingMemoryBound(to: CChar.self)
}

@c @implementation
public func vt_status_string(_ status: Int32) -> UnsafePointer<CChar>? {
    UnsafeRawPointer(statusDescription(status).utf8Start).assumingMemoryBound(to: CChar.self)
}

@c @implementation
public func vt_set_num_threads(_ n: Int32, _ err: UnsafeMutablePointer<vt_error>?) -> Int32 {
    cabiCall("vt_set_num_threads", err) { () throws(VTError) in
        guard n >= 0 else { throw .invalidArgument("n=\(n) must be >= 1, or 0 for the default", argument: "n") }
        Threads.set(Int(n))
    }
}

@c @implementation
public func vt_get_num_threads() -> Int32 {
    Int32(Threads.count)
}

@c @implementation
public func vt_get_blas_info(_ info: UnsafeMutablePointer<vt_blas_info>?, _ err: UnsafeMutablePointer<vt_error>?) -> Int32 {
    cabiCall("vt_get_blas_info", err) { () throws(VTError) in
        guard let info else { throw .nullPointer("info is NULL", argument: "info") }
        let blas = BLAS.info()
        var result = vt_blas_info()
        copyTruncated(blas.name, into: &result.name)
        copyTruncated(blas.version, into: &result.version)
        copyTruncated(blas.core, into: &result.core)
        result.threads = Int32(blas.threads)
        info.pointee = result
    }
}
