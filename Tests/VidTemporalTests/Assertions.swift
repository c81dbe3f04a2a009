import XCTest

/// Every element within tolerance * max(1, largest |want|): the scale-aware comparison the
/// arithmetic kernels are checked with.
func assertClose<T: BinaryFloatingPoint>(_ got: [T], _ want: [Double], _ tolerance: Double, _ label: String,
                                         file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(got.count, want.count, label, file: file, line: line)
    let scale = max(1, want.map(abs).max() ?? 0)
    let worst = zip(got, want).map { abs(Double($0) - $1) }.max() ?? 0
    XCTAssertFalse(got.contains { !$0.isFinite }, "\(label): non-finite output", file: file, line: line)
    XCTAssertLessThanOrEqual(worst, tolerance * scale, label, file: file, line: line)
}
