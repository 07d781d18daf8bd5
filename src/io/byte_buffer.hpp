// ws::io::ByteBuffer: an owned, growable byte buffer (malloc/realloc) for output.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ws::io {

// A byte buffer that owns its storage and grows geometrically; no per-write allocation once
// it has reached a connection's working size.
class ByteBuffer {
public:
    ByteBuffer() = default;
    ~ByteBuffer();
    ByteBuffer(const ByteBuffer&) = delete;
    ByteBuffer& operator=(const ByteBuffer&) = delete;
    ByteBuffer(ByteBuffer&& other) noexcept;
    ByteBuffer& operator=(ByteBuffer&& other) noexcept;

    std::uint8_t* data() noexcept { return data_; }
    const std::uint8_t* data() const noexcept { return data_; }
    std::size_t size() const noexcept { return size_; }
    std::size_t capacity() const noexcept { return capacity_; }
    bool empty() const noexcept { return size_ == 0; }
    // Room for `n` more bytes at data() + size().
    std::uint8_t* reserve_more(std::size_t n) {
        if (capacity_ - size_ >= n) [[likely]]
            return data_ + size_;
        return grow(n);
    }
    void grow_size(std::size_t n) noexcept { size_ += n; }
    void clear() noexcept { size_ = 0; }
    void release() noexcept;

private:
    std::uint8_t* grow(std::size_t n);

    std::uint8_t* data_ = nullptr;
    std::size_t size_ = 0;
    std::size_t capacity_ = 0;
};

}  // namespace ws::io
