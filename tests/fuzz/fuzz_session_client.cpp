// Fuzz target 2: proto::Session in the client role. start_client() sends a request with RFC
// 6455's sample key; the input is a configuration word, a seed for the choices, then what a
// server answers: a response head (valid or not) and frames.
// See session_fuzz.hpp for the layout and the invariants.
#include "session_fuzz.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    return ws::fuzz::run_session_fuzzer(ws::proto::Role::Client, data, size);
}
