/* The C user's view of temporal interlace: a hand-computed case, the true adjoint of a +1 shift,
 * and errors, through the installed header and library. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <vidtemporal.h>

#include "check.h"


/* T=4, C=4, shift_div=1, G=2: one channel per part, shifts 0.5, 1, -0.5, -1; x[t][c] = 10t + c;
 * weights 1 for group 0, 2 for group 1. */
static void test_hand_computed(void) {
    float x[16], y[16], offsets[2] = {0.5f, 1.0f}, weights[8] = {1, 2, 1, 2, 1, 2, 1, 2};
    const float expected[4][4] = {{0, 5, 15, 25}, {0, 2, 22, 42}, {7, 17, 27, 16}, {26, 46, 66, 0}}; /* [c][t] */
    for (int t = 0; t < 4; t++)
        for (int c = 0; c < 4; c++) x[t * 4 + c] = (float)(10 * t + c);
    int64_t video[4] = {4, 4, 1, 1}, per_clip[2] = {1, 2}, per_frame[3] = {1, 4, 2};
    DLTensor tx = vt_tensor(x, VT_FLOAT32, 4, video), ty = vt_tensor(y, VT_FLOAT32, 4, video);
    DLTensor to = vt_tensor(offsets, VT_FLOAT32, 2, per_clip), tw = vt_tensor(weights, VT_FLOAT32, 3, per_frame);
    vt_error err;
    CHECK(vt_temporal_interlace_forward(&tx, &to, &tw, &ty, 4, 1, &err) == VT_OK, "%s", err.message);
    for (int t = 0; t < 4; t++)
        for (int c = 0; c < 4; c++)
            CHECK(y[t * 4 + c] == expected[c][t], "y[t=%d, c=%d] = %g, want %g", t, c, y[t * 4 + c], expected[c][t]);
}

/* Shift +1 (y[t] = x[t-1]) with a gradient of ones: the adjoint gives [1, 1, 1, 0] over t. */
static void test_true_adjoint(void) {
    double x[8] = {0}, ones[8], grad_x[8], grad_offsets[1], grad_weights[4], offsets[1] = {1.0};
    double weights[4] = {1, 1, 1, 1};
    for (int i = 0; i < 8; i++) ones[i] = 1;
    int64_t video[4] = {4, 2, 1, 1}, per_clip[2] = {1, 1}, per_frame[3] = {1, 4, 1};
    DLTensor tg = vt_tensor(ones, VT_FLOAT64, 4, video), tx = vt_tensor(x, VT_FLOAT64, 4, video);
    DLTensor to = vt_tensor(offsets, VT_FLOAT64, 2, per_clip), tw = vt_tensor(weights, VT_FLOAT64, 3, per_frame);
    DLTensor tgx = vt_tensor(grad_x, VT_FLOAT64, 4, video), tgo = vt_tensor(grad_offsets, VT_FLOAT64, 2, per_clip);
    DLTensor tgw = vt_tensor(grad_weights, VT_FLOAT64, 3, per_frame);
    CHECK(vt_temporal_interlace_backward(&tg, &tx, &to, &tw, &tgx, &tgo, &tgw, 4, 1, NULL) == VT_OK, "backward");
    const double part0[4] = {1, 1, 1, 0}, part1[4] = {0, 1, 1, 1};
    for (int t = 0; t < 4; t++) {
        CHECK(grad_x[t * 2] == part0[t], "part 0 (shift +1) t=%d: %g", t, grad_x[t * 2]);
        CHECK(grad_x[t * 2 + 1] == part1[t], "part 1 (shift -1) t=%d: %g", t, grad_x[t * 2 + 1]);
    }
}

/* Each gradient alone (the others NULL) equals the full call's. */
static void test_null_gradients(void) {
    double x[24], gy[24], offsets[2] = {0.7, -1.3}, weights[6] = {1, 0.5, 2, 1.5, 0.25, 1};
    double full_x[24], full_o[2], full_w[6], gx[24], go[2], gw[6];
    for (int i = 0; i < 24; i++) x[i] = (i * 37 % 11) - 5, gy[i] = (i * 53 % 7) - 3;
    /* N=1, T=3, c=4, 2x1 pixels, shift_div=2, G=1: F=2, parts of one channel */
    int64_t video[4] = {3, 4, 2, 1}, per_clip[2] = {1, 1}, per_frame[3] = {1, 3, 1};
    DLTensor tg = vt_tensor(gy, VT_FLOAT64, 4, video), tx = vt_tensor(x, VT_FLOAT64, 4, video);
    DLTensor to = vt_tensor(offsets, VT_FLOAT64, 2, per_clip), tw = vt_tensor(weights, VT_FLOAT64, 3, per_frame);
    DLTensor fx = vt_tensor(full_x, VT_FLOAT64, 4, video), fo = vt_tensor(full_o, VT_FLOAT64, 2, per_clip);
    DLTensor fw = vt_tensor(full_w, VT_FLOAT64, 3, per_frame), tgx = vt_tensor(gx, VT_FLOAT64, 4, video);
    DLTensor tgo = vt_tensor(go, VT_FLOAT64, 2, per_clip), tgw = vt_tensor(gw, VT_FLOAT64, 3, per_frame);
    CHECK(vt_temporal_interlace_backward(&tg, &tx, &to, &tw, &fx, &fo, &fw, 3, 2, NULL) == VT_OK, "full");
    CHECK(vt_temporal_interlace_backward(&tg, &tx, &to, &tw, &tgx, NULL, NULL, 3, 2, NULL) == VT_OK, "grad_x only");
    CHECK(vt_temporal_interlace_backward(&tg, &tx, &to, &tw, NULL, &tgo, NULL, 3, 2, NULL) == VT_OK, "grad_offsets only");
    CHECK(vt_temporal_interlace_backward(&tg, &tx, &to, &tw, NULL, NULL, &tgw, 3, 2, NULL) == VT_OK, "grad_weights only");
    CHECK(memcmp(gx, full_x, sizeof gx) == 0 && memcmp(go, full_o, sizeof(double)) == 0 &&
              memcmp(gw, full_w, sizeof(double) * 3) == 0, "a gradient computed alone differs");
    vt_error err;
    DLTensor inside = vt_tensor(x + 3, VT_FLOAT64, 2, per_clip);
    CHECK(vt_temporal_interlace_backward(&tg, &tx, &to, &tw, &tgx, &inside, NULL, 3, 2, &err) == VT_ERR_SHAPE_MISMATCH,
          "grad_offsets inside x");
    CHECK(strstr(err.message, "grad_offsets overlaps x") != NULL, "message: %s", err.message);
}

static void test_errors(void) {
    float x[32] = {0}, y[32], weights[16] = {0}, offsets[4] = {0.5f, NAN, 0, 0};
    for (int i = 0; i < 32; i++) y[i] = -7;
    int64_t video[4] = {4, 8, 1, 1}, per_clip[2] = {1, 2}, per_frame[3] = {1, 4, 2};
    DLTensor tx = vt_tensor(x, VT_FLOAT32, 4, video), ty = vt_tensor(y, VT_FLOAT32, 4, video);
    DLTensor to = vt_tensor(offsets, VT_FLOAT32, 2, per_clip), tw = vt_tensor(weights, VT_FLOAT32, 3, per_frame);
    vt_error err;
    CHECK(vt_temporal_interlace_forward(&tx, &to, &tw, &ty, 4, 1, &err) == VT_ERR_INVALID_ARGUMENT, "nan offset");
    CHECK(strstr(err.message, "offsets[0, 1] = nan is not finite") != NULL, "message: %s", err.message);
    offsets[1] = 0.5f;
    CHECK(vt_temporal_interlace_forward(&tx, &to, &tw, &ty, 4, 4, &err) == VT_ERR_SHAPE_MISMATCH, "F not divisible");
    CHECK(vt_temporal_interlace_forward(&tx, NULL, &tw, &ty, 4, 1, &err) == VT_ERR_NULL_POINTER, "null offsets");
    int64_t three_frames[3] = {1, 3, 2};
    DLTensor short_weights = vt_tensor(weights, VT_FLOAT32, 3, three_frames);
    CHECK(vt_temporal_interlace_forward(&tx, &to, &short_weights, &ty, 4, 1, &err) == VT_ERR_SHAPE_MISMATCH, "weights T");
    CHECK(strcmp(err.message, "vt_temporal_interlace_forward: weights.shape[1]=3 does not match num_segments=4 (T)") == 0,
          "message: %s", err.message);
    int untouched = 1;
    for (int i = 0; i < 32; i++) untouched &= y[i] == -7;
    CHECK(untouched, "a failed call wrote to its output");
}

int main(void) {
    test_hand_computed();
    test_true_adjoint();
    test_null_gradients();
    test_errors();
    REPORT();
}
