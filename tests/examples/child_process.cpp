#include "child_process.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>

#include "support/test_support.hpp"

namespace ws::test {

namespace {

// Writing to the stdin of a child that already exited must fail with EPIPE, not kill the test.
[[maybe_unused]] const bool kIgnoreSigpipe = [] {
    std::signal(SIGPIPE, SIG_IGN);
    return true;
}();

std::size_t count_of(std::string_view haystack, std::string_view needle) {
    std::size_t n = 0;
    for (std::size_t at = haystack.find(needle); at != std::string_view::npos; at = haystack.find(needle, at + 1)) ++n;
    return n;
}

}  // namespace

ChildProcess::ChildProcess(std::string path, std::vector<std::string> args) {
    std::vector<std::string> argv_strings;
    argv_strings.push_back(std::move(path));
    for (auto& a : args) argv_strings.push_back(std::move(a));
    std::vector<char*> argv;
    for (auto& s : argv_strings) argv.push_back(s.data());
    argv.push_back(nullptr);

    int in[2], out[2], err[2];
    if (::pipe2(in, O_CLOEXEC) != 0) return;
    if (::pipe2(out, O_CLOEXEC) != 0) return;
    if (::pipe2(err, O_CLOEXEC) != 0) return;
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid == 0) {
        // Child: only async-signal-safe calls until exec.
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (::getppid() != parent) ::_exit(126);
        struct sigaction dfl {};
        dfl.sa_handler = SIG_DFL;
        ::sigaction(SIGPIPE, &dfl, nullptr);
        ::dup2(in[0], STDIN_FILENO);
        ::dup2(out[1], STDOUT_FILENO);
        ::dup2(err[1], STDERR_FILENO);
        ::execv(argv[0], argv.data());
        ::_exit(127);
    }
    ::close(in[0]);
    ::close(out[1]);
    ::close(err[1]);
    if (pid < 0) {
        ::close(in[1]);
        ::close(out[0]);
        ::close(err[0]);
        return;
    }
    pid_ = pid;
    stdin_fd_ = in[1];
    stdout_fd_ = out[0];
    stderr_fd_ = err[0];
    reader_ = std::thread([this] { read_pipes(); });
}

ChildProcess::~ChildProcess() {
    close_stdin();
    if (pid_ > 0 && !status_) {
        ::kill(pid_, SIGKILL);
        reap(0);
    }
    if (reader_.joinable()) reader_.join();
    if (stdout_fd_ >= 0) ::close(stdout_fd_);
    if (stderr_fd_ >= 0) ::close(stderr_fd_);
}

void ChildProcess::read_pipes() {
    pollfd fds[2] = {{stdout_fd_, POLLIN, 0}, {stderr_fd_, POLLIN, 0}};
    int open = 2;
    char buf[4096];
    while (open > 0) {
        if (::poll(fds, 2, -1) < 0) {
            if (errno == EINTR) continue;
            break;
        }
        for (int i = 0; i < 2; ++i) {
            if (fds[i].fd < 0 || fds[i].revents == 0) continue;
            const ssize_t n = ::read(fds[i].fd, buf, sizeof(buf));
            if (n <= 0) {
                if (n < 0 && errno == EINTR) continue;
                fds[i].fd = -1;  // EOF: the child (and anything it started) closed this pipe
                --open;
                continue;
            }
            {
                std::lock_guard<std::mutex> lock(mutex_);
                (i == 0 ? out_ : err_).append(buf, static_cast<std::size_t>(n));
            }
            changed_.notify_all();
        }
    }
    {
        std::lock_guard<std::mutex> lock(mutex_);
        pipes_done_ = true;
    }
    changed_.notify_all();
}

bool ChildProcess::write_stdin(std::string_view bytes) {
    while (!bytes.empty() && stdin_fd_ >= 0) {
        const ssize_t n = ::write(stdin_fd_, bytes.data(), bytes.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return bytes.empty();
}

void ChildProcess::close_stdin() {
    if (stdin_fd_ >= 0) ::close(stdin_fd_);
    stdin_fd_ = -1;
}

std::string ChildProcess::output() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return out_;
}

std::string ChildProcess::errors() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return err_;
}

bool ChildProcess::wait_for_output(std::string_view text, std::chrono::milliseconds timeout) const {
    return wait_for_count(text, 1, timeout);
}

bool ChildProcess::wait_for_count(std::string_view text, std::size_t count, std::chrono::milliseconds timeout) const {
    std::unique_lock<std::mutex> lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return count_of(out_, text) >= count; });
}

std::optional<std::uint64_t> ChildProcess::number_after(std::string_view text, std::string_view prefix) {
    for (std::size_t at = text.find(prefix); at != std::string_view::npos; at = text.find(prefix, at + 1)) {
        std::size_t end = at + prefix.size();
        std::uint64_t n = 0;
        while (end < text.size() && text[end] >= '0' && text[end] <= '9') n = n * 10 + static_cast<std::uint64_t>(text[end++] - '0');
        // At least one digit, and something after them: the number is complete.
        if (end > at + prefix.size() && end < text.size()) return n;
    }
    return std::nullopt;
}

std::optional<std::uint64_t> ChildProcess::wait_for_number_after(std::string_view prefix,
                                                                 std::chrono::milliseconds timeout) const {
    std::optional<std::uint64_t> found;
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait_for(lock, timeout, [&] { return (found = number_after(out_, prefix)).has_value(); });
    return found;
}

bool ChildProcess::reap(int options) {
    if (status_) return true;
    int status = 0;
    pid_t r;
    do {
        r = ::waitpid(pid_, &status, options);
    } while (r < 0 && errno == EINTR);
    if (r != pid_) return false;
    status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return true;
}

std::optional<int> ChildProcess::wait_exit(std::chrono::milliseconds timeout) {
    if (pid_ <= 0) return std::nullopt;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!reap(WNOHANG)) {
        if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
        std::this_thread::sleep_for(10ms);
    }
    // The child is gone, but its last output may still sit in the pipes: wait for the reader
    // to drain them (EOF comes at once, unless something the child started holds them).
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait_for(lock, 2s, [&] { return pipes_done_; });
    return status_;
}

bool ChildProcess::running() { return pid_ > 0 && !reap(WNOHANG); }

int ChildProcess::terminate(std::chrono::milliseconds grace) {
    if (pid_ <= 0) return -1;
    if (!status_) ::kill(pid_, SIGTERM);
    if (auto code = wait_exit(grace)) return *code;
    ::kill(pid_, SIGKILL);
    reap(0);
    return *status_;
}

std::string ChildProcess::describe() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return "\n--- stdout ---\n" + out_ + "\n--- stderr ---\n" + err_;
}

std::string example_path(std::string_view name) { return std::string(WS_EXAMPLE_DIR) + "/" + std::string(name); }

std::uint16_t free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = 0;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(a);
    std::uint16_t port = 0;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
        port = ntohs(a.sin_port);
    }
    ::close(fd);
    return port;
}

std::unique_ptr<ChildProcess> start_on_free_port(std::string_view name,
                                                 const std::function<std::vector<std::string>(std::uint16_t)>& args,
                                                 std::uint16_t& port) {
    for (int attempt = 0; attempt < 3; ++attempt) {
        port = free_port();
        auto child = std::make_unique<ChildProcess>(example_path(name), args(port));
        const auto deadline = std::chrono::steady_clock::now() + 10s;
        while (child->running() && std::chrono::steady_clock::now() < deadline) {
            if (RawSocket::connect(port).ok()) return child;
            std::this_thread::sleep_for(20ms);
        }
    }
    return nullptr;
}

std::string http_get(std::uint16_t port, std::string_view path, std::chrono::milliseconds timeout) {
    RawSocket s = RawSocket::connect(port);
    if (!s.ok()) return {};
    if (!s.send("GET " + std::string(path) + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                "\r\nAccept: text/html\r\n\r\n")) {
        return {};
    }
    // The examples answer plain HTTP with "Connection: close": read until the server closes
    // (recv_until with a marker that never comes returns at EOF, or empty-handed at timeout).
    const auto start = std::chrono::steady_clock::now();
    std::string response = s.recv_until("\r\n\r\n\x01", static_cast<int>(timeout.count()));
    if (std::chrono::steady_clock::now() - start >= timeout) return {};
    return response;
}

}  // namespace ws::test
