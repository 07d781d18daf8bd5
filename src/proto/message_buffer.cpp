#include "proto/message_buffer.hpp"

#include <cstdlib>
#include <new>

namespace ws::proto {

void MessageBuffer::reallocate(std::size_t capacity) {
    void* p = std::realloc(data_, capacity);
    if (p == nullptr) throw std::bad_alloc();
    data_ = static_cast<char*>(p);
    capacity_ = capacity;
}

void MessageBuffer::release() noexcept {
    std::free(data_);
    data_ = nullptr;
    size_ = capacity_ = 0;
}

}  // namespace ws::proto
