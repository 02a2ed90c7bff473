#include "allocation_counter.h"

#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>

/* glibc's own entry points: the definitions below interpose malloc and friends for the whole
   test process (the executable's symbols come first), count, and forward here. */
extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *pointer, size_t size);
extern void *__libc_memalign(size_t alignment, size_t size);
extern void __libc_free(void *pointer);

/* Under AddressSanitizer or ThreadSanitizer the interposition is left out: forwarding to glibc
   would bypass the sanitizer's own allocator (and run before it is set up). */
#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define GLIMPSE_UNDER_SANITIZER 1
#endif
#endif

static atomic_long allocations;
static atomic_int counting;

static void count(void) {
  if (atomic_load_explicit(&counting, memory_order_relaxed)) {
    atomic_fetch_add_explicit(&allocations, 1, memory_order_relaxed);
  }
}

int glimpse_allocations_counted(void) {
#ifdef GLIMPSE_UNDER_SANITIZER
  return 0;
#else
  return 1;
#endif
}

#ifndef GLIMPSE_UNDER_SANITIZER
void *malloc(size_t size) { count(); return __libc_malloc(size); }
void *calloc(size_t n, size_t size) { count(); return __libc_calloc(n, size); }
void *realloc(void *pointer, size_t size) { count(); return __libc_realloc(pointer, size); }
void *memalign(size_t alignment, size_t size) { count(); return __libc_memalign(alignment, size); }
void *aligned_alloc(size_t alignment, size_t size) { count(); return __libc_memalign(alignment, size); }
int posix_memalign(void **result, size_t alignment, size_t size) {
  count();
  void *pointer = __libc_memalign(alignment, size);
  if (!pointer) return ENOMEM;
  *result = pointer;
  return 0;
}
void free(void *pointer) { __libc_free(pointer); }
#endif

void glimpse_allocations_start(void) {
  atomic_store(&allocations, 0);
  atomic_store(&counting, 1);
}

long glimpse_allocations_stop(void) {
  atomic_store(&counting, 0);
  return atomic_load(&allocations);
}
