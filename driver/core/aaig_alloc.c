/* Fault injection for tests (see aaig_alloc.h); empty in the shipped core. */
#include "aaig_alloc.h"

#ifdef AAIG_FAULT_INJECTION
#include <stdatomic.h>

static atomic_long made;
static atomic_long fail_at = -1;

long aaig_fault_set(long n)
{
    atomic_store(&fail_at, n);
    return atomic_exchange(&made, 0);
}

int aaig_fault_hit(void) { return atomic_fetch_add(&made, 1) == atomic_load(&fail_at); }
#else
typedef int aaig_alloc_unused; /* ISO C: a translation unit must declare something */
#endif
