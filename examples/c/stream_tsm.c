/* Online temporal shift for live video, from C.
 *
 * A "camera" produces frames (n, c, h, w) one at a time; each frame goes through the streaming
 * shift as soon as it arrives (no look-ahead: the unidirectional mode of online TSM). At the end
 * the streamed frames are compared with the whole-clip op, which they must equal exactly.
 *
 * Build:  cc stream_tsm.c $(pkg-config --cflags --libs vidtemporal) -o stream_tsm
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <vidtemporal.h>

enum { N = 1, C = 64, H = 56, W = 56, FRAMES = 16, FOLD_DIV = 8 };

/* A bright vertical bar sweeping right over a dark background, a little different per channel. */
static void capture(float *frame, int t) {
    for (int c = 0; c < C; c++)
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++)
                frame[(c * H + y) * W + x] = (x == (3 * t) % W) ? 1.0f + 0.01f * c : 0.0f;
}

static double seconds(void) {
    struct timespec now;
    timespec_get(&now, TIME_UTC);   /* C11, no POSIX feature macros needed */
    return now.tv_sec + 1e-9 * now.tv_nsec;
}

static int fail(const char *what, const vt_error *err) {
    fprintf(stderr, "%s failed: %s (%s)\n", what, vt_status_string(err->status), err->message);
    return 1;
}

int main(void) {
    const size_t frame_size = (size_t)N * C * H * W;
    float *clip = malloc(FRAMES * frame_size * sizeof(float));
    float *streamed = malloc(FRAMES * frame_size * sizeof(float));
    float *whole = malloc(FRAMES * frame_size * sizeof(float));
    if (!clip || !streamed || !whole) return 1;
    /* Touch the output pages now, so the timing below is the steps, not first-use page faults
     * (a live pipeline reuses its buffers). */
    memset(streamed, 0, FRAMES * frame_size * sizeof(float));

    /* A frame (N, C, H, W) and its shifted copy as DLTensors over the plain buffers; the stream
     * is made for frames of this shape and dtype. */
    vt_error err;
    int64_t shape[4] = {N, C, H, W};
    DLTensor frame = vt_tensor(clip, VT_FLOAT32, 4, shape), out = vt_tensor(streamed, VT_FLOAT32, 4, shape);
    vt_temporal_shift_stream *stream = NULL;
    if (vt_temporal_shift_stream_create(&frame, FOLD_DIV, &stream, &err) != VT_OK)
        return fail("vt_temporal_shift_stream_create", &err);

    double busy = 0;
    for (int t = 0; t < FRAMES; t++) {
        frame.data = clip + t * frame_size;
        out.data = streamed + t * frame_size;
        capture(frame.data, t);
        double start = seconds();
        if (vt_temporal_shift_stream_step(stream, &frame, &out, &err) != VT_OK)
            return fail("vt_temporal_shift_stream_step", &err);
        busy += seconds() - start;
    }
    /* A new video starts from an empty cache. */
    if (vt_temporal_shift_stream_reset(stream, &err) != VT_OK) return fail("vt_temporal_shift_stream_reset", &err);
    vt_temporal_shift_stream_free(stream);

    /* The same clip at once: N clips of FRAMES segments each. */
    int64_t clip_shape[4] = {(int64_t)N * FRAMES, C, H, W};
    DLTensor x = vt_tensor(clip, VT_FLOAT32, 4, clip_shape), y = vt_tensor(whole, VT_FLOAT32, 4, clip_shape);
    if (vt_temporal_shift_forward(&x, &y, FRAMES, FOLD_DIV, VT_SHIFT_UNIDIRECTIONAL, &err) != VT_OK)
        return fail("vt_temporal_shift_forward", &err);

    /* N = 1, so the streamed (t, n, c, h, w) and whole-clip (n, t, c, h, w) layouts coincide. */
    int same = memcmp(streamed, whole, FRAMES * frame_size * sizeof(float)) == 0;
    printf("vidtemporal %s: streamed %d frames of (%d, %d, %d, %d), %.1f us per step\n", vt_version_string(),
           FRAMES, N, C, H, W, 1e6 * busy / FRAMES);
    printf("streamed frames %s the whole-clip unidirectional shift\n", same ? "equal" : "DIFFER FROM");
    free(clip);
    free(streamed);
    free(whole);
    return same ? 0 : 1;
}
