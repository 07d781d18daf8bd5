// examples/autobahn_client.cpp against a small fake of the Autobahn fuzzingserver, written
// here with ws-cpp: getCaseCount answers 3, each runCase checks that its messages come back
// unchanged, updateReports records the agent.
#include <gtest/gtest.h>

#include "child_process.hpp"
#include "support/test_support.hpp"

namespace ws::test {
namespace {

constexpr int kCases = 3;

class FakeFuzzingServer : public Handler {
public:
    FakeFuzzingServer(Sender out, EventLog& log) : out_(std::move(out)), log_(log) {}

    Result<Response> on_request(const Request& req) override {
        path_ = std::string(req.path());
        query_ = std::string(req.query());
        return Response::from_request(req);
    }

    Result<> on_open(const Handshake&) override {
        if (path_ == "/getCaseCount") {
            log_.add("getCaseCount");
            if (auto r = out_.send(std::to_string(kCases)); !r) return r;
            return out_.close(CloseCode::Normal);
        }
        if (path_ == "/runCase") {
            // What a case sends: text, binary with every kind of byte, a large message.
            const std::string n = query_.substr(0, query_.find('&'));
            expected_ = {Message::text("case " + n + ": hello"), Message::binary(std::string("\x00\x01\x80\xff", 4)),
                         Message::text(std::string(100'000, 'x'))};
            for (const auto& m : expected_) {
                if (auto r = out_.send(m); !r) return r;
            }
            return {};
        }
        if (path_ == "/updateReports") {
            log_.add("updateReports " + query_);
            return out_.close(CloseCode::Normal);
        }
        log_.add("unexpected " + path_ + "?" + query_);
        return out_.close(CloseCode::Policy);
    }

    Result<> on_message(const Message& msg) override {
        if (received_ >= expected_.size() || !(msg == expected_[received_])) {
            log_.add("runCase " + query_ + " got a wrong echo");
            return out_.close(CloseCode::Protocol);
        }
        if (++received_ == expected_.size()) {
            log_.add("runCase " + query_ + " ok");
            return out_.close(CloseCode::Normal);
        }
        return {};
    }

private:
    Sender out_;
    EventLog& log_;
    std::string path_;
    std::string query_;
    std::vector<Message> expected_;
    std::size_t received_ = 0;
};

std::vector<std::string> expected_run(const std::string& agent) {
    std::vector<std::string> events{"getCaseCount"};
    for (int n = 1; n <= kCases; ++n) events.push_back("runCase case=" + std::to_string(n) + "&agent=" + agent + " ok");
    events.push_back("updateReports agent=" + agent);
    return events;
}

TEST(ExampleAutobahnClient, RunsEveryCaseThenUpdatesReports) {
    EventLog log;
    ServerThread fuzzer([&log](Sender out) { return FakeFuzzingServer(std::move(out), log); });
    ChildProcess client(example_path("autobahn_client"),
                        {"ws://127.0.0.1:" + std::to_string(fuzzer.port()), "test-agent"});
    ASSERT_TRUE(client.started());
    ASSERT_EQ(client.wait_exit(30s), 0) << client.describe();
    EXPECT_EQ(log.events(), expected_run("test-agent")) << client.describe();
    EXPECT_NE(client.output().find("Running 3 cases as agent 'test-agent'"), std::string::npos) << client.describe();
}

TEST(ExampleAutobahnClient, DefaultAgentIsWsCpp) {
    EventLog log;
    ServerThread fuzzer([&log](Sender out) { return FakeFuzzingServer(std::move(out), log); });
    ChildProcess client(example_path("autobahn_client"), {"ws://127.0.0.1:" + std::to_string(fuzzer.port())});
    ASSERT_TRUE(client.started());
    ASSERT_EQ(client.wait_exit(30s), 0) << client.describe();
    EXPECT_EQ(log.events(), expected_run("ws-cpp")) << client.describe();
}

TEST(ExampleAutobahnClient, FailsWhenNoFuzzingServerIsThere) {
    ChildProcess client(example_path("autobahn_client"), {"ws://127.0.0.1:" + std::to_string(free_port())});
    ASSERT_TRUE(client.started());
    EXPECT_EQ(client.wait_exit(10s), 1) << client.describe();
    EXPECT_NE(client.errors().find("getCaseCount"), std::string::npos) << client.describe();
}

}  // namespace
}  // namespace ws::test
