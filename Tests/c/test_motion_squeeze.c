/* The C user's view of Motion Squeeze: a correlation hand case, a one-hot soft-argmax, the
 * fused op on a one-pixel shift, and errors. */
#include <math.h>
#include <stdio.h>
#include <vidtemporal.h>

#include "check.h"

/* c = 1, 1 x 3 image, P = 3: out[i=1, j, 0, x] = f1[x] * f2[x + j - 1]. */
static void test_correlation(void) {
    float f1[3] = {1, 2, 3}, f2[3] = {10, 20, 30}, out[9 * 3];
    CHECK(vt_correlation_forward_f32(f1, f2, out, 1, 1, 1, 3, 3, 1, NULL) == VT_OK, "forward");
    /* row i = 1 (dy = 0): j = 0 (dx = -1), j = 1 (dx = 0), j = 2 (dx = +1) */
    const float want[3][3] = {{0, 20, 60}, {10, 40, 90}, {20, 60, 0}};
    for (int j = 0; j < 3; j++)
        for (int x = 0; x < 3; x++)
            CHECK(out[(3 + j) * 3 + x] == want[j][x], "out[1][%d][%d] = %g", j, x, out[(3 + j) * 3 + x]);
    CHECK(vt_correlation_forward_f32(f1, f2, out, 1, 1, 1, 3, 2, 1, NULL) == VT_ERR_INVALID_ARGUMENT, "even P");
}

static void test_soft_argmax(void) {
    double corr[9] = {0, 0, 0, 0, 0, 1, 0, 0, 0}, displacement[2], confidence[1];   /* peak at (1, 2) */
    CHECK(vt_kernel_soft_argmax_forward_f64(corr, displacement, confidence, 1, 3, 1, 1, 5.0, 100.0, NULL) == VT_OK,
          "forward");
    CHECK(fabs(displacement[0] - 1) < 1e-12 && fabs(displacement[1]) < 1e-12 && confidence[0] == 1,
          "u = %g, v = %g, confidence = %g", displacement[0], displacement[1], confidence[0]);
}

static void test_fused(void) {
    double x[2 * 4 * 1 * 6], out[2 * 3 * 6];
    /* two frames, 4 channels, 1 x 6 pixels; frame 1 is frame 0 moved one pixel right */
    for (int ch = 0; ch < 4; ch++)
        for (int p = 0; p < 6; p++) {
            x[ch * 6 + p] = sin(3.0 * p + ch);
            x[24 + ch * 6 + p] = p > 0 ? sin(3.0 * (p - 1) + ch) : 0;
        }
    CHECK(vt_motion_squeeze_forward_f64(x, out, 2, 4, 1, 6, 2, 3, 5.0, 100.0, 1, NULL) == VT_OK, "forward");
    /* not exactly 1: the softmax leaves about e^-(temperature * margin) on the other cells */
    CHECK(fabs(out[2] - 1) < 1e-4, "u at an interior pixel = %g, want about 1 (one cell right, r = 1)", out[2]);
    CHECK(out[18 + 2] == out[2], "the last frame repeats the previous map");
    CHECK(vt_motion_squeeze_forward_f64(x, out, 2, 4, 1, 6, 3, 3, 5.0, 100.0, 1, NULL) == VT_ERR_SHAPE_MISMATCH,
          "nt not a multiple of T");
}

int main(void) {
    test_correlation();
    test_soft_argmax();
    test_fused();
    REPORT();
}
