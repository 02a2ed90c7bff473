#ifndef GLIMPSE_ALLOCATION_COUNTER_H
#define GLIMPSE_ALLOCATION_COUNTER_H

/* Counts heap allocations (malloc, calloc, realloc, aligned variants) made between start and
   stop, by every thread. Linked only into the tests. */
void glimpse_allocations_start(void);
/* 0 when the build runs under a sanitizer, which owns malloc: nothing is counted then. */
int glimpse_allocations_counted(void);
long glimpse_allocations_stop(void);

#endif
