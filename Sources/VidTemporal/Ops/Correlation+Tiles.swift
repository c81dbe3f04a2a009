#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Correlation {
    /// The float32 correlation as register tiles. Fix one row y2 of f2: every output row
    /// y = y2 - dy(i) reads it, so a tile of 3 such rows (3 values of i) by 4 displacements j, one
    /// vector of columns wide (8, or 16 on the AVX-512 build), loads 3 + 4 vectors per channel for
    /// 12 fused multiply-adds. The gradients
    /// use the same tile with the roles of the channel and the displacement j swapped. f1 and f2
    /// are read as zero-padded rows, so a displaced window never leaves its row; an image whose
    /// width is not a multiple of the width gets a last block that overlaps the one before (those columns
    /// are computed twice, identically). Each task pads the few rows an output row (or a block
    /// of 3) needs into its own small scratch, with zero rows standing for rows outside the image,
    /// so that every tile runs its whole sum as one loop nest with fixed strides. A tile's 3 rows
    /// are packed side by side per block of columns (zeros where a term does not exist), so its loop
    /// moves two addresses and the sums keep their registers.
    enum Tiles<Vector: FloatVector> {
        /// The vector's width: 8, or 16 on the AVX-512 build for images at least that wide.
        static var lanes: Int { Vector.scalarCount }

        /// Scratch: per task, the packed rows the tiles read and a window of padded rows of f1 and
        /// one of f2 (p + 2 rows of c x paddedWidth).
        static func scratchCount(_ s: Shape) -> Int { s.tasks * taskCount(s) }

        /// Rejects a shape whose scratch (in bytes) would not fit in an Int, before any of the
        /// sizes below is formed: bounds of each factor, built with checked arithmetic.
        static func checkScratch(_ s: Shape, elementSize: Int, _ what: StaticString, argument: String) throws(VTError) {
            let width = try checkedCount([[s.width, 1], [s.patch, s.dilation]], what, argument: argument)   // >= paddedWidth
            // (p + 2 <= 3p, formed without overflow.)
            _ = try checkedCount([[s.tasks, 6, s.patch, s.channels, width, elementSize, 1],
                                  [s.tasks, s.width / lanes + 2, 3, s.patch, s.patch, 3 * lanes, elementSize],
                                  [s.tasks, s.channels, 3, lanes, elementSize, 1, 1], [s.tasks, 16, elementSize, 1, 1, 1, 1]],
                                 what, argument: argument)
        }

        /// Rows y0 + (k - half) * dilation, k < p + 2: every partner row a tile of 3 rows y0,
        /// y0 + d, y0 + 2d can name.
        private static func windowCount(_ s: Shape) -> Int { (s.patch + 2) * s.channels * s.paddedWidth }
        /// A tile's rows packed as (k, r, lanes): for the gradients, every column block's, k =
        /// (t, j), t < p + 2; for the forward, one block's, k = c.
        private static func packCount(_ s: Shape) -> Int {
            max(blockStarts(s.width).count * gradientPackCount(s), s.channels * 3 * lanes)
        }
        private static func gradientPackCount(_ s: Shape) -> Int { (s.patch + 2) * s.patch * 3 * lanes }
        /// The pack first, on a cache line (aligned loads do not straddle two), then the windows.
        private static func taskCount(_ s: Shape) -> Int { packCount(s) + 2 * windowCount(s) + 16 }

        /// Task `task`'s pack, at the first 64-byte boundary of its part of the scratch.
        private static func taskPack(_ scratch: UnsafeMutablePointer<Float>, _ task: Int, _ s: Shape) -> UnsafeMutablePointer<Float> {
            let start = scratch + task * taskCount(s)
            return start + (16 - Int(bitPattern: start) / MemoryLayout<Float>.size % 16) % 16
        }

        /// Twelve accumulators: rows r < 3 by columns q < 4.
        struct Tile {
            let v00: Vector, v01: Vector, v02: Vector, v03: Vector
            let v10: Vector, v11: Vector, v12: Vector, v13: Vector
            let v20: Vector, v21: Vector, v22: Vector, v23: Vector

            @inline(__always)
            func forEach(_ body: (Int, Int, Vector) -> Void) {
                body(0, 0, v00); body(0, 1, v01); body(0, 2, v02); body(0, 3, v03)
                body(1, 0, v10); body(1, 1, v11); body(1, 2, v12); body(1, 3, v13)
                body(2, 0, v20); body(2, 1, v21); body(2, 2, v22); body(2, 3, v23)
            }
        }

        @inline(__always)
        private static func load(_ p: UnsafePointer<Float>) -> Vector { UnsafeRawPointer(p).loadUnaligned(as: Vector.self) }

        @inline(__always)
        private static func store(_ v: Vector, _ p: UnsafeMutablePointer<Float>) {
            UnsafeMutableRawPointer(p).storeBytes(of: v, as: Vector.self)
        }

        /// s + u * w: fused where the build has FMA instructions; on the baseline x86-64 build,
        /// which has none, a multiply and an add (a fused one would be a libm call per lane, 30x
        /// slower), so the baseline's sums round twice per term.
        @inline(__always)
        private static func multiplyAdd(_ s: Vector, _ u: Vector, _ w: Vector) -> Vector {
            #if arch(x86_64) && !VT_BUILD_X86_64_V3
            return s + u * w
            #else
            return s.addingProduct(u, w)
            #endif
        }

        @inline(__always)
        private static func pick(_ t: (Int, Int, Int), _ r: Int) -> Int { r == 0 ? t.0 : r == 1 ? t.1 : t.2 }

        /// tile[r][q] = Σ_{t < outer} Σ_{k < inner} rows[t, k, r] * columns_q[t * columnJump + k * columnStep]
        /// with the rows packed (t, k, r, 8 lanes) and the columns evenly spaced (columns_q =
        /// columns + q * columnSpacing): two moving addresses and constant displacements, which
        /// leave the registers to the sums (plain locals).
        @inline(__always)
        private static func packedTile(rows: UnsafePointer<Float>, columns: UnsafePointer<Float>, columnSpacing: Int,
                                       columnStep: Int, columnJump: Int, inner: Int, outer: Int) -> Tile {
            let (c1, c2, c3) = (columnSpacing, 2 &* columnSpacing, 3 &* columnSpacing)
            var (s00, s01, s02, s03) = (Vector(), Vector(), Vector(), Vector())
            var (s10, s11, s12, s13) = (Vector(), Vector(), Vector(), Vector())
            var (s20, s21, s22, s23) = (Vector(), Vector(), Vector(), Vector())
            var (row, columnStart) = (rows, columns)
            for _ in 0..<outer {
                var column = columnStart
                for _ in 0..<inner {
                    let (u0, u1, u2) = (load(row), load(row + lanes), load(row + 2 * lanes))
                    let w0 = load(column)
                    s00 = multiplyAdd(s00, u0, w0); s10 = multiplyAdd(s10, u1, w0); s20 = multiplyAdd(s20, u2, w0)
                    let w1 = load(column + c1)
                    s01 = multiplyAdd(s01, u0, w1); s11 = multiplyAdd(s11, u1, w1); s21 = multiplyAdd(s21, u2, w1)
                    let w2 = load(column + c2)
                    s02 = multiplyAdd(s02, u0, w2); s12 = multiplyAdd(s12, u1, w2); s22 = multiplyAdd(s22, u2, w2)
                    let w3 = load(column + c3)
                    s03 = multiplyAdd(s03, u0, w3); s13 = multiplyAdd(s13, u1, w3); s23 = multiplyAdd(s23, u2, w3)
                    row += 3 * lanes
                    column += columnStep
                }
                columnStart += columnJump
            }
            return Tile(v00: s00, v01: s01, v02: s02, v03: s03, v10: s10, v11: s11, v12: s12, v13: s13,
                        v20: s20, v21: s21, v22: s22, v23: s23)
        }

        /// Blocks of 4 channels (or displacements j): (first, spacing). The last block overlaps
        /// the one before when c is not a multiple of 4 (those are computed twice, identically);
        /// fewer than 4 take one block each, its 4 columns the same. Computed, not stored.
        struct ChannelBlocks: RandomAccessCollection {
            let count4: Int
            init(_ c: Int) { count4 = c }
            var startIndex: Int { 0 }
            var endIndex: Int { count4 >= 4 ? (count4 + 3) / 4 : count4 }
            subscript(block: Int) -> (first: Int, spacing: Int) {
                count4 >= 4 ? (Swift.min(4 * block, count4 - 4), 1) : (block, 0)
            }
        }

        private static func channelBlocks(_ c: Int) -> ChannelBlocks { ChannelBlocks(c) }

        /// The first column of every vector-wide block; the last block ends at the row's end.
        private static func blockStarts(_ width: Int) -> LaneBlocks { LaneBlocks(width: width, lanes: lanes) }

        /// count >= lanes values (zeros for nil) into target, in vectors, the last one overlapping
        /// (small copies and fills cost more as library calls).
        @inline(__always)
        private static func copyRow<S: FloatLanes, D: FloatLanes>(_ source: UnsafePointer<S>?,
                                                                  _ target: UnsafeMutablePointer<D>, count: Int) {
            var x = 0
            while x + lanes <= count {
                (source.map { Vector.load($0 + x) } ?? Vector()).store(target + x)
                x += lanes
            }
            if x < count { (source.map { Vector.load($0 + count - lanes) } ?? Vector()).store(target + count - lanes) }
        }

        /// A row of w values (zeros for nil) into a padded row's interior, at offset half *
        /// dilation. The margins are zeroed once per task and never written.
        @inline(__always)
        private static func padRow<S: FloatLanes>(_ source: UnsafePointer<S>?, _ row: UnsafeMutablePointer<Float>, _ s: Shape) {
            copyRow(source, row + s.half * s.dilation, count: s.width)
        }

        /// Rows first + k * dilation, k < count, of image b of a (B, C, H, W) tensor into the
        /// interiors of padded rows (k, C, paddedWidth); a row outside the image is zeros.
        private static func padRows<S: FloatLanes>(_ source: UnsafePointer<S>, b: Int, first: Int, count: Int,
                                                   _ target: UnsafeMutablePointer<Float>, _ s: Shape) {
            for k in 0..<count {
                let y = first + k * s.dilation
                let inside = (0..<s.height).contains(y)
                for ch in 0..<s.channels {
                    padRow(inside ? source + (b * s.channels + ch) * s.plane + y * s.width : nil,
                           target + (k * s.channels + ch) * s.paddedWidth, s)
                }
            }
        }

        /// The forward on float32 or half-precision images (E), in float32 (half precision is
        /// widened as the rows are padded and packed, and each output vector rounded as stored).
        static func forward<E: FloatLanes>(_ f1: UnsafePointer<E>, _ f2: UnsafePointer<E>, _ out: UnsafeMutablePointer<E>,
                                           _ scratch: UnsafeMutablePointer<Float>, _ s: Shape) {
            let (p, plane, w, h, c, wp, d) = (s.patch, s.plane, s.width, s.height, s.channels, s.paddedWidth, s.dilation)
            let (starts, displacementBlocks) = (blockStarts(w), channelBlocks(p))
            let pointers = UnsafeTransfer((f1, f2, out, scratch))
            parallelTasks(s.batch * h, bytesPerItem: c * p * p * w * 8, maxTasks: s.tasks) { task, items in
                let (f1, f2, out, scratch) = pointers.value
                let pack = taskPack(scratch, task, s), row2 = pack + packCount(s)
                row2.update(repeating: 0, count: c * wp)
                for item in items {
                    let (b, y2) = (item / h, item % h)
                    padRows(f2, b: b, first: y2, count: 1, row2, s)
                    // This task owns output row y2 where its partner row is outside the image (zeros)...
                    for i in 0..<p where !(0..<h).contains(y2 + s.displacement(i)) {
                        for j in 0..<p {
                            copyRow(nil as UnsafePointer<Float>?, out + ((b * p + i) * p + j) * plane + y2 * w, count: w)
                        }
                    }
                    // ...and every output row y = y2 - dy(i) inside the image, which pairs with f2's row y2
                    // (its padded row holds column x + dx(j) at x + j * dilation): i from first to last.
                    var (first, last) = (p, -1)
                    for i in 0..<p where (0..<h).contains(y2 - s.displacement(i)) { (first, last) = (min(first, i), i) }
                    guard first <= last else { continue }
                    for x0 in starts {
                        for i0 in stride(from: first, through: last, by: 3) {
                            // Past the last i, repeat it: the same values are written twice.
                            let ii = (i0, min(i0 + 1, last), min(i0 + 2, last))
                            let yy = (y2 - s.displacement(ii.0), y2 - s.displacement(ii.1), y2 - s.displacement(ii.2))
                            for ch in 0..<c {
                                for r in 0..<3 {
                                    store(Vector.load(f1 + (b * c + ch) * plane + pick(yy, r) * w + x0), pack + (ch * 3 + r) * lanes)
                                }
                            }
                            for (j0, spacing) in displacementBlocks {
                                packedTile(rows: pack, columns: UnsafePointer(row2) + x0 + j0 * d, columnSpacing: spacing * d, columnStep: wp,
                                           columnJump: 0, inner: c, outer: 1).forEach { r, q, v in
                                    v.store(out + ((b * p + pick(ii, r)) * p + j0 + q * spacing) * plane + pick(yy, r) * w + x0)
                                }
                            }
                        }
                    }
                }
            }
        }

        /// Tiles of 3 rows y0, y0 + d, y0 + 2d (d the dilation, so that the rows' partner rows
        /// step together) for every image row: for each first row f < min(d, h), the rows f + 3dq
        /// below h, in that order. Computed, not stored.
        struct RowBlocks: RandomAccessCollection {
            /// 3d; the firsts; the rows per first (the first `longer` firsts have one more).
            let step: Int, firsts: Int, rows: Int, longer: Int

            init(_ s: Shape) {
                step = 3 * s.dilation
                firsts = Swift.min(s.dilation, s.height)
                // f + 3dq < h for q < (h - 1 - f) / 3d + 1: one more row for f <= (h - 1) mod 3d.
                let (quotient, remainder) = s.height > 0 ? (s.height - 1).quotientAndRemainder(dividingBy: step) : (-1, 0)
                (rows, longer) = (quotient, Swift.min(remainder + 1, firsts))
            }

            var startIndex: Int { 0 }
            var endIndex: Int { longer * (rows + 1) + (firsts - longer) * rows }
            subscript(index: Int) -> Int {
                if index < longer * (rows + 1) {
                    let (first, q) = index.quotientAndRemainder(dividingBy: rows + 1)
                    return first + step * q
                }
                let (first, q) = (index - longer * (rows + 1)).quotientAndRemainder(dividingBy: rows)
                return longer + first + step * q
            }
        }

        private static func rowBlocks(_ s: Shape) -> RowBlocks { RowBlocks(s) }

        static func backward(_ grad: UnsafePointer<Float>, _ f1: UnsafePointer<Float>, _ f2: UnsafePointer<Float>,
                             gradF1: UnsafeMutablePointer<Float>?, gradF2: UnsafeMutablePointer<Float>?,
                             _ scratch: UnsafeMutablePointer<Float>, _ s: Shape) {
            let blocks = rowBlocks(s)
            let pointers = UnsafeTransfer((grad, f1, f2, scratch, gradF1, gradF2))
            let work = 3 * s.channels * s.patch * s.patch * s.width * 8
            parallelTasks(s.batch * blocks.count, bytesPerItem: work, maxTasks: s.tasks) { task, items in
                let (grad, f1, f2, scratch, gradF1, gradF2) = pointers.value
                let pack = taskPack(scratch, task, s), window1 = pack + packCount(s), window2 = window1 + windowCount(s)
                window1.update(repeating: 0, count: 2 * windowCount(s))
                var previous: (b: Int, y0: Int)?
                for item in items {
                    let (b, y0) = (item / blocks.count, blocks[item % blocks.count])
                    // Rows y0 + (k - half) d of f1 and f2, k < p + 2. The block before (3 rows up)
                    // already holds all but the last 3: they move up instead of being padded again.
                    let (first, count, rowSize) = (y0 - s.half * s.dilation, s.patch + 2, s.channels * s.paddedWidth)
                    let kept = previous.map { $0.b == b && y0 == $0.y0 + 3 * s.dilation } == true ? count - 3 : 0
                    func refresh(_ window: UnsafeMutablePointer<Float>, from source: UnsafePointer<Float>) {
                        if kept > 0 { memmove(window, window + 3 * rowSize, kept * rowSize * MemoryLayout<Float>.size) }
                        padRows(source, b: b, first: first + kept * s.dilation, count: count - kept, window + kept * rowSize, s)
                    }
                    if gradF1 != nil { refresh(window2, from: f2) }
                    if gradF2 != nil { refresh(window1, from: f1) }
                    previous = (b, y0)
                    if let gradF1 { firstGradient(grad, window2, gradF1, b: b, y0: y0, rows: pack, s) }
                    if let gradF2 { secondGradient(grad, window1, gradF2, b: b, y0: y0, rows: pack, s) }
                }
            }
        }

        /// Packs the gradient windows the tiles of every column block read, block by block, each
        /// (t, j, r, lanes) for first <= t <= last: g[i, j, y, x0 - shift(j) ..< + lanes] with (i, y) =
        /// source(t, r) and zeros outside the row, or all zeros where source is nil (no such term).
        /// One pass over the rows fills every block's pack.
        @inline(__always)
        private static func packGradient(_ grad: UnsafePointer<Float>, into pack: UnsafeMutablePointer<Float>, b: Int,
                                         starts: LaneBlocks, ts: ClosedRange<Int>, _ s: Shape, shift: (Int) -> Int,
                                         source: (_ t: Int, _ r: Int) -> (i: Int, y: Int)?) {
            let (p, plane, w, blockSize) = (s.patch, s.plane, s.width, gradientPackCount(s))
            var offset = 0
            for t in ts {
                let rows = (source(t, 0), source(t, 1), source(t, 2))
                for j in 0..<p {
                    let shifted = shift(j)
                    for r in 0..<3 {
                        defer { offset += lanes }
                        guard let (i, y) = r == 0 ? rows.0 : r == 1 ? rows.1 : rows.2 else {
                            for block in starts.indices { store(Vector(), pack + block * blockSize + offset) }
                            continue
                        }
                        let row = grad + ((b * p + i) * p + j) * plane + y * w
                        for (block, x0) in starts.enumerated() {
                            let (x, target) = (x0 - shifted, pack + block * blockSize + offset)
                            if x >= 0, x + lanes <= w {
                                store(load(row + x), target)
                            } else {
                                for lane in 0..<lanes { target[lane] = (0..<w).contains(x + lane) ? row[x + lane] : 0 }
                            }
                        }
                    }
                }
            }
        }

        /// grad_f1[c, y, x] = Σ_{i,j} g[i, j, y, x] f2[c, y + dy, x + dx] for rows y0 + r d:
        /// row r with i = t - r reads f2's row y0 + (t - half) d, shared by the tile, t < p + 2.
        private static func firstGradient(_ grad: UnsafePointer<Float>, _ window2: UnsafePointer<Float>,
                                          _ gradF1: UnsafeMutablePointer<Float>, b: Int, y0: Int,
                                          rows pack: UnsafeMutablePointer<Float>, _ s: Shape) {
            let (p, plane, w, h, c, wp, d) = (s.patch, s.plane, s.width, s.height, s.channels, s.paddedWidth, s.dilation)
            let yy = (y0, y0 + d, y0 + 2 * d)
            // The t whose f2 row is inside the image (the others' terms do not exist).
            var (first, last) = (p + 2, -1)
            for t in 0..<(p + 2) where (0..<h).contains(y0 + (t - s.half) * d) { (first, last) = (min(first, t), t) }
            guard first <= last else { return }
            let starts = blockStarts(w)
            packGradient(grad, into: pack, b: b, starts: starts, ts: first...last, s, shift: { _ in 0 }) { t, r in
                let (i, y) = (t - r, pick(yy, r))
                return y < h && (0..<p).contains(i) ? (i, y) : nil
            }
            for (block, x0) in starts.enumerated() {
                let pack = UnsafePointer(pack) + block * gradientPackCount(s)
                for (c0, spacing) in channelBlocks(c) {
                    // f2's row y0 + (t - half) d is the window's row t; column x + dx(j) sits at x + j d.
                    packedTile(rows: pack, columns: window2 + (first * c + c0) * wp + x0,
                               columnSpacing: spacing * wp, columnStep: d, columnJump: c * wp, inner: p,
                               outer: last - first + 1).forEach { r, q, v in
                        let y = pick(yy, r)
                        if y < h { store(v, gradF1 + (b * c + c0 + q * spacing) * plane + y * w + x0) }
                    }
                }
            }
        }

        /// grad_f2[c, y, x] = Σ_{i,j} g[i, j, y - dy, x - dx] f1[c, y - dy, x - dx] for rows y0 + r d:
        /// row r with i = t + r reads row y0 - (t - half) d of g and f1, shared by the tile, -2 <= t < p.
        private static func secondGradient(_ grad: UnsafePointer<Float>, _ window1: UnsafePointer<Float>,
                                           _ gradF2: UnsafeMutablePointer<Float>, b: Int, y0: Int,
                                           rows pack: UnsafeMutablePointer<Float>, _ s: Shape) {
            let (p, plane, w, h, c, wp, d) = (s.patch, s.plane, s.width, s.height, s.channels, s.paddedWidth, s.dilation)
            let margin = s.half * d
            let yy = (y0, y0 + d, y0 + 2 * d)
            // The t whose shared row is inside the image (the others' terms do not exist).
            var (first, last) = (p, -3)
            for t in -2..<p where (0..<h).contains(y0 - (t - s.half) * d) { (first, last) = (min(first, t), t) }
            guard first <= last else { return }
            let starts = blockStarts(w)
            packGradient(grad, into: pack, b: b, starts: starts, ts: first...last, s, shift: { s.displacement($0) }) { t, r in
                let i = t + r
                return pick(yy, r) < h && (0..<p).contains(i) ? (i, y0 - (t - s.half) * d) : nil
            }
            for (block, x0) in starts.enumerated() {
                let pack = UnsafePointer(pack) + block * gradientPackCount(s)
                for (c0, spacing) in channelBlocks(c) {
                    // f1's row y0 - (t - half) d is the window's row p - 1 - t; column x - dx(j) sits at x + 2 margin - j d.
                    packedTile(rows: pack, columns: window1 + ((p - 1 - first) * c + c0) * wp + x0 + 2 * margin,
                               columnSpacing: spacing * wp, columnStep: -d, columnJump: -c * wp, inner: p,
                               outer: last - first + 1).forEach { r, q, v in
                        let y = pick(yy, r)
                        if y < h { store(v, gradF2 + (b * c + c0 + q * spacing) * plane + y * w + x0) }
                    }
                }
            }
        }
    }
}
