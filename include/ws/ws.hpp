// ws-cpp: lightweight, event-driven WebSockets for C++ (RFC 6455).
//
//   #include <ws/ws.hpp>
//
//   int main() {
//       // A WebSocket echo server
//       return ws::listen("127.0.0.1:3012", [](ws::Sender out) {
//           return [out](const ws::Message& msg) { return out.send(msg); };
//       });
//   }
#pragma once

#include "ws/address.hpp"
#include "ws/close_code.hpp"
#include "ws/error.hpp"
#include "ws/factory.hpp"
#include "ws/frame.hpp"
#include "ws/handler.hpp"
#include "ws/http.hpp"
#include "ws/message.hpp"
#include "ws/opcode.hpp"
#include "ws/sender.hpp"
#include "ws/settings.hpp"
#include "ws/url.hpp"
#include "ws/websocket.hpp"
