/* Linked into the kernel builds (tools/build_library.sh) so that they need no libstdc++ newer
 * than gcc 5's (GLIBCXX_3.4.21): the static Swift runtime, compiled against a newer libstdc++,
 * refers to std::__throw_bad_array_new_length(), which libstdc++ exports only from GLIBCXX_3.4.29
 * (gcc 11). The runtime never creates an array large enough to reach it; hidden, so that the
 * libstdc++ of the process keeps its own. */
#include <stdlib.h>

__attribute__((visibility("hidden"), noreturn)) void _ZSt28__throw_bad_array_new_lengthv(void) { abort(); }
