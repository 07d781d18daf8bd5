// ws::proto::MessageBuffer: where a message that cannot be delivered from one read is
// assembled. Unlike std::string it grows without writing the new bytes first: the rest of a
// large payload is read straight into it (Session::direct_read_target), and std::string would
// have us zero that room before the kernel writes it. It grows through realloc, which moves a
// large block by remapping its pages rather than copying them.
#pragma once

#include <cstddef>
#include <cstring>
#include <string_view>
#include <utility>

namespace ws::proto {

class MessageBuffer {
public:
    MessageBuffer() = default;
    ~MessageBuffer() { release(); }
    MessageBuffer(const MessageBuffer&) = delete;
    MessageBuffer& operator=(const MessageBuffer&) = delete;
    MessageBuffer(MessageBuffer&& other) noexcept { swap(other); }
    MessageBuffer& operator=(MessageBuffer&& other) noexcept {
        MessageBuffer(std::move(other)).swap(*this);
        return *this;
    }

    char* data() noexcept { return data_; }
    const char* data() const noexcept { return data_; }
    std::size_t size() const noexcept { return size_; }
    std::size_t capacity() const noexcept { return capacity_; }
    bool empty() const noexcept { return size_ == 0; }
    operator std::string_view() const noexcept { return {data_, size_}; }

    // Capacity for at least `n` bytes; growing goes to at least twice the old capacity, so
    // that appending piece by piece moves each byte a bounded number of times.
    void reserve(std::size_t n) {
        if (n > capacity_) reallocate(n < 2 * capacity_ ? 2 * capacity_ : n);
    }
    // Makes the buffer `n` bytes longer and returns where the new bytes start. They are not
    // written: the caller fills them (or gives them back with truncate) before reading them.
    char* grow(std::size_t n) {
        reserve(size_ + n);
        char* p = data_ + size_;
        size_ += n;
        return p;
    }
    // `s` must not lie inside this buffer (growing may move it).
    void append(std::string_view s) {
        if (!s.empty()) std::memcpy(grow(s.size()), s.data(), s.size());
    }
    void push_back(char c) { *grow(1) = c; }
    // Shortens the buffer to `n` bytes if it is longer; the capacity stays.
    void truncate(std::size_t n) noexcept {
        if (n < size_) size_ = n;
    }
    void clear() noexcept { size_ = 0; }
    // Gives the memory back.
    void release() noexcept;
    void swap(MessageBuffer& other) noexcept {
        std::swap(data_, other.data_);
        std::swap(size_, other.size_);
        std::swap(capacity_, other.capacity_);
    }

private:
    void reallocate(std::size_t capacity);

    char* data_ = nullptr;
    std::size_t size_ = 0;
    std::size_t capacity_ = 0;
};

}  // namespace ws::proto
