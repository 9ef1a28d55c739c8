#pragma once

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace feedback::testing {

// A TCP proxy on 127.0.0.1 that forwards to a target port and can cut the
// line: Cut() closes every connection and refuses new ones (the database
// looks gone), Restore() accepts again on the same port.
class TcpProxy {
 public:
  explicit TcpProxy(int target_port);
  ~TcpProxy();

  int port() const { return port_; }
  void Cut();
  void Restore();

 private:
  void Listen();
  void AcceptLoop(int listen_fd);
  static void Pump(int a, int b);

  const int target_port_;
  int port_ = 0;
  absl::Mutex mu_;
  int listen_fd_ ABSL_GUARDED_BY(mu_) = -1;
  std::vector<int> fds_ ABSL_GUARDED_BY(mu_);
  std::vector<std::thread> threads_ ABSL_GUARDED_BY(mu_);
  std::thread acceptor_;
};

}  // namespace feedback::testing
