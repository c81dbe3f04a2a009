/* The C user's view of Motion Squeeze: a correlation hand case, a one-hot soft-argmax, the
 * fused op on a one-pixel shift, and errors. */
#include <math.h>
#include <stdio.h>
#include <vidtemporal.h>

#include "check.h"

/* c = 1, 1 x 3 image, P = 3: out[i=1, j, 0, x] = f1[x] * f2[x + j - 1]. */
static void test_correlation(void) {
    float f1[3] = {1, 2, 3}, f2[3] = {10, 20, 30}, out[9 * 3];
    int64_t image[4] = {1, 1, 1, 3}, volume[5] = {1, 3, 3, 1, 3};
    DLTensor t1 = vt_tensor(f1, VT_FLOAT32, 4, image), t2 = vt_tensor(f2, VT_FLOAT32, 4, image);
    DLTensor tout = vt_tensor(out, VT_FLOAT32, 5, volume);
    CHECK(vt_correlation_forward(&t1, &t2, &tout, 3, 1, NULL) == VT_OK, "forward");
    /* row i = 1 (dy = 0): j = 0 (dx = -1), j = 1 (dx = 0), j = 2 (dx = +1) */
    const float want[3][3] = {{0, 20, 60}, {10, 40, 90}, {20, 60, 0}};
    for (int j = 0; j < 3; j++)
        for (int x = 0; x < 3; x++)
            CHECK(out[(3 + j) * 3 + x] == want[j][x], "out[1][%d][%d] = %g", j, x, out[(3 + j) * 3 + x]);
    int64_t even[5] = {1, 2, 2, 1, 3};
    DLTensor tout2 = vt_tensor(out, VT_FLOAT32, 5, even);
    CHECK(vt_correlation_forward(&t1, &t2, &tout2, 2, 1, NULL) == VT_ERR_INVALID_ARGUMENT, "even P");
}

static void test_soft_argmax(void) {
    double corr[9] = {0, 0, 0, 0, 0, 1, 0, 0, 0}, displacement[2], confidence[1];   /* peak at (1, 2) */
    int64_t volume[5] = {1, 3, 3, 1, 1}, uv[4] = {1, 2, 1, 1}, one[4] = {1, 1, 1, 1};
    DLTensor tc = vt_tensor(corr, VT_FLOAT64, 5, volume), td = vt_tensor(displacement, VT_FLOAT64, 4, uv);
    DLTensor tconf = vt_tensor(confidence, VT_FLOAT64, 4, one);
    CHECK(vt_kernel_soft_argmax_forward(&tc, &td, &tconf, 5.0, 100.0, NULL) == VT_OK, "forward");
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
    int64_t clip[4] = {2, 4, 1, 6}, maps[4] = {2, 3, 1, 6};
    DLTensor tx = vt_tensor(x, VT_FLOAT64, 4, clip), tout = vt_tensor(out, VT_FLOAT64, 4, maps);
    CHECK(vt_motion_squeeze_forward(&tx, &tout, 2, 3, 5.0, 100.0, 1, NULL) == VT_OK, "forward");
    /* not exactly 1: the softmax leaves about e^-(temperature * margin) on the other cells */
    CHECK(fabs(out[2] - 1) < 1e-4, "u at an interior pixel = %g, want about 1 (one cell right, r = 1)", out[2]);
    CHECK(out[18 + 2] == out[2], "the last frame repeats the previous map");
    CHECK(vt_motion_squeeze_forward(&tx, &tout, 3, 3, 5.0, 100.0, 1, NULL) == VT_ERR_SHAPE_MISMATCH,
          "nt not a multiple of T");
}

int main(void) {
    test_correlation();
    test_soft_argmax();
    test_fused();
    REPORT();
}
