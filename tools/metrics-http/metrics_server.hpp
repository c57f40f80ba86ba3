// An HTTP /metrics endpoint on its own thread (cpp-httplib), serving whatever text the
// caller's function returns: e.g. rk::Runtime::metrics_text(). Loopback by default.
#pragma once

#include <functional>
#include <memory>
#include <string>

namespace rk {

class MetricsServer {
 public:
  // Binds host:port (port 0: a free one) and serves GET /metrics from `source`, called on
  // the server's thread for each scrape. Throws std::runtime_error when it cannot bind.
  explicit MetricsServer(std::function<std::string()> source, int port = 0, const std::string& host = "127.0.0.1");
  ~MetricsServer();  // stops serving and joins the thread
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  int port() const { return port_; }
  unsigned long scrapes() const;  // GET /metrics answered so far

 private:
  struct State;
  std::unique_ptr<State> state_;
  int port_ = 0;
};

}  // namespace rk
