#include "metrics_server.hpp"

#include <httplib.h>

#include <atomic>
#include <stdexcept>
#include <thread>

namespace rk {

struct MetricsServer::State {
  httplib::Server server;
  std::thread thread;
  std::atomic<unsigned long> scrapes{0};
  std::atomic<bool> listen_returned{false};
};

MetricsServer::MetricsServer(std::function<std::string()> source, int port, const std::string& host)
    : state_(std::make_unique<State>()) {
  State* state = state_.get();
  state->server.Get("/metrics", [state, source = std::move(source)](const httplib::Request&, httplib::Response& res) {
    res.set_content(source(), "text/plain; version=0.0.4; charset=utf-8");
    state->scrapes.fetch_add(1);
  });
  if (port == 0) port_ = state->server.bind_to_any_port(host);
  else port_ = state->server.bind_to_port(host, port) ? port : -1;
  if (port_ <= 0) throw std::runtime_error("metrics: cannot listen on " + host + ":" + std::to_string(port));
  state->thread = std::thread([state] {
    state->server.listen_after_bind();
    state->listen_returned.store(true);
  });
  // stop() only reaches a server that runs: wait until it does, so the destructor cannot
  // stop it before it starts and then wait for ever.
  while (!state->server.is_running() && !state->listen_returned.load()) std::this_thread::yield();
}

MetricsServer::~MetricsServer() {
  state_->server.stop();
  state_->thread.join();
}

unsigned long MetricsServer::scrapes() const { return state_->scrapes.load(); }

}  // namespace rk
