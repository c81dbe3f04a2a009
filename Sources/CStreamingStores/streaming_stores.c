#include "streaming_stores.h"

#include <stdint.h>
#include <string.h>

// The runs of a pixel come from up to three frames, a few lines each: the hardware prefetcher
// does not follow that pattern, so each run's lines are requested this many pixels ahead.
enum { PREFETCH_PIXELS = 8 };

typedef long long vts_chunk __attribute__((vector_size(16), may_alias));

// n bytes to a 16-byte aligned destination, n a multiple of 16: copied from source, or zeros
// when source is NULL. Separate loops per kind of store, so that the compiler keeps each one.
static inline void stream_bytes(char *destination, const char *source, size_t n) {
    if (source) {
        for (size_t i = 0; i < n; i += 16) {
            vts_chunk value;
            memcpy(&value, source + i, 16);
            __builtin_nontemporal_store(value, (vts_chunk *)(destination + i));
        }
    } else {
        vts_chunk zero = {0, 0};
        for (size_t i = 0; i < n; i += 16) __builtin_nontemporal_store(zero, (vts_chunk *)(destination + i));
    }
}

static inline void store_bytes(char *destination, const char *source, size_t n) {
    if (source) {
        for (size_t i = 0; i < n; i += 16) {
            vts_chunk value;
            memcpy(&value, source + i, 16);
            *(vts_chunk *)(destination + i) = value;
        }
    } else {
        vts_chunk zero = {0, 0};
        for (size_t i = 0; i < n; i += 16) *(vts_chunk *)(destination + i) = zero;
    }
}

void vts_write_pixel_runs(void *destination, size_t pixel_bytes, size_t pixels,
                          const vts_pixel_run *runs, size_t count, int streaming) {
    uintptr_t alignment = (uintptr_t)destination | pixel_bytes;
    for (size_t r = 0; r < count; r++) alignment |= runs[r].start | runs[r].bytes;
    char *out = destination;
    if (alignment % 16 == 0 && streaming) {
        for (size_t p = 0; p < pixels; p++) {
            size_t pixel = p * pixel_bytes;
            for (size_t r = 0; r < count; r++) {
                const char *source = runs[r].source ? (const char *)runs[r].source + p * runs[r].source_stride : NULL;
                if (source && p + PREFETCH_PIXELS < pixels)
                    for (size_t line = 0; line < runs[r].bytes; line += 64)
                        __builtin_prefetch(source + PREFETCH_PIXELS * runs[r].source_stride + line);
                stream_bytes(out + pixel + runs[r].start, source, runs[r].bytes);
            }
        }
#if defined(__x86_64__) || defined(__i386__)
        // Non-temporal stores are weakly ordered: make them visible before the caller's join.
        __builtin_ia32_sfence();
#endif
        return;
    }
    if (alignment % 16 == 0) {
        for (size_t p = 0; p < pixels; p++) {
            size_t pixel = p * pixel_bytes;
            for (size_t r = 0; r < count; r++) {
                const char *source = runs[r].source ? (const char *)runs[r].source + p * runs[r].source_stride : NULL;
                store_bytes(out + pixel + runs[r].start, source, runs[r].bytes);
            }
        }
        return;
    }
    for (size_t p = 0; p < pixels; p++) {
        size_t pixel = p * pixel_bytes;
        for (size_t r = 0; r < count; r++) {
            char *to = out + pixel + runs[r].start;
            if (runs[r].source) memcpy(to, (const char *)runs[r].source + p * runs[r].source_stride, runs[r].bytes);
            else memset(to, 0, runs[r].bytes);
        }
    }
}
