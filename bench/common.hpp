// Helpers shared by the benchmark programs in bench/: clocks, CPU accounting (our own through
// getrusage, a server's through /proc/PID/stat), a server's memory (/proc/PID/status), a
// log-bucketed latency histogram, number formatting.
//
// Header-only and free of ws-cpp: wsload, the independent load generator, includes it, and it
// must not depend on anything in include/ws or src/.
#pragma once

#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

namespace bench {

// Monotonic nanoseconds (CLOCK_MONOTONIC through the vDSO: about 20 ns a call).
inline std::uint64_t now_ns() noexcept {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<std::uint64_t>(ts.tv_nsec);
}

// This process's CPU time so far, user and system, in seconds.
struct CpuTimes {
    double user = 0;
    double sys = 0;
    double total() const noexcept { return user + sys; }
};

inline CpuTimes own_cpu() noexcept {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    CpuTimes t;
    t.user = static_cast<double>(ru.ru_utime.tv_sec) + static_cast<double>(ru.ru_utime.tv_usec) / 1e6;
    t.sys = static_cast<double>(ru.ru_stime.tv_sec) + static_cast<double>(ru.ru_stime.tv_usec) / 1e6;
    return t;
}

// Another process's CPU time (all its threads), from fields 14 (utime) and 15 (stime) of
// /proc/PID/stat, in seconds. Resolution: one clock tick (10 ms with CLK_TCK = 100), so a
// window of a few seconds measures it to well under 1 %.
inline std::optional<CpuTimes> process_cpu(long pid) {
    std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!f || !std::getline(f, line)) return std::nullopt;
    // Field 2 (comm) is in parentheses and may hold spaces: fields are counted after the last ')'.
    const auto close = line.rfind(')');
    if (close == std::string::npos) return std::nullopt;
    std::istringstream rest(line.substr(close + 1));
    std::string field;
    unsigned long long utime = 0, stime = 0;
    for (int i = 3; i <= 15 && rest >> field; ++i) {
        if (i == 14) utime = std::stoull(field);
        if (i == 15) stime = std::stoull(field);
    }
    const double tick = static_cast<double>(sysconf(_SC_CLK_TCK));
    CpuTimes t;
    t.user = static_cast<double>(utime) / tick;
    t.sys = static_cast<double>(stime) / tick;
    return t;
}

// A "Vm...:" line of /proc/PID/status (VmRSS, VmHWM), in bytes.
inline std::optional<std::uint64_t> process_memory(long pid, const std::string& key) {
    std::ifstream f("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (f && std::getline(f, line)) {
        if (line.compare(0, key.size(), key) == 0 && line.size() > key.size() && line[key.size()] == ':') {
            std::istringstream v(line.substr(key.size() + 1));
            unsigned long long kb = 0;
            if (v >> kb) return static_cast<std::uint64_t>(kb) * 1024u;
        }
    }
    return std::nullopt;
}

// Latency histogram with HDR-style log-linear buckets: exact below 64 ns, then 32 buckets per
// power of two (each about 3 % wide). Recording is an index computation and an increment.
class Histogram {
public:
    void record(std::uint64_t ns) noexcept {
        ++counts_[index(ns)];
        ++total_;
        if (ns > max_) max_ = ns;
    }
    void reset() noexcept {
        counts_.fill(0);
        total_ = 0;
        max_ = 0;
    }
    std::uint64_t count() const noexcept { return total_; }
    std::uint64_t max() const noexcept { return max_; }
    // The value at quantile q (0..1): the middle of the bucket holding it, in ns.
    double quantile(double q) const noexcept {
        if (total_ == 0) return 0;
        auto rank = static_cast<std::uint64_t>(q * static_cast<double>(total_));
        if (rank >= total_) rank = total_ - 1;
        std::uint64_t seen = 0;
        for (std::size_t i = 0; i < counts_.size(); ++i) {
            seen += counts_[i];
            if (seen > rank) {
                const double lo = static_cast<double>(lower(i));
                const double hi = static_cast<double>(lower(i + 1));
                const double mid = (lo + hi) / 2;
                return mid < static_cast<double>(max_) ? mid : static_cast<double>(max_);
            }
        }
        return static_cast<double>(max_);
    }

private:
    static constexpr std::size_t kSub = 32;  // buckets per power of two
    static constexpr std::size_t kBuckets = kSub * 60;
    static std::size_t index(std::uint64_t v) noexcept {
        if (v < kSub) return static_cast<std::size_t>(v);
        const int msb = 63 - __builtin_clzll(v);
        const int shift = msb - 5;  // keep the leading 1 and the next 5 bits
        const std::size_t i = static_cast<std::size_t>(shift) * kSub + static_cast<std::size_t>(v >> shift);
        return i < kBuckets ? i : kBuckets - 1;
    }
    static std::uint64_t lower(std::size_t i) noexcept {
        if (i < 2 * kSub) return i;
        const std::size_t shift = i / kSub - 1;
        return static_cast<std::uint64_t>(kSub + i % kSub) << shift;
    }
    std::array<std::uint64_t, kBuckets> counts_{};
    std::uint64_t total_ = 0;
    std::uint64_t max_ = 0;
};

// "12.3 µs", "4.56 ms" for a duration in ns.
inline std::string format_ns(double ns) {
    char buf[32];
    if (ns < 1e3) {
        std::snprintf(buf, sizeof buf, "%.0f ns", ns);
    } else if (ns < 1e6) {
        std::snprintf(buf, sizeof buf, "%.1f us", ns / 1e3);
    } else if (ns < 1e9) {
        std::snprintf(buf, sizeof buf, "%.2f ms", ns / 1e6);
    } else {
        std::snprintf(buf, sizeof buf, "%.2f s", ns / 1e9);
    }
    return buf;
}

// "1.5 MiB" for a byte count.
inline std::string format_bytes(double bytes) {
    char buf[32];
    if (bytes < 1024) {
        std::snprintf(buf, sizeof buf, "%.0f B", bytes);
    } else if (bytes < 1024.0 * 1024) {
        std::snprintf(buf, sizeof buf, "%.1f KiB", bytes / 1024);
    } else if (bytes < 1024.0 * 1024 * 1024) {
        std::snprintf(buf, sizeof buf, "%.1f MiB", bytes / (1024.0 * 1024));
    } else {
        std::snprintf(buf, sizeof buf, "%.2f GiB", bytes / (1024.0 * 1024 * 1024));
    }
    return buf;
}

// Raises the soft limit on open files to the hard limit (10,000 connections need it).
inline void raise_fd_limit() noexcept {
    rlimit rl{};
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

}  // namespace bench
