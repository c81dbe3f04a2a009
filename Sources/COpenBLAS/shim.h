/* OpenBLAS's CBLAS interface (Debian: libopenblas-dev), imported into Swift as COpenBLAS. */
#include <cblas.h>
