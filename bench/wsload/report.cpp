// wsload's report: the human-readable summary and the RESULT line of key=value pairs.
#include <algorithm>
#include <cstdio>

#include "load.hpp"

namespace wsload {

void Load::report() {
    const char* kind = o_.raw ? "raw TCP" : (o_.binary ? "binary" : (o_.utf8_mixed ? "text (mixed UTF-8)" : "text"));
    const double cpu = self1_.total() - self0_.total();
    std::optional<double> server_cpu;
    if (server0_ && server1_) server_cpu = server1_->total() - server0_->total();
    std::string result = "RESULT status=ok errors=0";
    auto add = [&result](const char* key, const std::string& value) { result += std::string(" ") + key + "=" + value; };
    auto num = [](double v, int prec) {
        char b[64];
        std::snprintf(b, sizeof b, "%.*f", prec, v);
        return std::string(b);
    };
    add("server", o_.raw ? "raw" : "ws");
    add("type", o_.raw ? "raw" : (o_.binary ? "binary" : "text"));

    if (o_.mode == Mode::Echo || o_.mode == Mode::Broadcast) {
        const double secs = static_cast<double>(t_window_end_ - t_window_start_) / 1e9;
        const double msgs = static_cast<double>(window_received_);
        const double rate = msgs / secs;
        const double mbs = rate * static_cast<double>(o_.size) / 1e6;
        const bool bc = o_.mode == Mode::Broadcast;
        std::printf("wsload: %s, %zu connections to %s, %zu-byte %s messages, %zu in flight %s\n",
                    bc ? "broadcast" : "echo", conns_.size(), host_header_.c_str(), o_.size, kind, o_.depth,
                    bc ? "(sender window)" : "per connection");
        std::printf("  window:     %.2f s after %.2f s of warm-up\n", secs, o_.warmup);
        if (bc) {
            std::printf("  sent:       %llu messages = %.0f msgs/s\n", static_cast<unsigned long long>(window_sent_),
                        static_cast<double>(window_sent_) / secs);
            std::printf("  delivered:  %.0f messages = %.0f deliveries/s, %.2f MB/s\n", msgs, rate, mbs);
        } else {
            std::printf("  echoed:     %.0f messages = %.0f msgs/s, %.2f MB/s of payload each way\n", msgs, rate, mbs);
        }
        std::printf("  latency:    p50 %s, p99 %s, p99.9 %s, max %s (%s)\n",
                    bench::format_ns(hist_.quantile(0.5)).c_str(), bench::format_ns(hist_.quantile(0.99)).c_str(),
                    bench::format_ns(hist_.quantile(0.999)).c_str(),
                    bench::format_ns(static_cast<double>(hist_.max())).c_str(), bc ? "send to delivery" : "round trip");
        std::printf("  wsload CPU: %.2f s = %.0f %% of one core (user %.2f s, sys %.2f s), %.3f us per message\n", cpu,
                    100 * cpu / secs, self1_.user - self0_.user, self1_.sys - self0_.sys, msgs > 0 ? cpu * 1e6 / msgs : 0.0);
        if (cpu / secs > 0.9) {
            std::printf("  note:       wsload used over 90 %% of its core: it may have been the bottleneck\n");
        }
        // The server's CPU split into user space and the kernel (the kernel's tick samples, scaled to
        // the exact total: a few percent of noise on the smaller part over a few seconds).
        const double server_user = server_cpu ? server1_->user - server0_->user : 0;
        const double server_sys = server_cpu ? server1_->sys - server0_->sys : 0;
        const double per = msgs > 0 ? 1e6 / msgs : 0.0;
        if (server_cpu) {
            std::printf("  server CPU: %.2f s = %.0f %% of one core, %.3f us per %s (user %.3f, kernel %.3f)  (pid %ld)\n",
                        *server_cpu, 100 * *server_cpu / secs, *server_cpu * per, bc ? "delivery" : "message",
                        server_user * per, server_sys * per, o_.server_pid);
        }
        add("mode", bc ? "broadcast" : "echo");
        add("conns", std::to_string(conns_.size()));
        add("size", std::to_string(o_.size));
        add("depth", std::to_string(o_.depth));
        add("secs", num(secs, 3));
        add("msgs", std::to_string(window_received_));
        add(bc ? "deliveries_per_s" : "msgs_per_s", num(rate, 0));
        if (bc) add("sent_per_s", num(static_cast<double>(window_sent_) / secs, 0));
        add("mb_per_s", num(mbs, 3));
        add("p50_us", num(hist_.quantile(0.5) / 1e3, 1));
        add("p99_us", num(hist_.quantile(0.99) / 1e3, 1));
        add("p999_us", num(hist_.quantile(0.999) / 1e3, 1));
        add("max_us", num(static_cast<double>(hist_.max()) / 1e3, 1));
        add("load_cpu_pct", num(100 * cpu / secs, 1));
        add("load_cpu_us_per_msg", num(msgs > 0 ? cpu * 1e6 / msgs : 0, 3));
        if (server_cpu) {
            add("server_cpu_pct", num(100 * *server_cpu / secs, 1));
            add("server_cpu_us_per_msg", num(*server_cpu * per, 3));
            add("server_user_us_per_msg", num(server_user * per, 3));
            add("server_sys_us_per_msg", num(server_sys * per, 3));
        }
    } else if (o_.mode == Mode::Idle) {
        const double secs = static_cast<double>(t_window_end_ - t_window_start_) / 1e9;
        std::printf("wsload: %zu idle %s connections to %s, held %.2f s\n", conns_.size(),
                    o_.raw ? "TCP" : "WebSocket", host_header_.c_str(), secs);
        add("mode", "idle");
        add("conns", std::to_string(conns_.size()));
        add("secs", num(secs, 3));
        if (rss_before_ && rss_open_) {
            const double delta = static_cast<double>(*rss_open_) - static_cast<double>(*rss_before_);
            const double per = delta / static_cast<double>(conns_.size());
            std::printf("  server RSS: %s before, %s with every connection open (+%s), %s at the end\n",
                        bench::format_bytes(static_cast<double>(*rss_before_)).c_str(),
                        bench::format_bytes(static_cast<double>(*rss_open_)).c_str(), bench::format_bytes(delta).c_str(),
                        rss_end_ ? bench::format_bytes(static_cast<double>(*rss_end_)).c_str() : "?");
            std::printf("  per connection: %.0f bytes of server RSS\n", per);
            add("rss_before", std::to_string(*rss_before_));
            add("rss_open", std::to_string(*rss_open_));
            if (rss_end_) add("rss_end", std::to_string(*rss_end_));
            add("rss_per_conn", num(per, 0));
        }
        if (server_cpu) {
            std::printf("  server CPU while idle: %.3f s (%.2f %% of one core)\n", *server_cpu, 100 * *server_cpu / secs);
            add("server_cpu_pct", num(100 * *server_cpu / secs, 2));
        }
    } else {  // Big
        const double secs = static_cast<double>(big_t1_ - big_t0_) / 1e9;
        const double msgs = static_cast<double>(conns_.size() * o_.count);
        const double bytes = msgs * static_cast<double>(o_.size);
        std::printf("wsload: %zu x %zu %s message(s) of %s each way on %zu connection(s) to %s\n", conns_.size(), o_.count,
                    kind, bench::format_bytes(static_cast<double>(o_.size)).c_str(), conns_.size(), host_header_.c_str());
        std::printf("  time:       %s in all, %s per message, %.1f MB/s each way\n", bench::format_ns(secs * 1e9).c_str(),
                    bench::format_ns(secs * 1e9 / msgs).c_str(), bytes / secs / 1e6);
        // Per message: a round's time over the connections that each had one message in it.
        const double conns = static_cast<double>(conns_.size());
        const double first = static_cast<double>(round_end_[0] - big_t0_) / conns;
        std::vector<double> later;
        for (std::size_t k = 1; k < round_end_.size(); ++k)
            later.push_back(static_cast<double>(round_end_[k] - round_end_[k - 1]) / conns);
        std::sort(later.begin(), later.end());
        const double later_median = later.empty() ? 0 : later.size() % 2 == 1 ? later[later.size() / 2]
                                                          : (later[later.size() / 2 - 1] + later[later.size() / 2]) / 2;
        std::printf("  first:      %s per message (the first round: every connection's first echo)\n",
                    bench::format_ns(first).c_str());
        if (!later.empty())
            std::printf("  later:      %s per message (the median of the %zu rounds after)\n",
                        bench::format_ns(later_median).c_str(), later.size());
        std::printf("  wsload CPU: %.3f s\n", cpu);
        add("mode", "big");
        add("conns", std::to_string(conns_.size()));
        add("size", std::to_string(o_.size));
        add("count", std::to_string(o_.count));
        add("secs", num(secs, 4));
        add("ms_per_msg", num(secs * 1e3 / msgs, 3));
        add("first_ms_per_msg", num(first / 1e6, 3));
        if (!later.empty()) add("later_ms_per_msg", num(later_median / 1e6, 3));
        add("mb_per_s", num(bytes / secs / 1e6, 1));
        add("load_cpu_s", num(cpu, 4));
        if (server_cpu) {
            std::printf("  server CPU: %.3f s\n", *server_cpu);
            add("server_cpu_s", num(*server_cpu, 3));
        }
        if (hwm_after_) {
            std::printf("  server peak RSS (VmHWM): %s (%s before), RSS after: %s\n",
                        bench::format_bytes(static_cast<double>(*hwm_after_)).c_str(),
                        hwm_before_ ? bench::format_bytes(static_cast<double>(*hwm_before_)).c_str() : "?",
                        rss_end_ ? bench::format_bytes(static_cast<double>(*rss_end_)).c_str() : "?");
            add("server_hwm", std::to_string(*hwm_after_));
            if (hwm_before_) add("server_hwm_before", std::to_string(*hwm_before_));
            if (rss_end_) add("server_rss_after", std::to_string(*rss_end_));
        }
    }
    std::printf("%s\n", result.c_str());
    std::fflush(stdout);
}

}  // namespace wsload
