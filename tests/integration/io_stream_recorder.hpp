// What the io::Stream tests share (io_stream_test.cpp, io_stream_read_test.cpp): a
// StreamHandler that records what the stream hands it, and bytes that show where they are.
#pragma once

#include <algorithm>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "io/stream.hpp"

namespace ws::io::test {

struct Recorder : StreamHandler {
    std::string received;
    int connected = 1;
    bool eof = false;
    bool closed = false;
    int drains = 0;
    std::function<void()> on_connect;
    std::vector<std::size_t> read_sizes;  // of every on_read
    std::function<void()> after_read;
    void on_read(std::span<std::uint8_t> d) override {
        received.append(reinterpret_cast<const char*>(d.data()), d.size());
        read_sizes.push_back(d.size());
        if (after_read) after_read();
    }
    std::function<void()> on_eof_action;
    void on_eof() override {
        eof = true;
        if (on_eof_action) on_eof_action();
    }
    std::function<void()> on_error_action;
    void on_io_error(int) override {
        if (on_error_action) on_error_action();
    }
    void on_drain() override { ++drains; }
    void on_connected(int status) override {
        connected = status;
        if (on_connect) on_connect();
    }
    void on_closed() override { closed = true; }
};

// Bytes that show where they are in the stream.
inline std::string pattern(std::size_t size) {
    std::string s(size, '\0');
    for (std::size_t i = 0; i < s.size(); ++i) s[i] = static_cast<char>('a' + (i * 7 + i / 4096) % 26);
    return s;
}

}  // namespace ws::io::test
