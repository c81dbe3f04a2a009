/* The C user's view of temporal interlace: a hand-computed case, the true adjoint of a +1 shift,
 * and errors, through the installed header and library. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <vidtemporal.h>

static int passed, failed;

#define CHECK(cond, ...)                                                         \
    do {                                                                         \
        if (cond) {                                                              \
            passed++;                                                            \
        } else {                                                                 \
            failed++;                                                            \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                 \
            fprintf(stderr, __VA_ARGS__);                                        \
            fprintf(stderr, "\n");                                               \
        }                                                                        \
    } while (0)

/* T=4, C=4, shift_div=1, G=2: one channel per part, shifts 0.5, 1, -0.5, -1; x[t][c] = 10t + c;
 * weights 1 for group 0, 2 for group 1. */
static void test_hand_computed(void) {
    float x[16], y[16], offsets[2] = {0.5f, 1.0f}, weights[8] = {1, 2, 1, 2, 1, 2, 1, 2};
    const float expected[4][4] = {{0, 5, 15, 25}, {0, 2, 22, 42}, {7, 17, 27, 16}, {26, 46, 66, 0}}; /* [c][t] */
    for (int t = 0; t < 4; t++)
        for (int c = 0; c < 4; c++) x[t * 4 + c] = (float)(10 * t + c);
    vt_error err;
    CHECK(vt_temporal_interlace_forward_f32(x, offsets, weights, y, 4, 4, 1, 1, 4, 1, 2, &err) == VT_OK, "%s",
          err.message);
    for (int t = 0; t < 4; t++)
        for (int c = 0; c < 4; c++)
            CHECK(y[t * 4 + c] == expected[c][t], "y[t=%d, c=%d] = %g, want %g", t, c, y[t * 4 + c], expected[c][t]);
}

/* Shift +1 (y[t] = x[t-1]) with a gradient of ones: the adjoint gives [1, 1, 1, 0] over t. */
static void test_true_adjoint(void) {
    double x[8] = {0}, ones[8], grad_x[8], grad_offsets[1], grad_weights[4], offsets[1] = {1.0};
    double weights[4] = {1, 1, 1, 1};
    for (int i = 0; i < 8; i++) ones[i] = 1;
    CHECK(vt_temporal_interlace_backward_f64(ones, x, offsets, weights, grad_x, grad_offsets, grad_weights, 4, 2, 1, 1,
                                             4, 1, 1, NULL) == VT_OK, "backward");
    const double part0[4] = {1, 1, 1, 0}, part1[4] = {0, 1, 1, 1};
    for (int t = 0; t < 4; t++) {
        CHECK(grad_x[t * 2] == part0[t], "part 0 (shift +1) t=%d: %g", t, grad_x[t * 2]);
        CHECK(grad_x[t * 2 + 1] == part1[t], "part 1 (shift -1) t=%d: %g", t, grad_x[t * 2 + 1]);
    }
}

static void test_errors(void) {
    float x[32] = {0}, y[32], weights[16] = {0}, offsets[4] = {0.5f, NAN, 0, 0};
    for (int i = 0; i < 32; i++) y[i] = -7;
    vt_error err;
    CHECK(vt_temporal_interlace_forward_f32(x, offsets, weights, y, 4, 8, 1, 1, 4, 1, 2, &err) == VT_ERR_INVALID_ARGUMENT,
          "nan offset");
    CHECK(strstr(err.message, "offsets[0, 1] = nan is not finite") != NULL, "message: %s", err.message);
    offsets[1] = 0.5f;
    CHECK(vt_temporal_interlace_forward_f32(x, offsets, weights, y, 4, 8, 1, 1, 4, 4, 2, &err) == VT_ERR_SHAPE_MISMATCH,
          "F not divisible");
    CHECK(vt_temporal_interlace_forward_f32(x, NULL, weights, y, 4, 8, 1, 1, 4, 1, 2, &err) == VT_ERR_NULL_POINTER,
          "null offsets");
    int untouched = 1;
    for (int i = 0; i < 32; i++) untouched &= y[i] == -7;
    CHECK(untouched, "a failed call wrote to its output");
}

int main(void) {
    test_hand_computed();
    test_true_adjoint();
    test_errors();
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
