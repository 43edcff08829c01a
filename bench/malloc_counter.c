// A tiny LD_PRELOAD shim that counts malloc/calloc/realloc calls and prints the total at exit,
// so bench/count-allocations.sh can show that hot loops allocate nothing per step.
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern int __libc_posix_memalign(void **, size_t, size_t);

static atomic_long calls;

void *malloc(size_t n) { atomic_fetch_add(&calls, 1); return __libc_malloc(n); }
void *calloc(size_t a, size_t b) { atomic_fetch_add(&calls, 1); return __libc_calloc(a, b); }
void *realloc(void *p, size_t n) { atomic_fetch_add(&calls, 1); return __libc_realloc(p, n); }

// The count goes to the file named by MALLOC_COUNT_FILE (stderr may already be closed).
__attribute__((destructor)) static void report(void) {
  const char *path = getenv("MALLOC_COUNT_FILE");
  FILE *f = path ? fopen(path, "w") : NULL;
  if (f) {
    fprintf(f, "%ld\n", atomic_load(&calls));
    fclose(f);
  }
}
