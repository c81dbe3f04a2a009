/* The C user's view of DAM: an empty event region gives global 0 and p = 0.5, one segment gives
 * global = f wv; the loss at p = 0 and 1; localisation; errors. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <vidtemporal.h>

#include "check.h"


/* n = 2 clips, t = 2, d = 2, dk = 1; clip 0 has no event, clip 1 only segment 1. wv = identity,
 * so for clip 1 the global feature is that segment's features. */
static void test_forward(void) {
    double audio[8] = {1, 2, 3, 4, 5, 6, 7, 8}, visual[8] = {0, 1, 1, 0, 2, 0, 0, 3}, mask[4] = {0, 0, 0, 1};
    double wq[2] = {1, 0}, wk[2] = {0, 1}, wv[4] = {1, 0, 0, 1};
    double p[4], pa[4], pv[4], ga[4], gv[4];
    vt_error err;
    CHECK(vt_dual_attention_matching_forward_f64(audio, visual, mask, wq, wk, wv, wq, wk, wv, p, pa, pv, ga, gv, NULL, 2, 2, 2,
                                                 1, &err) == VT_OK, "%s", err.message);
    CHECK(ga[0] == 0 && ga[1] == 0 && gv[0] == 0 && gv[1] == 0, "empty region: global 0");
    CHECK(p[0] == 0.5 && p[1] == 0.5, "empty region: p = 0.5, got %g %g", p[0], p[1]);
    CHECK(ga[2] == 7 && ga[3] == 8 && gv[2] == 0 && gv[3] == 3, "one segment: global = f wv");
    /* p_audio[clip 1, t 0] = σ(global_visual · audio[1][0]) = σ(0*5 + 3*6) */
    CHECK(fabs(pa[2] - 1 / (1 + exp(-18.0))) < 1e-15, "p_audio = %g", pa[2]);
    mask[0] = 2;
    CHECK(vt_dual_attention_matching_forward_f64(audio, visual, mask, wq, wk, wv, wq, wk, wv, p, pa, pv, ga, gv, NULL, 2, 2, 2,
                                                 1, &err) == VT_ERR_INVALID_ARGUMENT, "mask 2");
    CHECK(strstr(err.message, "mask[0, 0] = 2.0 is not 0 or 1") != NULL, "message: %s", err.message);
}

static void test_loss_and_localize(void) {
    float p[3] = {0, 1, 0.5f}, labels[3] = {1, 0, 1}, loss, one = 1, gp[3];
    CHECK(vt_dam_loss_forward_f32(p, labels, &loss, 3, NULL) == VT_OK, "loss");
    CHECK(fabsf(loss - (200 + logf(2)) / 3) < 1e-4f, "loss at the edges = %g", loss);
    CHECK(vt_dam_loss_backward_f32(&one, p, labels, gp, NULL, 3, NULL) == VT_OK && isfinite(gp[0]) && isfinite(gp[1]),
          "finite gradient at p = 0 and 1");
    float query[1] = {1}, other[5] = {0, 0, 5, 5, 0};
    int64_t start = -1;
    CHECK(vt_cml_localize_f32(query, other, &start, 1, 5, 1, 2, NULL) == VT_OK && start == 2, "start %lld",
          (long long)start);
    CHECK(vt_cml_localize_f32(query, other, &start, 1, 5, 1, 6, NULL) == VT_ERR_INVALID_ARGUMENT, "length > t");
}

int main(void) {
    test_forward();
    test_loss_and_localize();
    REPORT();
}
