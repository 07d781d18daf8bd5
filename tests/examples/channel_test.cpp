// examples/channel.cpp: a producer thread sends through a Sender copy into a tiny command
// queue; nothing is lost or reordered, and a full queue shows up as ErrorKind::Queue.
#include <gtest/gtest.h>

#include <sstream>

#include "child_process.hpp"

namespace ws::test {
namespace {

TEST(ExampleChannel, EveryNumberArrivesInOrderAndFullQueueIsReported) {
    constexpr int kCount = 1000;
    ChildProcess channel(example_path("channel"), {"0", std::to_string(kCount)});
    ASSERT_TRUE(channel.started());
    ASSERT_EQ(channel.wait_exit(30s), 0) << channel.describe();
    EXPECT_EQ(channel.errors(), "");

    std::istringstream lines(channel.output());
    std::string line;
    int expected = 1;
    std::optional<int> queue_full;
    bool done = false;
    while (std::getline(lines, line)) {
        if (line.rfind("Logger got ", 0) == 0) {
            // In order, each once: retrying after ErrorKind::Queue lost and duplicated nothing.
            ASSERT_EQ(line, "Logger got " + std::to_string(expected)) << channel.output();
            ++expected;
        } else if (auto n = ChildProcess::number_after(line + "\n", "queue was full ")) {
            queue_full = static_cast<int>(*n);
        } else if (line == "All done.") {
            done = true;
        }
    }
    EXPECT_EQ(expected, kCount + 1) << "the logger did not get every number";
    ASSERT_TRUE(queue_full) << channel.output();
    // The client's queue holds 8 commands and the producer sends as fast as it can: it must
    // have met a full queue (and been told so, not blocked).
    EXPECT_GT(*queue_full, 0);
    EXPECT_TRUE(done);
}

}  // namespace
}  // namespace ws::test
