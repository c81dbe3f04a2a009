// Pixel-run copies for channels_last (NHWC) data movement, written with non-temporal stores.
// Swift has no non-temporal store, and per-run memcpy calls cost more than the bytes they move
// when a pixel holds only a few hundred bytes. Internal to libvidtemporal (not exported).
#pragma once
#include <stddef.h>

/// One run of every pixel: `bytes` bytes at byte `start` of destination pixel p, read from
/// `source + p * source_stride`, or zeros if source is NULL.
typedef struct {
    const void *source;
    size_t source_stride;
    size_t start;
    size_t bytes;
} vts_pixel_run;

/// For each of `pixels` pixels of `pixel_bytes` bytes at `destination`, writes every run.
/// Where the destination, the pixel size and every run are 16-byte aligned, runs are written with
/// inlined vector stores, non-temporal ones if `streaming` (for outputs larger than the caches);
/// otherwise with memcpy.
/// Hidden: the library's own helper, not part of its exported ABI.
__attribute__((visibility("hidden")))
void vts_write_pixel_runs(void *destination, size_t pixel_bytes, size_t pixels,
                          const vts_pixel_run *runs, size_t count, int streaming);
