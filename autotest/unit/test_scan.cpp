// Unit tests of driver/core/aaig_scan: the 16-bytes-at-a-time structural scan is compared with
// a plain byte loop written here from the contract in aaig_scan.h.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "aaig_scan.h"

namespace {

bool ref_is_ws(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

bool ref_is_float(unsigned char c)
{
    return c == '.' || c == ',' || c == 'e' || c == 'E' || c == 'n' || c == 'N';
}

// The contract of aaig_scan, one byte at a time.
const char *ref_scan(const char *p, const char *end, aaig_scan_state *st, uint64_t limit,
                     int find_float, int *found_float)
{
    if (st->tokens > limit)
        return p;
    for (; p < end; p++) {
        unsigned char c = (unsigned char)*p;
        if (ref_is_ws(c)) {
            st->in_token = 0;
            continue;
        }
        if (!st->in_token) {
            if (st->tokens == limit)
                return p;
            st->tokens++;
            st->in_token = 1;
        }
        if (find_float && ref_is_float(c)) {
            *found_float = 1;
            return p;
        }
    }
    return end;
}

// Bytes a grid file is made of, plus the neighbours of every class boundary the SIMD code
// computes (0x08/0x0E around \t..\r, 0x1F/0x21 around space, high bytes whose low 7 bits or
// |0x20 look like a class member).
const unsigned char kAlphabet[] = {
    '0', '1', '2', '5', '9', ' ', ' ', ' ', '\t', '\r', '\n', '\n', '\v', '\f',
    '.', ',', 'e', 'E', 'n', 'N', 'a', 'x', 'i', 'f', 'l', 'u', '-', '+', '#', '*',
    0x00, 0x08, 0x0E, 0x1F, 0x21, 0x45 ^ 0x80, 0x65 ^ 0x80, 0x4E | 0x80, 0x89, 0x8D,
    0xA0, 0xAE, 0xFF, 0x7F, 0x4D, 0x6F, 0x2D,
};

std::string random_bytes(std::mt19937_64 &rng, size_t n, int flavour)
{
    std::string s(n, ' ');
    for (size_t i = 0; i < n; i++) {
        switch (flavour) {
        case 0: // anything
            s[i] = (char)kAlphabet[rng() % sizeof kAlphabet];
            break;
        case 1: // number-like text: mostly digits and single separators
        {
            unsigned r = (unsigned)(rng() % 16);
            s[i] = r < 9 ? (char)('0' + r) : r < 12 ? ' ' : r == 12 ? '\n' : r == 13 ? '.' : r == 14 ? '\r' : '-';
            break;
        }
        default: // long runs of one class
            s[i] = (rng() % 8 == 0) ? (char)kAlphabet[rng() % sizeof kAlphabet]
                                    : (i ? s[i - 1] : '7');
            break;
        }
    }
    return s;
}

struct Outcome {
    ptrdiff_t returned;
    uint64_t tokens;
    int in_token;
    int found;
};

std::string describe(const Outcome &o)
{
    return "returned +" + std::to_string(o.returned) + ", tokens " + std::to_string(o.tokens) +
           ", in_token " + std::to_string(o.in_token) + ", found_float " + std::to_string(o.found);
}

std::string escaped(const char *p, size_t n)
{
    std::string out;
    char buf[8];
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c >= 32 && c < 127 && c != '\\') {
            out += (char)c;
        } else {
            std::snprintf(buf, sizeof buf, "\\x%02X", c);
            out += buf;
        }
    }
    return out;
}

template <typename Scan>
Outcome run(Scan scan, const char *p, size_t len, aaig_scan_state st, uint64_t limit,
            int find_float)
{
    int found = 0;
    const char *q = scan(p, p + len, &st, limit, find_float, &found);
    return {q - p, st.tokens, st.in_token, found};
}

bool same(const Outcome &a, const Outcome &b)
{
    return a.returned == b.returned && a.tokens == b.tokens && a.in_token == b.in_token &&
           a.found == b.found;
}

} // namespace

TEST(Scan, MatchesByteLoopAtEveryAlignmentAndLength)
{
    std::mt19937_64 rng(424242);
    // 32 bytes of slack on both sides, so every start alignment modulo 16 can be used.
    alignas(64) char storage[16 + 100 + 32];
    long compared = 0;
    for (int buffer = 0; buffer < 60; buffer++) {
        std::string bytes = random_bytes(rng, sizeof storage, buffer % 3);
        std::memcpy(storage, bytes.data(), sizeof storage);
        for (size_t align = 0; align < 16; align++) {
            for (size_t len = 0; len <= 100; len++) {
                const char *p = storage + align;
                for (int rep = 0; rep < 3; rep++) {
                    aaig_scan_state st0;
                    st0.tokens = rng() % 4;
                    st0.in_token = (int)(rng() % 2);
                    uint64_t limit;
                    switch (rng() % 5) {
                    case 0: limit = UINT64_MAX; break;
                    case 1: limit = st0.tokens; break;
                    case 2: limit = st0.tokens ? st0.tokens - 1 : 0; break; // may be below
                    default: limit = st0.tokens + rng() % 40; break;
                    }
                    int find_float = (int)(rng() % 2);
                    Outcome want = run(ref_scan, p, len, st0, limit, find_float);
                    Outcome got = run(aaig_scan, p, len, st0, limit, find_float);
                    ASSERT_TRUE(same(got, want))
                        << "buffer '" << escaped(p, len) << "' (alignment " << align
                        << ", length " << len << "), start tokens " << st0.tokens
                        << ", in_token " << st0.in_token << ", limit " << limit
                        << ", find_float " << find_float << "\n  got:      " << describe(got)
                        << "\n  expected: " << describe(want);
                    compared++;
                }
            }
        }
    }
    EXPECT_GT(compared, 100000);
}

TEST(Scan, LongBuffersAgainstByteLoop)
{
    std::mt19937_64 rng(31337);
    for (int trial = 0; trial < 300; trial++) {
        std::string bytes = random_bytes(rng, 1 + rng() % 3000, trial % 3);
        aaig_scan_state st0 = {0, 0};
        for (int find_float = 0; find_float < 2; find_float++) {
            uint64_t limit = trial % 4 == 0 ? UINT64_MAX : rng() % 600;
            Outcome want = run(ref_scan, bytes.data(), bytes.size(), st0, limit, find_float);
            Outcome got = run(aaig_scan, bytes.data(), bytes.size(), st0, limit, find_float);
            ASSERT_TRUE(same(got, want)) << "trial " << trial << ", limit " << limit
                                         << ", find_float " << find_float
                                         << "\n  got:      " << describe(got)
                                         << "\n  expected: " << describe(want);
        }
    }
}

TEST(Scan, SplitAtEveryPositionCountsTheSameAsWhole)
{
    std::mt19937_64 rng(8);
    for (int trial = 0; trial < 80; trial++) {
        std::string bytes = random_bytes(rng, 1 + rng() % 90, trial % 3);
        const char *p = bytes.data(), *end = p + bytes.size();
        aaig_scan_state whole = {0, 0};
        ASSERT_EQ(aaig_scan(p, end, &whole, UINT64_MAX, 0, nullptr), end);
        aaig_scan_state ref = {0, 0};
        ref_scan(p, end, &ref, UINT64_MAX, 0, nullptr);
        ASSERT_EQ(whole.tokens, ref.tokens) << escaped(p, bytes.size());
        for (size_t cut = 0; cut <= bytes.size(); cut++) {
            aaig_scan_state st = {0, 0};
            ASSERT_EQ(aaig_scan(p, p + cut, &st, UINT64_MAX, 0, nullptr), p + cut);
            ASSERT_EQ(aaig_scan(p + cut, end, &st, UINT64_MAX, 0, nullptr), end);
            ASSERT_EQ(st.tokens, whole.tokens)
                << "'" << escaped(p, bytes.size()) << "' split at " << cut;
            ASSERT_EQ(st.in_token, whole.in_token) << "split at " << cut;
        }
    }
}

TEST(Scan, SteppingTokenByTokenFindsEveryStart)
{
    // Calling with limit = tokens seen so far returns each token start in turn.
    std::mt19937_64 rng(99);
    for (int trial = 0; trial < 100; trial++) {
        std::string bytes = random_bytes(rng, 1 + rng() % 400, trial % 3);
        std::vector<size_t> starts;
        for (size_t i = 0; i < bytes.size(); i++)
            if (!ref_is_ws((unsigned char)bytes[i]) && (i == 0 || ref_is_ws((unsigned char)bytes[i - 1])))
                starts.push_back(i);
        const char *p = bytes.data(), *end = p + bytes.size();
        aaig_scan_state st = {0, 0};
        std::vector<size_t> got;
        const char *q = p;
        for (;;) {
            q = aaig_scan(q, end, &st, st.tokens, 0, nullptr);
            if (q == end)
                break;
            got.push_back((size_t)(q - p));
            ASSERT_EQ(st.in_token, 0);
            // count this token and stop at the next start
            q = aaig_scan(q, end, &st, st.tokens + 1, 0, nullptr);
            if (q == end)
                break;
            got.push_back((size_t)(q - p));
        }
        // Every start was returned exactly once, in order (the second call of each pair
        // returns the next start, so starts repeat: deduplicate).
        std::vector<size_t> dedup;
        for (size_t s : got)
            if (dedup.empty() || dedup.back() != s)
                dedup.push_back(s);
        ASSERT_EQ(dedup, starts) << escaped(p, bytes.size());
        EXPECT_EQ(st.tokens, starts.size());
    }
}

TEST(Scan, FloatCharacters)
{
    struct Case {
        const char *text;
        uint64_t limit;
        long expect_at; // -1: none found, returns end or the limit token
    };
    const Case cases[] = {
        {"1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 1.5\n", UINT64_MAX, 43},
        {"1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 1.5\n", 17, -1}, // the float is token 17
        {"1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 1.5\n", 18, 43},
        {"nan\n", UINT64_MAX, 0},
        {"-inf\n", UINT64_MAX, 2},
        {"NULL\n", UINT64_MAX, 0},
        {"1E5\n", UINT64_MAX, 1},
        {"0,5\n", UINT64_MAX, 1},
        {"12 34 56 78 90 -1 -2 -3 -4 -5 +6 +7 +8 x y z\n", UINT64_MAX, -1},
        {"\xC5\xE5\xCE\xEE\xAE\xAC\n", UINT64_MAX, -1}, // 'E','e','N','n','.',',' with bit 7 set
    };
    for (const Case &c : cases) {
        SCOPED_TRACE(c.text);
        size_t n = std::strlen(c.text);
        aaig_scan_state st = {0, 0};
        int found = 0;
        const char *q = aaig_scan(c.text, c.text + n, &st, c.limit, 1, &found);
        if (c.expect_at >= 0) {
            EXPECT_EQ(found, 1);
            EXPECT_EQ(q - c.text, c.expect_at);
        } else {
            EXPECT_EQ(found, 0);
        }
    }
}
