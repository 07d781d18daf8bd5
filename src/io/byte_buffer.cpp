#include "io/byte_buffer.hpp"

#include <cstdlib>
#include <new>

namespace ws::io {

namespace {
constexpr std::size_t kMinOutputCapacity = 256;  // the first growth of an empty buffer
}  // namespace

ByteBuffer::~ByteBuffer() { std::free(data_); }

ByteBuffer::ByteBuffer(ByteBuffer&& other) noexcept
    : data_(other.data_), size_(other.size_), capacity_(other.capacity_) {
    other.data_ = nullptr;
    other.size_ = other.capacity_ = 0;
}

ByteBuffer& ByteBuffer::operator=(ByteBuffer&& other) noexcept {
    if (this != &other) {
        std::free(data_);
        data_ = other.data_;
        size_ = other.size_;
        capacity_ = other.capacity_;
        other.data_ = nullptr;
        other.size_ = other.capacity_ = 0;
    }
    return *this;
}

std::uint8_t* ByteBuffer::grow(std::size_t n) {
    std::size_t cap = capacity_ < kMinOutputCapacity ? kMinOutputCapacity : capacity_ * 2;
    if (cap < size_ + n) cap = size_ + n;
    void* p = std::realloc(data_, cap);
    if (p == nullptr) throw std::bad_alloc();
    data_ = static_cast<std::uint8_t*>(p);
    capacity_ = cap;
    return data_ + size_;
}

void ByteBuffer::release() noexcept {
    std::free(data_);
    data_ = nullptr;
    size_ = capacity_ = 0;
}

}  // namespace ws::io
