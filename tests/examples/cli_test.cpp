// examples/cli.cpp: an interactive client driven through its standard input, against an echo
// server in the test that records what it sees.
#include <gtest/gtest.h>

#include "child_process.hpp"
#include "support/test_support.hpp"

namespace ws::test {
namespace {

// Echoes; "close me" makes it close with 4001; records messages and close frames.
class Recorder : public Handler {
public:
    Recorder(Sender out, EventLog& log) : out_(std::move(out)), log_(log) {}
    Result<> on_message(const Message& msg) override {
        log_.add("message " + msg.to_string());
        if (msg.as_text() == "close me") return out_.close(static_cast<CloseCode>(4001), "server says bye");
        return out_.send(msg);
    }
    void on_close(CloseCode code, std::string_view reason) override {
        log_.add("close " + std::to_string(to_u16(code)) + " " + std::string(reason));
    }

private:
    Sender out_;
    EventLog& log_;
};

class ExampleCli : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_TRUE(cli_.started());
        ASSERT_TRUE(cli_.wait_for_output("* connected to 127.0.0.1:" + std::to_string(server_.port()))) << cli_.describe();
    }

    EventLog log_;
    ServerThread server_{[this](Sender out) { return Recorder(std::move(out), log_); }};
    ChildProcess cli_{example_path("cli"), {server_.url()}};
};

TEST_F(ExampleCli, SendsLinesPrintsRepliesAndClosesWithCodeAndReason) {
    ASSERT_TRUE(cli_.write_stdin("hello\nsecond line\n"));
    EXPECT_TRUE(cli_.wait_for_output("< hello\n")) << cli_.describe();
    EXPECT_TRUE(cli_.wait_for_output("< second line\n")) << cli_.describe();
    ASSERT_TRUE(cli_.write_stdin("/close 4000 done for today\n"));
    EXPECT_TRUE(log_.wait_for("close 4000 done for today")) << cli_.describe();
    // The connection is closed: the program ends although its input is still open.
    EXPECT_EQ(cli_.wait_exit(10s), 0) << cli_.describe();
    EXPECT_NE(cli_.output().find("* connection closed: 4000"), std::string::npos) << cli_.describe();
}

TEST_F(ExampleCli, ExitsWhenTheServerCloses) {
    ASSERT_TRUE(cli_.write_stdin("close me\n"));
    EXPECT_EQ(cli_.wait_exit(10s), 0) << cli_.describe();
    EXPECT_NE(cli_.output().find("* connection closed: 4001 Other 'server says bye'"), std::string::npos)
        << cli_.describe();
}

TEST_F(ExampleCli, EndOfInputClosesNormally) {
    ASSERT_TRUE(cli_.write_stdin("last words"));  // no newline: still a line at end of input
    cli_.close_stdin();
    EXPECT_TRUE(log_.wait_for("message last words"));
    EXPECT_TRUE(log_.wait_for("close 1000 "));
    EXPECT_EQ(cli_.wait_exit(10s), 0) << cli_.describe();
}

TEST_F(ExampleCli, AnInvalidCloseCodeIsRefusedAndTheConnectionStays) {
    ASSERT_TRUE(cli_.write_stdin("/close 1005 reserved\n"));  // 1005 may never be sent
    ASSERT_TRUE(cli_.wait_for_output("* Protocol")) << cli_.describe();
    ASSERT_TRUE(cli_.write_stdin("/close twelve\n"));
    ASSERT_TRUE(cli_.wait_for_output("not a close code: twelve")) << cli_.describe();
    ASSERT_TRUE(cli_.write_stdin("still open?\n"));
    EXPECT_TRUE(cli_.wait_for_output("< still open?\n")) << cli_.describe();
    ASSERT_TRUE(cli_.write_stdin("/close\n"));
    EXPECT_TRUE(log_.wait_for("close 1000 "));
    EXPECT_EQ(cli_.wait_exit(10s), 0) << cli_.describe();
}

TEST(ExampleCliNoServer, ReportsTheFailureAndExits1) {
    ChildProcess cli(example_path("cli"), {"ws://127.0.0.1:" + std::to_string(free_port())});
    ASSERT_TRUE(cli.started());
    EXPECT_EQ(cli.wait_exit(10s), 1) << cli.describe();
    EXPECT_NE(cli.output().find("* error: Io"), std::string::npos) << cli.describe();
}

}  // namespace
}  // namespace ws::test
