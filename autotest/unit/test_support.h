// Shared by the unit tests: a watchdog for code that may deadlock (run in a child process by
// gtest's death-test machinery), a fork()ed child that reports back, and whether
// AddressSanitizer is on (for over-read tests).
#ifndef AAIG_TEST_SUPPORT_H
#define AAIG_TEST_SUPPORT_H

#include <atomic>
#include <cerrno>
#include <csignal>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include <sys/wait.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define AAIG_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define AAIG_TEST_ASAN 1
#endif
#endif
#ifdef AAIG_TEST_ASAN
#include <sanitizer/lsan_interface.h>
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

// Runs body() in a fork()ed child (killed after timeout_s) and returns what it returned, or
// "child: ..." saying how it died. The child starts with the core's pool reset (no workers):
// each call tests a fresh process state, e.g. thread starts that fail one at a time. With
// check_leaks, under AddressSanitizer, the child checks for leaks before it exits (only
// where no other thread of the parent holds memory: the child does not have their stacks).
inline std::string in_child(const std::function<std::string()> &body, bool check_leaks = false,
                            unsigned timeout_s = 20)
{
    int fd[2];
    if (pipe(fd) != 0)
        return "child: pipe failed";
    const pid_t pid = fork();
    if (pid < 0)
        return "child: fork failed";
    if (pid == 0) {
        close(fd[0]);
        alarm(timeout_s);
        std::string out = body();
#ifndef AAIG_TEST_ASAN
        (void)check_leaks;
#else
        // _exit skips LeakSanitizer's check at exit: make it here.
        if (check_leaks && __lsan_do_recoverable_leak_check() != 0)
            out += " (and LeakSanitizer found leaks)";
#endif
        size_t done = 0;
        while (done < out.size()) {
            const ssize_t n = write(fd[1], out.data() + done, out.size() - done);
            if (n <= 0)
                break;
            done += (size_t)n;
        }
        _exit(0);
    }
    close(fd[1]);
    std::string out;
    char buf[4096];
    for (ssize_t n; (n = read(fd[0], buf, sizeof(buf))) != 0;) {
        if (n > 0)
            out.append(buf, (size_t)n);
        else if (errno != EINTR)
            break;
        g_progress++; // a child that writes is making progress
    }
    close(fd[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFSIGNALED(status))
        return "child: killed by signal " + std::to_string(WTERMSIG(status)) +
               (WTERMSIG(status) == SIGALRM ? " (hung)" : "") + " after writing '" + out + "'";
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return "child: exit status " + std::to_string(WEXITSTATUS(status));
    return out;
}

} // namespace aaig_test

#endif
