import CVidTemporal
import XCTest

/// The library-wide exports: versions, status strings, thread count, the BLAS.
final class LibraryTests: XCTestCase {
    func testVersions() {
        XCTAssertEqual(vt_abi_version(), VT_ABI_VERSION)
        XCTAssertEqual(String(cString: vt_version_string()), VT_VERSION)
    }

    /// The tests build the module without -DVT_BUILD_X86_64_V3: the baseline's name.
    func testCPUDispatchNamesTheBuild() {
        #if arch(x86_64)
        XCTAssertEqual(String(cString: vt_cpu_dispatch()), "x86-64")
        #endif
    }

    func testStatusStrings() {
        let expected = [VT_OK: "ok", VT_ERR_NULL_POINTER: "null pointer", VT_ERR_INVALID_ARGUMENT: "invalid argument",
                        VT_ERR_SHAPE_MISMATCH: "shape mismatch", VT_ERR_UNSUPPORTED: "unsupported",
                        VT_ERR_ALLOCATION: "allocation failed", VT_ERR_INTERNAL: "internal error", 99: "unknown status"]
        for (status, text) in expected { XCTAssertEqual(String(cString: vt_status_string(Int32(status))), text) }
    }

    func testBLASInfo() {
        var error = vt_error()
        XCTAssertEqual(vt_get_blas_info(nil, &error), Int32(VT_ERR_NULL_POINTER))
        XCTAssertEqual(withUnsafeBytes(of: error.message) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) },
                       "vt_get_blas_info: info is NULL")
        var info = vt_blas_info()
        XCTAssertEqual(vt_get_blas_info(&info, nil), Int32(VT_OK))
        func text<Field>(_ field: Field) -> String {
            withUnsafeBytes(of: field) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        }
        #if os(Linux)
        XCTAssertEqual(text(info.name), "OpenBLAS")
        XCTAssertTrue(text(info.version).hasPrefix("0.3."), text(info.version))
        XCTAssertFalse(text(info.core).isEmpty)
        #endif
        XCTAssertEqual(info.threads, 1)
    }

    func testThreadCount() {
        defer { XCTAssertEqual(vt_set_num_threads(0, nil), Int32(VT_OK)) }
        XCTAssertEqual(vt_set_num_threads(3, nil), Int32(VT_OK))
        XCTAssertEqual(vt_get_num_threads(), 3)
        var error = vt_error()
        XCTAssertEqual(vt_set_num_threads(-1, &error), Int32(VT_ERR_INVALID_ARGUMENT))
        XCTAssertEqual(vt_get_num_threads(), 3)
        XCTAssertEqual(vt_set_num_threads(0, nil), Int32(VT_OK))
        XCTAssertGreaterThanOrEqual(vt_get_num_threads(), 1)
    }
}
