/* The C tests' one assertion: counts passes and failures, prints each failure with its line.
 * main() ends with REPORT(): an "N passed, N failed" line, and a failing exit status. */
#ifndef VT_TEST_CHECK_H
#define VT_TEST_CHECK_H

#include <stdio.h>

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

#define REPORT()                                              \
    do {                                                      \
        printf("%d passed, %d failed\n", passed, failed);     \
        return failed ? 1 : 0;                                \
    } while (0)

#endif
