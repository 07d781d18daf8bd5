#include "proto/message_buffer.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

// ws::proto::MessageBuffer, the assembly buffer: growing without writing, appending, keeping
// its bytes where they are when moved (a Stream that takes an echoed message over relies on
// that), and giving its memory back.

namespace ws::proto {
namespace {

TEST(MessageBuffer, GrowsWithoutWritingAndKeepsWhatWasThere) {
    MessageBuffer b;
    EXPECT_TRUE(b.empty());
    EXPECT_EQ(b.capacity(), 0u);
    b.append("head:");
    char* room = b.grow(1000);
    EXPECT_EQ(room, b.data() + 5) << "the new bytes start where the old ones end";
    EXPECT_EQ(b.size(), 1005u);
    for (int i = 0; i < 1000; ++i) room[i] = static_cast<char>('a' + i % 26);
    b.truncate(5 + 26);  // only part of the room was used
    EXPECT_EQ(std::string_view(b), "head:abcdefghijklmnopqrstuvwxyz");
    b.truncate(100);  // longer than the buffer: nothing changes
    EXPECT_EQ(b.size(), 31u);
    b.push_back('!');
    EXPECT_EQ(std::string_view(b).back(), '!');
}

TEST(MessageBuffer, GrowingPieceByPieceDoublesTheCapacity) {
    MessageBuffer b;
    std::vector<std::size_t> capacities;
    std::string all;
    for (int i = 0; i < 2000; ++i) {
        const std::string piece(100, static_cast<char>('A' + i % 26));
        b.append(piece);
        all += piece;
        if (capacities.empty() || capacities.back() != b.capacity()) capacities.push_back(b.capacity());
    }
    EXPECT_EQ(std::string_view(b), all);
    EXPECT_LE(capacities.size(), 13u) << "200,000 bytes in 100-byte pieces: about log2(2000) growths";
    for (std::size_t i = 1; i < capacities.size(); ++i) EXPECT_GE(capacities[i], 2 * capacities[i - 1]);
    b.reserve(b.capacity() + 1);
    EXPECT_GE(b.capacity(), 2 * capacities.back());
    const std::size_t big = 10 * b.capacity();
    b.reserve(big);
    EXPECT_EQ(b.capacity(), big) << "a reserve past twice the capacity is exact";
}

TEST(MessageBuffer, MovingKeepsTheBytesWhereTheyAre) {
    MessageBuffer a;
    a.append(std::string(1u << 20, 'x'));
    const char* where = a.data();
    MessageBuffer b(std::move(a));
    EXPECT_EQ(b.data(), where);
    EXPECT_EQ(b.size(), 1u << 20);
    EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): a moved-from buffer is empty
    EXPECT_EQ(a.capacity(), 0u);
    MessageBuffer c;
    c.append("other");
    c = std::move(b);
    EXPECT_EQ(c.data(), where);
    c.swap(a);
    EXPECT_EQ(a.data(), where);
    EXPECT_TRUE(c.empty());
    a.clear();
    EXPECT_TRUE(a.empty());
    EXPECT_EQ(a.capacity(), 1u << 20) << "clear keeps the memory";
    a.release();
    EXPECT_EQ(a.capacity(), 0u);
    EXPECT_EQ(a.data(), nullptr);
}

}  // namespace
}  // namespace ws::proto
