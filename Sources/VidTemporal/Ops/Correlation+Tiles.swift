extension Correlation {
    /// The float32 correlation as register tiles. Fix one row y2 of f2: every output row
    /// y = y2 - dy(i) reads it, so a tile of 3 such rows (3 values of i) by 4 displacements j, 8
    /// columns wide, loads 3 + 4 vectors per channel for 12 fused multiply-adds. The gradients
    /// use the same tile with the roles of the channel and the displacement j swapped. f1 and f2
    /// are read as zero-padded rows, so a displaced window never leaves its row; an image whose
    /// width is not a multiple of 8 gets a last block that overlaps the one before (those columns
    /// are computed twice, identically). Each task pads the images it works on into its own
    /// scratch, small enough to be reused from the heap rather than mapped afresh on every call.
    enum Tiles {
        static let lanes = 8
        typealias Vector = SIMD8<Float>

        /// Scratch, as products of factors: per task, one image of f1 and one of f2 as padded rows
        /// (y, c, paddedWidth) and the gradient rows one tile of grad_f2 reads (3 rows, i, j,
        /// paddedWidth); one zero vector.
        static func scratchTerms(_ s: Shape) -> [[Int]] { [[s.tasks, taskCount(s)], [lanes]] }

        private static func imageCount(_ s: Shape) -> Int { s.height * s.channels * s.paddedWidth }
        private static func gradientRowsCount(_ s: Shape) -> Int { 3 * s.patch * s.patch * s.paddedWidth }
        private static func taskCount(_ s: Shape) -> Int { 2 * imageCount(s) + gradientRowsCount(s) }

        /// Twelve accumulators: rows r < 3 by columns q < 4.
        struct Tile {
            var v00 = Vector(), v01 = Vector(), v02 = Vector(), v03 = Vector()
            var v10 = Vector(), v11 = Vector(), v12 = Vector(), v13 = Vector()
            var v20 = Vector(), v21 = Vector(), v22 = Vector(), v23 = Vector()

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

        @inline(__always)
        private static func pick(_ t: (Int, Int, Int), _ r: Int) -> Int { r == 0 ? t.0 : r == 1 ? t.1 : t.2 }

        @inline(__always)
        private static func pick(_ t: (Int, Int, Int, Int), _ q: Int) -> Int {
            q == 0 ? t.0 : q == 1 ? t.1 : q == 2 ? t.2 : t.3
        }

        /// tile[r][q] += Σ_k rows_r[k * rowSteps_r] * columns_q[k * step], k < count.
        @inline(__always)
        private static func accumulate(_ tile: inout Tile, _ rows: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>),
                                       rowSteps: (Int, Int, Int),
                                       _ columns: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>,
                                                   UnsafePointer<Float>),
                                       step: Int, count: Int) {
            var (a0, a1, a2) = rows
            var (b0, b1, b2, b3) = columns
            var t = tile
            for _ in 0..<count {
                let (u0, u1, u2) = (load(a0), load(a1), load(a2))
                let w0 = load(b0)
                t.v00 = t.v00.addingProduct(u0, w0); t.v10 = t.v10.addingProduct(u1, w0); t.v20 = t.v20.addingProduct(u2, w0)
                let w1 = load(b1)
                t.v01 = t.v01.addingProduct(u0, w1); t.v11 = t.v11.addingProduct(u1, w1); t.v21 = t.v21.addingProduct(u2, w1)
                let w2 = load(b2)
                t.v02 = t.v02.addingProduct(u0, w2); t.v12 = t.v12.addingProduct(u1, w2); t.v22 = t.v22.addingProduct(u2, w2)
                let w3 = load(b3)
                t.v03 = t.v03.addingProduct(u0, w3); t.v13 = t.v13.addingProduct(u1, w3); t.v23 = t.v23.addingProduct(u2, w3)
                a0 += rowSteps.0; a1 += rowSteps.1; a2 += rowSteps.2
                b0 += step; b1 += step; b2 += step; b3 += step
            }
            tile = t
        }

        /// The first column of every 8-wide block; the last block ends at the row's end.
        private static func blockStarts(_ width: Int) -> [Int] {
            var starts = Array(stride(from: 0, through: width - lanes, by: lanes))
            if width % lanes != 0 { starts.append(width - lanes) }
            return starts
        }

        /// A row of w values into a padded row: zeros, the values at offset margin, zeros.
        @inline(__always)
        private static func padRow(_ source: UnsafePointer<Float>, _ row: UnsafeMutablePointer<Float>, _ s: Shape) {
            let margin = s.half * s.dilation
            row.update(repeating: 0, count: margin)
            (row + margin).update(from: source, count: s.width)
            (row + margin + s.width).update(repeating: 0, count: s.paddedWidth - margin - s.width)
        }

        /// Image b of a (B, C, H, W) tensor -> padded rows (H, C, paddedWidth).
        private static func padImage(_ source: UnsafePointer<Float>, b: Int, _ target: UnsafeMutablePointer<Float>,
                                     _ s: Shape) {
            for y in 0..<s.height {
                for ch in 0..<s.channels {
                    padRow(source + (b * s.channels + ch) * s.plane + y * s.width,
                           target + (y * s.channels + ch) * s.paddedWidth, s)
                }
            }
        }

        static func forward(_ f1: UnsafePointer<Float>, _ f2: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>,
                            _ scratch: UnsafeMutablePointer<Float>, _ s: Shape) {
            let (p, plane, w, h, c, wp, d) = (s.patch, s.plane, s.width, s.height, s.channels, s.paddedWidth, s.dilation)
            let starts = blockStarts(w)
            let pointers = UnsafeTransfer((f1, f2, out, scratch))
            parallelTasks(s.batch * h, bytesPerItem: c * p * p * w * 8, maxTasks: s.tasks) { task, items in
                let (f1, f2, out, scratch) = pointers.value
                let padded2 = scratch + task * taskCount(s)
                var image = -1
                for item in items {
                    let (b, y2) = (item / h, item % h)
                    if b != image { padImage(f2, b: b, padded2, s); image = b }
                    // This task owns output row y2 where its partner row is outside the image (zeros)...
                    for i in 0..<p where !(0..<h).contains(y2 + s.displacement(i)) {
                        for j in 0..<p { (out + ((b * p + i) * p + j) * plane + y2 * w).update(repeating: 0, count: w) }
                    }
                    // ...and every output row y = y2 - dy(i) that pairs with f2's row y2.
                    let valid = (0..<p).filter { (0..<h).contains(y2 - s.displacement($0)) }
                    guard let first = valid.first, let last = valid.last else { continue }
                    let image1 = f1 + b * c * plane
                    let row2 = UnsafePointer(padded2 + y2 * c * wp)
                    for x0 in starts {
                        for i0 in stride(from: first, through: last, by: 3) {
                            // Past the last i, repeat it: the same values are written twice.
                            let ii = (i0, min(i0 + 1, last), min(i0 + 2, last))
                            let yy = (y2 - s.displacement(ii.0), y2 - s.displacement(ii.1), y2 - s.displacement(ii.2))
                            let rows = (image1 + yy.0 * w + x0, image1 + yy.1 * w + x0, image1 + yy.2 * w + x0)
                            for j0 in stride(from: 0, to: p, by: 4) {
                                let jj = (j0, min(j0 + 1, p - 1), min(j0 + 2, p - 1), min(j0 + 3, p - 1))
                                // The padded row holds column x + dx(j) at x + j * dilation.
                                let columns = (row2 + x0 + jj.0 * d, row2 + x0 + jj.1 * d, row2 + x0 + jj.2 * d,
                                               row2 + x0 + jj.3 * d)
                                var tile = Tile()
                                accumulate(&tile, rows, rowSteps: (plane, plane, plane), columns, step: wp, count: c)
                                tile.forEach { r, q, v in
                                    store(v, out + ((b * p + pick(ii, r)) * p + pick(jj, q)) * plane + pick(yy, r) * w + x0)
                                }
                            }
                        }
                    }
                }
            }
        }

        /// Tiles of 3 rows y0, y0 + d, y0 + 2d (d the dilation, so that the rows' partner rows
        /// step together) for every image row.
        private static func rowBlocks(_ s: Shape) -> [Int] {
            var starts: [Int] = []
            for first in 0..<min(s.dilation, s.height) {
                starts += stride(from: first, to: s.height, by: 3 * s.dilation)
            }
            return starts
        }

        static func backward(_ grad: UnsafePointer<Float>, _ f1: UnsafePointer<Float>, _ f2: UnsafePointer<Float>,
                             gradF1: UnsafeMutablePointer<Float>?, gradF2: UnsafeMutablePointer<Float>?,
                             _ scratch: UnsafeMutablePointer<Float>, _ s: Shape) {
            let zeros = scratch + s.tasks * taskCount(s)
            zeros.update(repeating: 0, count: lanes)
            let blocks = rowBlocks(s)
            let pointers = UnsafeTransfer((grad, f1, f2, scratch, UnsafePointer(zeros), gradF1, gradF2))
            let work = 3 * s.channels * s.patch * s.patch * s.width * 8
            parallelTasks(s.batch * blocks.count, bytesPerItem: work, maxTasks: s.tasks) { task, items in
                let (grad, f1, f2, scratch, zeros, gradF1, gradF2) = pointers.value
                let padded1 = scratch + task * taskCount(s), padded2 = padded1 + imageCount(s)
                let gradientRows = padded2 + imageCount(s)
                var image = -1
                for item in items {
                    let (b, y0) = (item / blocks.count, blocks[item % blocks.count])
                    if b != image {
                        if gradF1 != nil { padImage(f2, b: b, padded2, s) }
                        if gradF2 != nil { padImage(f1, b: b, padded1, s) }
                        image = b
                    }
                    if let gradF1 { firstGradient(grad, padded2, zeros, gradF1, b: b, y0: y0, s) }
                    if let gradF2 { secondGradient(grad, padded1, zeros, gradF2, b: b, y0: y0, rows: gradientRows, s) }
                }
            }
        }

        /// grad_f1[c, y, x] = Σ_{i,j} g[i, j, y, x] f2[c, y + dy, x + dx] for rows y0 + r d:
        /// row r with i = t - r reads f2's row y0 + (t - half) d, shared by the tile.
        private static func firstGradient(_ grad: UnsafePointer<Float>, _ padded2: UnsafePointer<Float>,
                                          _ zeros: UnsafePointer<Float>, _ gradF1: UnsafeMutablePointer<Float>,
                                          b: Int, y0: Int, _ s: Shape) {
            let (p, plane, w, h, c, wp, d) = (s.patch, s.plane, s.width, s.height, s.channels, s.paddedWidth, s.dilation)
            let yy = (y0, y0 + d, y0 + 2 * d)
            for x0 in blockStarts(w) {
                for c0 in stride(from: 0, to: c, by: 4) {
                    let cc = (c0, min(c0 + 1, c - 1), min(c0 + 2, c - 1), min(c0 + 3, c - 1))
                    var tile = Tile()
                    for t in 0..<(p + 2) {
                        let y2 = y0 + (t - s.half) * d
                        guard (0..<h).contains(y2) else { continue }
                        // Row r's gradients over j (a row outside the image, or an i out of range, reads zeros).
                        func row(_ r: Int) -> (UnsafePointer<Float>, Int) {
                            let (i, y) = (t - r, pick(yy, r))
                            guard y < h, (0..<p).contains(i) else { return (zeros, 0) }
                            return (grad + (b * p + i) * p * plane + y * w + x0, plane)
                        }
                        let (r0, r1, r2) = (row(0), row(1), row(2))
                        let row2 = padded2 + y2 * c * wp + x0
                        let columns = (row2 + cc.0 * wp, row2 + cc.1 * wp, row2 + cc.2 * wp, row2 + cc.3 * wp)
                        accumulate(&tile, (r0.0, r1.0, r2.0), rowSteps: (r0.1, r1.1, r2.1), columns, step: d, count: p)
                    }
                    tile.forEach { r, q, v in
                        let y = pick(yy, r)
                        if y < h { store(v, gradF1 + (b * c + pick(cc, q)) * plane + y * w + x0) }
                    }
                }
            }
        }

        /// grad_f2[c, y, x] = Σ_{i,j} g[i, j, y - dy, x - dx] f1[c, y - dy, x - dx] for rows y0 + r d:
        /// row r with i = t + r reads row y0 - (t - half) d of g and f1, shared by the tile. The
        /// displaced gradient windows are read from zero-padded copies of the rows the tile needs.
        private static func secondGradient(_ grad: UnsafePointer<Float>, _ padded1: UnsafePointer<Float>,
                                           _ zeros: UnsafePointer<Float>, _ gradF2: UnsafeMutablePointer<Float>,
                                           b: Int, y0: Int, rows gradientRows: UnsafeMutablePointer<Float>, _ s: Shape) {
            let (p, plane, w, h, c, wp, d) = (s.patch, s.plane, s.width, s.height, s.channels, s.paddedWidth, s.dilation)
            let margin = s.half * d
            let yy = (y0, y0 + d, y0 + 2 * d)
            for r in 0..<3 where pick(yy, r) < h {
                for i in 0..<p {
                    let y1 = pick(yy, r) - s.displacement(i)
                    guard (0..<h).contains(y1) else { continue }
                    for j in 0..<p {
                        padRow(grad + ((b * p + i) * p + j) * plane + y1 * w, gradientRows + ((r * p + i) * p + j) * wp, s)
                    }
                }
            }
            // Column x - dx(j) of a padded row sits at x + 2 margin - j d.
            for x0 in blockStarts(w) {
                for c0 in stride(from: 0, to: c, by: 4) {
                    let cc = (c0, min(c0 + 1, c - 1), min(c0 + 2, c - 1), min(c0 + 3, c - 1))
                    var tile = Tile()
                    for t in -2..<p {
                        let y1 = y0 - (t - s.half) * d
                        guard (0..<h).contains(y1) else { continue }
                        func row(_ r: Int) -> (UnsafePointer<Float>, Int) {
                            let i = t + r
                            guard pick(yy, r) < h, (0..<p).contains(i) else { return (zeros, 0) }
                            return (UnsafePointer(gradientRows) + (r * p + i) * p * wp + x0 + 2 * margin, wp - d)
                        }
                        let (r0, r1, r2) = (row(0), row(1), row(2))
                        let row1 = padded1 + y1 * c * wp + x0 + 2 * margin
                        let columns = (row1 + cc.0 * wp, row1 + cc.1 * wp, row1 + cc.2 * wp, row1 + cc.3 * wp)
                        accumulate(&tile, (r0.0, r1.0, r2.0), rowSteps: (r0.1, r1.1, r2.1), columns, step: -d, count: p)
                    }
                    tile.forEach { r, q, v in
                        let y = pick(yy, r)
                        if y < h { store(v, gradF2 + (b * c + pick(cc, q)) * plane + y * w + x0) }
                    }
                }
            }
        }
    }
}
