// Shared by the FastAAIGrid fuzz harnesses: a failure that names what disagreed, and a small
// deterministic generator driven by bytes of the input.
#ifndef AAIG_FUZZ_COMMON_H
#define AAIG_FUZZ_COMMON_H

#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

// A real disagreement: print it and abort, so libFuzzer saves the input as a crash.
[[noreturn]] __attribute__((format(printf, 1, 2))) static inline void fuzz_fail(const char *fmt,
                                                                                 ...)
{
    va_list ap;
    va_start(ap, fmt);
    std::fprintf(stderr, "FUZZ FAILURE: ");
    std::vfprintf(stderr, fmt, ap);
    std::fprintf(stderr, "\n");
    va_end(ap);
    std::fflush(stderr);
    std::abort();
}

// FUZZ_CHECK(condition, printf-format, args...): the message says what disagreed.
#define FUZZ_CHECK(cond, ...)                                                                     \
    do {                                                                                          \
        if (!(cond)) {                                                                            \
            std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);       \
            fuzz_fail(__VA_ARGS__);                                                               \
        }                                                                                         \
    } while (0)

// splitmix64: the row order and the like come from a seed taken from the input.
struct FuzzRng {
    uint64_t s;
    uint64_t next()
    {
        uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }
    uint64_t below(uint64_t n) { return n ? next() % n : 0; }
};

static inline uint64_t bits_of(double d)
{
    uint64_t u;
    std::memcpy(&u, &d, 8);
    return u;
}

static inline uint32_t bits_of(float f)
{
    uint32_t u;
    std::memcpy(&u, &f, 4);
    return u;
}

#endif
