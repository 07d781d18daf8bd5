// Helpers for the example tests: run an example binary as a child process, feed its standard
// input, watch its standard output and error, and make sure it never outlives the test.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace ws::test {

using namespace std::chrono_literals;

// One child process with pipes on its stdin, stdout and stderr.
//
// Never left behind: the destructor kills (SIGKILL, by its PID) and reaps a child that is
// still running, and the child is started with PR_SET_PDEATHSIG, so it also dies if the test
// itself is killed (a CTest timeout). Construct and destroy it on the same thread: the death
// signal follows the thread that started the child.
class ChildProcess {
public:
    ChildProcess(std::string path, std::vector<std::string> args);
    ~ChildProcess();
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;

    pid_t pid() const noexcept { return pid_; }
    bool started() const noexcept { return pid_ > 0; }

    // Writes to the child's stdin; false once the child stopped reading.
    bool write_stdin(std::string_view bytes);
    // Closes the child's stdin (it reads EOF).
    void close_stdin();

    // Everything the child printed so far.
    std::string output() const;
    std::string errors() const;
    // Waits until stdout contains `text`.
    bool wait_for_output(std::string_view text, std::chrono::milliseconds timeout = 10s) const;
    // Waits until `count` occurrences of `text` are in stdout.
    bool wait_for_count(std::string_view text, std::size_t count, std::chrono::milliseconds timeout = 10s) const;
    // Waits until stdout holds `prefix` followed by a whole number (digits, then anything
    // else); returns the number. For "Listening on ws://127.0.0.1:" and the like.
    std::optional<std::uint64_t> wait_for_number_after(std::string_view prefix,
                                                       std::chrono::milliseconds timeout = 10s) const;
    // The number right after `prefix` in `text`, if the text holds it whole.
    static std::optional<std::uint64_t> number_after(std::string_view text, std::string_view prefix);

    // Waits for the child to exit, and for everything it printed to arrive; its exit code, or
    // 128 + signal number if a signal ended it, or nullopt if it is still running after
    // `timeout`.
    std::optional<int> wait_exit(std::chrono::milliseconds timeout = 10s);
    // True while the child has not exited.
    bool running();
    // SIGTERM, then SIGKILL if it is still there after `grace`; returns its exit status.
    int terminate(std::chrono::milliseconds grace = 3s);

    // "stdout: ... stderr: ..." for assertion messages.
    std::string describe() const;

private:
    void read_pipes();
    bool reap(int options);

    pid_t pid_ = -1;
    int stdin_fd_ = -1;
    int stdout_fd_ = -1;
    int stderr_fd_ = -1;
    std::optional<int> status_;
    std::thread reader_;
    mutable std::mutex mutex_;
    mutable std::condition_variable changed_;
    std::string out_;
    std::string err_;
    bool pipes_done_ = false;  // the reader saw EOF on both pipes
};

// The path of an example binary (CMake passes them in as WS_EXAMPLE_DIR).
std::string example_path(std::string_view name);

// A TCP port on 127.0.0.1 that nobody listens on right now (bind to port 0, read it, close).
// Racy by nature: use it only for examples that cannot report the port they bound.
std::uint16_t free_port();

// Starts the example `name` with the arguments `args(port)` for a free port, and waits until
// it accepts connections there; for examples that take a port but cannot report the one they
// bound. If the example exits first (someone took the port in between), retries with another.
// Returns null if it never came up; `port` is the port it listens on.
std::unique_ptr<ChildProcess> start_on_free_port(std::string_view name,
                                                 const std::function<std::vector<std::string>(std::uint16_t)>& args,
                                                 std::uint16_t& port);

// A plain HTTP/1.1 GET; returns the whole response (head and body, read until the server
// closes), or an empty string when nothing came back within `timeout`.
std::string http_get(std::uint16_t port, std::string_view path, std::chrono::milliseconds timeout = 5s);

}  // namespace ws::test
