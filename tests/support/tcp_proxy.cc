#include "tests/support/tcp_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

namespace feedback::testing {
namespace {

sockaddr_in Loopback(int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return addr;
}

}  // namespace

TcpProxy::TcpProxy(int target_port) : target_port_(target_port) { Listen(); }

TcpProxy::~TcpProxy() { Cut(); }

void TcpProxy::Listen() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr = Loopback(port_);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(fd, 64) != 0) {
    close(fd);
    throw std::runtime_error("proxy: cannot listen");
  }
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  absl::MutexLock lock(&mu_);
  listen_fd_ = fd;
  acceptor_ = std::thread([this, fd] { AcceptLoop(fd); });
}

void TcpProxy::AcceptLoop(int listen_fd) {
  for (;;) {
    const int client = accept(listen_fd, nullptr, nullptr);
    if (client < 0) return;  // listener shut down
    const int upstream = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in target = Loopback(target_port_);
    if (connect(upstream, reinterpret_cast<sockaddr*>(&target), sizeof target) != 0) {
      close(client);
      close(upstream);
      continue;
    }
    absl::MutexLock lock(&mu_);
    if (listen_fd_ != listen_fd) {  // cut meanwhile
      close(client);
      close(upstream);
      return;
    }
    fds_.push_back(client);
    fds_.push_back(upstream);
    threads_.emplace_back([client, upstream] { Pump(client, upstream); });
  }
}

void TcpProxy::Pump(int a, int b) {
  char buffer[16384];
  pollfd fds[2] = {{a, POLLIN, 0}, {b, POLLIN, 0}};
  for (;;) {
    if (poll(fds, 2, -1) < 0) return;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].revents == 0) continue;
      const ssize_t n = read(fds[i].fd, buffer, sizeof buffer);
      if (n <= 0) return;
      ssize_t sent = 0;
      while (sent < n) {
        // MSG_NOSIGNAL: a peer cut by Cut() must not raise SIGPIPE.
        const ssize_t w = send(fds[1 - i].fd, buffer + sent, n - sent, MSG_NOSIGNAL);
        if (w <= 0) return;
        sent += w;
      }
    }
  }
}

void TcpProxy::Cut() {
  std::vector<std::thread> threads;
  std::thread acceptor;
  {
    absl::MutexLock lock(&mu_);
    if (listen_fd_ >= 0) {
      shutdown(listen_fd_, SHUT_RDWR);
      close(listen_fd_);
      listen_fd_ = -1;
    }
    for (int fd : fds_) shutdown(fd, SHUT_RDWR);
    threads.swap(threads_);
    acceptor.swap(acceptor_);
  }
  if (acceptor.joinable()) acceptor.join();
  for (std::thread& t : threads) t.join();
  absl::MutexLock lock(&mu_);
  for (int fd : fds_) close(fd);
  fds_.clear();
}

void TcpProxy::Restore() { Listen(); }

}  // namespace feedback::testing
