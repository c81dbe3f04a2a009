/* The C user's view of the GTA family: hand-computed cases for the mixing, region pooling and
 * unpooling and spatial attention, and one error each, through the installed header. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <vidtemporal.h>

#include "check.h"


/* G = 1, T = 2, C = 1, S = 1: y = M v for M = [[1, 2], [3, 4]], v = (10, 100). */
static void test_mixing(void) {
    float v[2] = {10, 100}, attn[4] = {1, 2, 3, 4}, y[2], gv[2], ga[4], gy[2] = {1, 1};
    CHECK(vt_global_temporal_attention_forward_f32(v, attn, y, 2, 1, 1, 2, 1, NULL) == VT_OK, "forward");
    CHECK(y[0] == 210 && y[1] == 430, "y = (%g, %g), want (210, 430)", y[0], y[1]);
    CHECK(vt_global_temporal_attention_backward_f32(gy, v, attn, gv, ga, 2, 1, 1, 2, 1, NULL) == VT_OK, "backward");
    CHECK(gv[0] == 4 && gv[1] == 6, "grad_v = M^T 1 = (4, 6), got (%g, %g)", gv[0], gv[1]);
    CHECK(ga[0] == 10 && ga[1] == 100 && ga[2] == 10 && ga[3] == 100, "grad_attn = 1 v^T");
    vt_error err;
    CHECK(vt_global_temporal_attention_forward_f32(v, attn, y, 2, 3, 1, 2, 2, &err) == VT_ERR_SHAPE_MISMATCH, "c %% G");
    CHECK(strstr(err.message, "c=3 is not divisible by groups=2") != NULL, "message: %s", err.message);
}

/* B = 1, C = 1, S = 2, K = 1: r = (x . a) / S; unpool y = a r. */
static void test_regions(void) {
    double x[2] = {3, 5}, assign[2] = {2, 4}, r[1], y[2];
    CHECK(vt_region_pool_forward_f64(x, assign, r, 1, 1, 2, 1, 1, NULL) == VT_OK && r[0] == 13, "pool: %g", r[0]);
    CHECK(vt_region_pool_forward_f64(x, assign, r, 1, 1, 2, 1, 0, NULL) == VT_OK && r[0] == 26, "unnormalised");
    CHECK(vt_region_unpool_forward_f64(r, assign, y, 1, 1, 2, 1, NULL) == VT_OK && y[0] == 52 && y[1] == 104,
          "unpool: (%g, %g)", y[0], y[1]);
    vt_error err;
    CHECK(vt_region_pool_forward_f64(x, NULL, r, 1, 1, 2, 1, 1, &err) == VT_ERR_NULL_POINTER, "null assign");
}

/* B = 1, d = 1, dv = 1, S = 2, q = (0, 0): uniform attention, y = mean(v) everywhere; lse = ln 2. */
static void test_attention(void) {
    float q[2] = {0, 0}, k[2] = {1, 5}, v[2] = {2, 6}, y[2], lse[2];
    CHECK(vt_spatial_attention_forward_f32(q, k, v, y, lse, 1, 1, 1, 2, NULL) == VT_OK, "forward");
    CHECK(y[0] == 4 && y[1] == 4, "y = (%g, %g), want (4, 4)", y[0], y[1]);
    CHECK(fabsf(lse[0] - logf(2)) < 1e-6f, "lse = %g", lse[0]);
    float gy[2] = {1, 0}, gq[2], gk[2], gv[2];
    CHECK(vt_spatial_attention_backward_f32(gy, q, k, v, lse, gq, gk, gv, 1, 1, 1, 2, NULL) == VT_OK, "backward");
    /* d y0 / d v_j = P_0j = 1/2; d y0 / d q_0 = Σ_j P_0j (v_j - y0) k_j = (2-4)/2 + 5(6-4)/2 = 4 */
    CHECK(gv[0] == 0.5f && gv[1] == 0.5f, "grad_v = (%g, %g)", gv[0], gv[1]);
    CHECK(fabsf(gq[0] - 4) < 1e-5f && gq[1] == 0, "grad_q = (%g, %g), want (4, 0)", gq[0], gq[1]);
}

int main(void) {
    test_mixing();
    test_regions();
    test_attention();
    REPORT();
}
