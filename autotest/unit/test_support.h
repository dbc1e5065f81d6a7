// Shared by the unit tests: a watchdog for code that may deadlock (run in a child process by
// gtest's death-test machinery), and whether AddressSanitizer is on (for over-read tests).
#ifndef AAIG_TEST_SUPPORT_H
#define AAIG_TEST_SUPPORT_H

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>

#if defined(__SANITIZE_ADDRESS__)
#define AAIG_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define AAIG_TEST_ASAN 1
#endif
#endif

namespace aaig_test {

inline std::atomic<uint64_t> g_progress{0};
inline std::mutex g_step_mutex;
inline std::string g_step;

// Records progress (and what is being done, for the hang report).
inline void step(const std::string &what)
{
    {
        std::lock_guard<std::mutex> lock(g_step_mutex);
        g_step = what;
    }
    g_progress++;
}

// Seconds without progress before a watched test is declared hung; AAIG_TEST_STALL_SECONDS
// raises it where everything is slow (under qemu, under ThreadSanitizer).
inline int stall_seconds()
{
    const char *s = std::getenv("AAIG_TEST_STALL_SECONDS");
    return s && std::atoi(s) > 0 ? std::atoi(s) : 3;
}

// Runs body(arg) in this (child) process; exits 0 when it returns "", 1 after printing what it
// returned, 2 when no step() was made for stall_seconds().
[[noreturn]] inline void run_watched(std::string (*body)(unsigned), unsigned arg)
{
    std::thread([] {
        uint64_t last = g_progress.load();
        auto since = std::chrono::steady_clock::now();
        for (;;) {
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
            uint64_t now = g_progress.load();
            if (now != last) {
                last = now;
                since = std::chrono::steady_clock::now();
            } else if (std::chrono::steady_clock::now() - since > std::chrono::seconds(stall_seconds())) {
                std::string what;
                {
                    std::lock_guard<std::mutex> lock(g_step_mutex);
                    what = g_step;
                }
                std::fprintf(stderr, "HUNG: no progress for %d s (deadlock in the thread pool?) during: %s\n",
                             stall_seconds(), what.c_str());
                std::fflush(stderr);
                std::_Exit(2);
            }
        }
    }).detach();
    std::string err = body(arg);
    if (!err.empty()) {
        std::fprintf(stderr, "%s\n", err.c_str());
        std::fflush(stderr);
        std::_Exit(1);
    }
    std::_Exit(0);
}

} // namespace aaig_test

#endif
